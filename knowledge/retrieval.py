"""Search the knowledge store: dense (MiniLM + Chroma), lexical (BM25) and hybrid (fused).

`KnowledgeBase.search` is what the agent and the API call. Besides ranked passages it returns a
confidence (the best dense score of any passage) and `answerable`, False when the confidence is
under the threshold measured on the evaluation sets: the agent should then ask a clarifying
question or escalate instead of answering from a weak match.

A passage's dense score blends two cosines of the one query vector: with the whole passage
(heading path and body) and with its closest single sentence (led by the heading). The whole
passage carries the topic; the sentence finds a detail that the passage vector averages away,
which matters when a store words its headings and bodies differently from the question
("do gift cards expire?" against "Buying a gift card: ... stay valid for five years").
Both kinds of vector are computed at ingest, so a search embeds nothing but the query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from knowledge.embeddings import encode
from knowledge.ingest import IngestReport, ProgressCallback, ingest_directory
from knowledge.lexical import LexicalIndex
from knowledge.normalize import expand_query
from knowledge.store import DEFAULT_COLLECTION, PassageStore, StoredPassage, open_client

Method = Literal["dense", "lexical", "hybrid"]
METHODS: tuple[Method, ...] = ("dense", "lexical", "hybrid")

ANSWERABLE_THRESHOLD = 0.40
"""Best dense score (passage/sentence blend) under which a query counts as unanswered; chosen on
the demo and second-store evaluation sets (`python -m evals.retrieval --store …`)."""
PASSAGE_WEIGHT = 0.4
"""Dense score = PASSAGE_WEIGHT * cosine(query, passage) + the rest * cosine(query, best
sentence). On both evaluation sets 0.3-0.5 score within 0.01 MRR of each other, and well above
the passage cosine alone (1.0), which misses details inside long sections."""
Fusion = Literal["convex", "rrf"]
LEXICAL_WEIGHT = 0.15
"""Convex fusion: score = dense + LEXICAL_WEIGHT * BM25 / max(best BM25 of the query,
LEXICAL_FLOOR). Chosen with `python -m evals.retrieval --sweep` on both evaluation sets."""
LEXICAL_FLOOR = 4.0
"""A query whose best BM25 is under this matched only a common word or two ("back", "long");
its lexical bonus shrinks in proportion instead of crowning whichever passage had that word."""
RRF_K = 60
"""Reciprocal-rank-fusion constant (Cormack et al. 2009), for `fusion="rrf"`."""
CANDIDATES = 50
"""How deep each retriever's list goes before fusion."""
SENTENCE_CANDIDATES = 100
"""How many nearest sentences are read to find each candidate passage's best sentence."""


@dataclass(frozen=True)
class RetrievedPassage:
    """One search hit."""

    id: str
    """Stable passage id, `file.md#heading-slug`."""
    title: str
    """Document title."""
    heading_path: tuple[str, ...]
    """Headings from the document title down to the passage."""
    text: str
    """Passage body."""
    source: str
    """File the passage came from, relative to the knowledge directory."""
    score: float
    """The ranking score of the method used (cosine, BM25, or the fused score)."""
    dense_score: float | None
    """Dense score (passage/sentence cosine blend), when the passage was a dense candidate."""
    lexical_score: float | None
    """BM25 score, when the passage matched any query token."""

    @property
    def heading(self) -> str:
        """The passage's own heading."""
        return self.heading_path[-1] if self.heading_path else self.title


@dataclass(frozen=True)
class SearchResult:
    """Ranked passages plus the decision whether they are good enough to answer from."""

    query: str
    method: Method
    passages: list[RetrievedPassage]
    confidence: float
    """Best dense score (passage/sentence cosine blend) of any passage (0 when none)."""
    threshold: float
    answerable: bool
    """False: no passage is close enough; ask or escalate rather than answer."""

    @property
    def ids(self) -> list[str]:
        """Passage ids in rank order."""
        return [p.id for p in self.passages]


