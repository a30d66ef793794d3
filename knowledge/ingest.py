"""Incremental ingestion of a knowledge directory into the passage store.

Everything is read, split and compared with the store's manifest first; only then are changes
applied, one file at a time (write the file's new passages, then drop its stale ids). Unchanged
files cost a hash and no embedding; files that disappeared lose their passages.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.embeddings import encode
from knowledge.passages import SUFFIXES, BadDocument, Passage, load_passages
from knowledge.store import PassageStore

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
"""Called as `(files_done, files_total, current_file)` while changes are applied."""


@dataclass
class SkippedFile:
    """A file that was not ingested, and why."""

    source: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest did, per file (relative paths). Serializable with `dataclasses.asdict`."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    passages_written: int = 0
    passages_deleted: int = 0
    passages_total: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """True when the index differs (or would differ, for a dry run) from before."""
        return bool(self.added or self.updated or self.removed)


@dataclass
class _PlannedFile:
    source: str
    passages: list[Passage]
    file_hash: str
    stale_ids: frozenset[str]


def discover(directory: Path) -> list[Path]:
    """Knowledge files under `directory`, recursively, sorted; hidden paths are ignored."""
    files = [
        path
        for path in directory.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
    ]
    return sorted(files)


def ingest_directory(
    directory: Path,
    store: PassageStore,
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Bring `store` in line with the documents in `directory` and report what changed.

    `dry_run` computes the report without embedding or writing (e.g. "is the index stale?").
    """
    started = time.perf_counter()
    directory = Path(directory)
    if not directory.is_dir():
        raise NotADirectoryError(f"not a directory: {directory}")
    report = IngestReport(dry_run=dry_run)
    states = store.file_states()
    planned: list[_PlannedFile] = []
    present: set[str] = set()

    for path in discover(directory):
        source = path.relative_to(directory).as_posix()
        try:
            passages = load_passages(path, source)
        except BadDocument as error:
            report.skipped.append(SkippedFile(source, str(error)))
            logger.warning("skipping %s: %s", source, error)
            continue
        present.add(source)
        file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        state = states.get(source)
        if state is not None and state.matches((p.id for p in passages), file_hash):
            report.unchanged.append(source)
            continue
        (report.updated if state is not None else report.added).append(source)
        stale = state.ids if state is not None else frozenset()
        planned.append(_PlannedFile(source, passages, file_hash, stale))

    # Skipped files keep no passages either: a file that turned bad is treated as removed.
    gone = sorted(source for source in states if source not in present)
    report.removed = gone
    report.passages_total = sum(len(p.passages) for p in planned) + sum(
        len(states[s].ids) for s in report.unchanged
    )
    if not dry_run:
        total = len(planned) + len(gone)
        for done, item in enumerate(planned):
            if progress:
                progress(done, total, item.source)
            embeddings, sentence_embeddings = _embed(item.passages)
            store.replace_file(
                item.source,
                item.passages,
                embeddings,
                item.file_hash,
                item.stale_ids,
                sentence_embeddings=sentence_embeddings,
            )
            report.passages_written += len(item.passages)
            report.passages_deleted += len(item.stale_ids - {p.id for p in item.passages})
        for done, source in enumerate(gone, start=len(planned)):
            if progress:
                progress(done, total, source)
            store.delete_ids(states[source].ids)
            report.passages_deleted += len(states[source].ids)
        if progress:
            progress(total, total, "")
        if report.changed:
            store.bump_revision()
    report.seconds = time.perf_counter() - started
    logger.info(
        "ingest %s: %d added, %d updated, %d unchanged, %d removed, %d skipped in %.2fs",
        directory,
        len(report.added),
        len(report.updated),
        len(report.unchanged),
        len(report.removed),
        len(report.skipped),
        report.seconds,
    )
    return report


def _embed(passages: list[Passage]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Passage vectors and, per passage, its sentence vectors: one model call for the file."""
    sentences = [p.sentence_texts for p in passages]
    vectors = encode([p.indexed_text for p in passages] + [t for s in sentences for t in s])
    passage_vectors, rest = vectors[: len(passages)], vectors[len(passages) :]
    bounds = np.cumsum([0, *(len(s) for s in sentences)])
    return passage_vectors, [rest[a:b] for a, b in itertools.pairwise(bounds)]
