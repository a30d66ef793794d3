"""The one seam to the vector store: a Chroma collection of passages, one collection per store.

Each stored passage carries its file's hash, its file's passage count and the pipeline version in
its metadata. Together they are the ingest manifest: a file is up to date only when its stored
ids, hashes and version all match what the file produces now, so an ingest that stopped half-way
is noticed and repaired by the next run, even on a Chroma server shared by several processes.

Next to the passages, a companion collection holds one vector per sentence of each passage
(`Passage.sentence_texts`), tagged with its passage's id, so a search can match a question
against a passage's single details as well as against the whole passage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where
from chromadb.config import Settings

from knowledge.embeddings import MODEL_NAME, MiniLMEmbeddingFunction
from knowledge.passages import Passage

PIPELINE_VERSION = f"{MODEL_NAME}/passages-v2"
"""Bump when splitting or indexed text changes: every file is then re-embedded."""
DEFAULT_COLLECTION = "kb-demo"


def open_client(data_dir: Path | None = None, chroma_url: str | None = None) -> ClientAPI:
    """A Chroma server client when `chroma_url` is given, else a persistent one under
    `<data_dir>/chroma`. Telemetry is off either way."""
    settings = Settings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    if data_dir is None:
        raise ValueError("either data_dir or chroma_url is needed")
    path = Path(data_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def sentence_collection_name(name: str) -> str:
    """The companion collection of `name` holding sentence vectors (Chroma allows 63 chars)."""
    full = f"{name}-sentences"
    if len(full) <= 63:
        return full
    return f"{name[:40].rstrip('-_')}-{hashlib.sha256(name.encode()).hexdigest()[:12]}-sentences"


def collection_name(store_dir: Path) -> str:
    """The collection for a store directory (or its `knowledge/` folder): `kb-<store name>`."""
    store_dir = Path(store_dir).resolve()
    if store_dir.name == "knowledge":
        store_dir = store_dir.parent
    slug = re.sub(r"[^a-z0-9_-]+", "-", store_dir.name.lower()).strip("-_") or "store"
    return f"kb-{slug}"[:63].rstrip("-_")


@dataclass(frozen=True)
class StoredPassage:
    """A passage as read back from the store."""

    id: str
    source: str
    title: str
    heading_path: tuple[str, ...]
    text: str

    @property
    def indexed_text(self) -> str:
        """Same text the passage was embedded from (see `Passage.indexed_text`)."""
        return Passage(self.id, self.source, self.title, self.heading_path, self.text).indexed_text


@dataclass(frozen=True)
class FileState:
    """What the store holds for one source file."""

    ids: frozenset[str]
    file_hashes: frozenset[str]
    versions: frozenset[str]
    expected_count: int

    def matches(self, ids: Iterable[str], file_hash: str) -> bool:
        """True when the stored passages are exactly the current, complete set for the file."""
        ids = frozenset(ids)
        return (
            self.ids == ids
            and self.file_hashes == {file_hash}
            and self.versions == {PIPELINE_VERSION}
            and self.expected_count == len(ids)
        )


class PassageStore:
    """Read and write passages (and their sentences) in Chroma collections (cosine space)."""

    def __init__(self, client: ClientAPI, name: str = DEFAULT_COLLECTION) -> None:
        self.client = client
        self.name = name
        self.collection: Collection = client.get_or_create_collection(
            name,
            embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"revision": 0},
        )
        self.sentences: Collection = client.get_or_create_collection(
            sentence_collection_name(name),
            embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )

    def count(self) -> int:
        """Number of stored passages."""
        return self.collection.count()

    def revision(self) -> int:
        """A counter bumped by every ingest that changed something (lets readers refresh)."""
        fresh = self.client.get_collection(self.name)
        return int((fresh.metadata or {}).get("revision", 0))

    def bump_revision(self) -> None:
        """Mark the collection as changed for every process reading it."""
        self.collection.modify(metadata={"revision": self.revision() + 1})

    def file_states(self) -> dict[str, FileState]:
        """The manifest: per source file, what is currently stored."""
        result = self.collection.get(include=["metadatas"])
        grouped: dict[str, dict[str, Any]] = {}
        for passage_id, meta in zip(result["ids"], result["metadatas"] or [], strict=True):
            source = str(meta.get("source", ""))
            entry = grouped.setdefault(
                source, {"ids": set(), "hashes": set(), "versions": set(), "count": 0}
            )
            entry["ids"].add(passage_id)
            entry["hashes"].add(str(meta.get("file_hash", "")))
            entry["versions"].add(str(meta.get("pipeline", "")))
            entry["count"] = max(entry["count"], int(cast(int, meta.get("file_passages", 0))))
        return {
            source: FileState(
                frozenset(e["ids"]), frozenset(e["hashes"]), frozenset(e["versions"]), e["count"]
            )
            for source, e in grouped.items()
        }

    def replace_file(
        self,
        source: str,
        passages: Sequence[Passage],
        embeddings: np.ndarray,
        file_hash: str,
        stale_ids: Iterable[str] = (),
        sentence_embeddings: Sequence[np.ndarray] = (),
    ) -> None:
        """Write a file's sentences and passages, then drop its ids that no longer exist.

        `sentence_embeddings[i]` holds the vectors of `passages[i].sentence_texts`. Sentences go
        first: the passages complete the manifest, so a crash before them is repaired by the
        next ingest. New rows are written before old ones are removed, so a reader never sees
        the file vanish; a crash between the two steps leaves a mismatch the manifest detects.
        """
        batch = self.client.get_max_batch_size()
        if sentence_embeddings:
            self._replace_sentences(source, passages, sentence_embeddings, batch)
        for start in range(0, len(passages), batch):
            chunk = passages[start : start + batch]
            self.collection.upsert(
                ids=[p.id for p in chunk],
                embeddings=embeddings[start : start + batch],
                documents=[p.text for p in chunk],
                metadatas=[_metadata(p, file_hash, len(passages)) for p in chunk],
            )
        keep = {p.id for p in passages}
        self.delete_ids([i for i in stale_ids if i not in keep])

    def _replace_sentences(
        self,
        source: str,
        passages: Sequence[Passage],
        embeddings: Sequence[np.ndarray],
        batch: int,
    ) -> None:
        rows = [
            (f"{passage.id}::{n}", text, vector, _sentence_metadata(passage))
            for passage, vectors in zip(passages, embeddings, strict=True)
            for n, (text, vector) in enumerate(zip(passage.sentence_texts, vectors, strict=True))
        ]
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            self.sentences.upsert(
                ids=[row[0] for row in chunk],
                documents=[row[1] for row in chunk],
                embeddings=np.stack([row[2] for row in chunk]),
                metadatas=[row[3] for row in chunk],
            )
        keep = {row[0] for row in rows}
        old = self.sentences.get(where={"source": source}, include=[])["ids"]
        stale = [i for i in old if i not in keep]
        for start in range(0, len(stale), batch):
            self.sentences.delete(ids=stale[start : start + batch])

    def delete_ids(self, ids: Iterable[str]) -> None:
        """Remove passages, and their sentences, by id (no-op for an empty list)."""
        ids = list(ids)
        batch = self.client.get_max_batch_size()
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            self.sentences.delete(where=cast(Where, {"passage_id": {"$in": chunk}}))
            self.collection.delete(ids=chunk)

    def all_passages(self) -> list[StoredPassage]:
        """Every stored passage, sorted by id (the lexical index is built from these)."""
        result = self.collection.get(include=["documents", "metadatas"])
        rows = zip(result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True)
        passages = [_stored(pid, doc, meta) for pid, doc, meta in rows]
        return sorted(passages, key=lambda p: p.id)

    def query(
        self, embedding: np.ndarray, n_results: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredPassage, float]]:
        """Nearest passages to a normalized query vector, with cosine similarity."""
        n_results = min(n_results, self.count())
        if n_results <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[embedding],
            n_results=n_results,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        docs = (result["documents"] or [[]])[0]
        metas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [
            (_stored(pid, doc, meta), 1.0 - float(dist))
            for pid, doc, meta, dist in zip(ids, docs, metas, distances, strict=True)
        ]

    def query_sentences(
        self, embedding: np.ndarray, n_results: int, where: dict[str, Any] | None = None
    ) -> dict[str, float]:
        """Passage id -> cosine similarity of its closest sentence, over the `n_results`
        sentences nearest to a normalized query vector."""
        n_results = min(n_results, self.sentences.count())
        if n_results <= 0:
            return {}
        result = self.sentences.query(
            query_embeddings=[embedding],
            n_results=n_results,
            where=where or None,
            include=["metadatas", "distances"],
        )
        metas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        best: dict[str, float] = {}
        for meta, distance in zip(metas, distances, strict=True):
            passage_id = str((meta or {}).get("passage_id", ""))
            best[passage_id] = max(best.get(passage_id, -1.0), 1.0 - float(distance))
        return best


def _sentence_metadata(passage: Passage) -> dict[str, str | int]:
    """What a sentence row carries: its passage, and the fields searches filter on."""
    return {
        "passage_id": passage.id,
        "source": passage.source,
        "title": passage.title,
        "heading": passage.heading,
    }


def _metadata(passage: Passage, file_hash: str, file_passages: int) -> dict[str, str | int]:
    return {
        "source": passage.source,
        "title": passage.title,
        "heading": passage.heading,
        "heading_path": " > ".join(passage.heading_path),
        "content_hash": passage.content_hash,
        "file_hash": file_hash,
        "file_passages": file_passages,
        "pipeline": PIPELINE_VERSION,
    }


def _stored(passage_id: str, document: str | None, meta: Any) -> StoredPassage:
    meta = meta or {}
    heading_path = str(meta.get("heading_path", ""))
    return StoredPassage(
        id=passage_id,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        heading_path=tuple(heading_path.split(" > ")) if heading_path else (),
        text=document or "",
    )