class KnowledgeBase:
    """The retrieval API over one store's collection. Thread-safe for concurrent searches."""

    def __init__(
        self,
        store: PassageStore,
        *,
        threshold: float = ANSWERABLE_THRESHOLD,
        fusion: Fusion = "convex",
        lexical_weight: float = LEXICAL_WEIGHT,
        passage_weight: float = PASSAGE_WEIGHT,
        rrf_k: int = RRF_K,
        refresh_seconds: float = 2.0,
    ) -> None:
        self.store = store
        self.threshold = threshold
        self.fusion = fusion
        self.lexical_weight = lexical_weight
        self.passage_weight = passage_weight
        self.rrf_k = rrf_k
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._revision = -1
        self._checked_at = 0.0

    @classmethod
    def open(
        cls,
        data_dir: Path | None = None,
        *,
        chroma_url: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        **options: Any,
    ) -> KnowledgeBase:
        """Open (creating if needed) `collection` under `data_dir`, or on a Chroma server."""
        return cls(PassageStore(open_client(data_dir, chroma_url), collection), **options)

    def ingest(
        self,
        directory: Path,
        *,
        dry_run: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Bring the collection in line with `directory` (see `knowledge.ingest`)."""
        report = ingest_directory(directory, self.store, dry_run=dry_run, progress=progress)
        if report.changed and not dry_run:
            with self._lock:
                self._lexical = None
        return report

    def search(
        self,
        query: str,
        k: int = 5,
        filters: dict[str, Any] | None = None,
        method: Method = "hybrid",
        *,
        query_embedding: np.ndarray | None = None,
    ) -> SearchResult:
        """The `k` best passages for `query`.

        `filters` restricts by passage metadata (`source`, `title`, `heading`) with Chroma's
        `where` syntax: `{"source": "returns.md"}` or `{"source": {"$in": [...]}}`.
        `query_embedding` lets a caller that batch-encoded queries skip the model call.
        """
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
        expanded = expand_query(query.strip())
        if not query.strip() or self.store.count() == 0:
            return SearchResult(query, method, [], 0.0, self.threshold, False)
        if query_embedding is None:
            query_embedding = encode([expanded])[0]
        where = _chroma_where(filters)
        index = self._lexical_index()
        passages = self.store.query(query_embedding, CANDIDATES, where)
        sentences = self.store.query_sentences(query_embedding, SENTENCE_CANDIDATES, where)
        by_id = index.by_id | {p.id: p for p, _ in passages}
        dense_scores = self._dense({p.id: s for p, s in passages}, sentences, by_id)
        dense = sorted(dense_scores.items(), key=lambda item: (-item[1], item[0]))
        lexical = self._lexical_hits(index, expanded, filters)
        lexical_scores = {p.id: score for p, score in lexical}

        if method == "dense":
            ranked = dense
        elif method == "lexical":
            ranked = [(p.id, s) for p, s in lexical]
        elif self.fusion == "rrf":
            ranked = self._rrf([pid for pid, _ in dense], [p.id for p, _ in lexical])
        else:
            ranked = self._convex(dense_scores, lexical_scores)
        hits = [
            _hit(by_id[pid], score, dense_scores.get(pid), lexical_scores.get(pid))
            for pid, score in ranked[:k]
        ]
        confidence = max(dense_scores.values(), default=0.0)
        answerable = bool(hits) and confidence >= self.threshold
        return SearchResult(query, method, hits, confidence, self.threshold, answerable)

    def search_many(
        self, queries: Sequence[str], k: int = 5, method: Method = "hybrid"
    ) -> list[SearchResult]:
        """`search` for many queries, encoding them in one batch (evaluations, bulk checks)."""
        embeddings = encode([expand_query(q.strip()) for q in queries])
        return [
            self.search(q, k, method=method, query_embedding=e)
            for q, e in zip(queries, embeddings, strict=True)
        ]

    def _dense(
        self,
        passages: dict[str, float],
        sentences: dict[str, float],
        known: dict[str, StoredPassage],
    ) -> dict[str, float]:
        """Blend each candidate's passage cosine with its best sentence cosine.

        A candidate missing from one list gets that list's lowest cosine (an upper bound of its
        true one, as Chroma returned the nearest). An index without sentence vectors (written
        before they existed, until the next ingest) ranks by the passage cosine alone."""
        if not sentences:
            return dict(passages)
        passage_floor = min(passages.values(), default=0.0)
        sentence_floor = min(sentences.values())
        weight = self.passage_weight
        return {
            pid: weight * passages.get(pid, passage_floor)
            + (1.0 - weight) * sentences.get(pid, sentence_floor)
            for pid in passages.keys() | sentences.keys()
            if pid in known
        }

    def _convex(
        self, dense: dict[str, float], lexical: dict[str, float]
    ) -> list[tuple[str, float]]:
        """dense + w * BM25 / max(best BM25, floor). Scores keep their meaning (unlike ranks), so
        a strong lexical match can lift a passage past a slightly closer but vaguer dense
        neighbour, while a match on one common word adds little. Passages outside the dense
        candidates get the lowest candidate score (an upper bound of their true one)."""
        floor = min(dense.values(), default=0.0)
        best = max(max(lexical.values(), default=0.0), LEXICAL_FLOOR)
        fused = {
            pid: dense.get(pid, floor) + self.lexical_weight * lexical.get(pid, 0.0) / best
            for pid in dense.keys() | lexical.keys()
        }
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    def _rrf(self, dense_ids: list[str], lexical_ids: list[str]) -> list[tuple[str, float]]:
        """Reciprocal-rank fusion: score = sum of 1 / (rrf_k + rank) over both lists."""
        fused: dict[str, float] = {}
        for ids in (dense_ids, lexical_ids):
            for rank, pid in enumerate(ids, start=1):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (self.rrf_k + rank)
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    def _lexical_hits(
        self, index: LexicalIndex, query: str, filters: dict[str, Any] | None
    ) -> list[tuple[StoredPassage, float]]:
        scores = index.scores(query)
        order = np.argsort(-scores, kind="stable")
        hits: list[tuple[StoredPassage, float]] = []
        for position in order:
            score = float(scores[position])
            if score <= 0.0 or len(hits) >= CANDIDATES:
                break
            passage = index.passages[position]
            if filters is None or _matches(passage, filters):
                hits.append((passage, score))
        return hits

    def _lexical_index(self) -> LexicalIndex:
        """The BM25 index, rebuilt from Chroma when another writer changed the collection."""
        with self._lock:
            now = time.monotonic()
            if self._lexical is None or now - self._checked_at >= self.refresh_seconds:
                revision = self.store.revision()
                self._checked_at = now
                if self._lexical is None or revision != self._revision:
                    self._lexical = LexicalIndex(self.store.all_passages())
                    self._revision = revision
            return self._lexical


def _hit(
    passage: StoredPassage, score: float, dense: float | None, lexical: float | None
) -> RetrievedPassage:
    return RetrievedPassage(
        id=passage.id,
        title=passage.title,
        heading_path=passage.heading_path,
        text=passage.text,
        source=passage.source,
        score=round(score, 6),
        dense_score=None if dense is None else round(dense, 6),
        lexical_score=None if lexical is None else round(lexical, 6),
    )


_FILTER_FIELDS = {"source", "title", "heading"}


def _chroma_where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Chroma wants one key per `where` level: several equalities become an `$and`."""
    if not filters:
        return None
    for key in filters:
        if key not in _FILTER_FIELDS and not key.startswith("$"):
            raise ValueError(f"cannot filter on {key!r}; use {sorted(_FILTER_FIELDS)}")
    if len(filters) == 1:
        return filters
    return {"$and": [{key: value} for key, value in filters.items()]}


def _matches(passage: StoredPassage, filters: dict[str, Any]) -> bool:
    """Evaluate the `where` subset we support (equality, $eq/$ne/$in/$nin, $and/$or) in Python."""
    heading = passage.heading_path[-1] if passage.heading_path else passage.title
    values = {"source": passage.source, "title": passage.title, "heading": heading}
    for key, condition in filters.items():
        if key == "$and":
            ok = all(_matches(passage, sub) for sub in condition)
        elif key == "$or":
            ok = any(_matches(passage, sub) for sub in condition)
        elif isinstance(condition, dict):
            ok = all(_compare(values.get(key), op, arg) for op, arg in condition.items())
        else:
            ok = values.get(key) == condition
        if not ok:
            return False
    return True


def _compare(value: object, op: str, arg: Any) -> bool:
    if op == "$eq":
        return bool(value == arg)
    if op == "$ne":
        return bool(value != arg)
    if op == "$in":
        return value in arg
    if op == "$nin":
        return value not in arg
    raise ValueError(f"unsupported filter operator {op!r}")
