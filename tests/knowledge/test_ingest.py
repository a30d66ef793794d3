"""Incremental ingestion, bad files, crash repair and persistence (loads the model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase, PassageStore, open_client

pytestmark = pytest.mark.slow

SHIPPING = (
    "# Shipping\n\n## Standard\n\nStandard takes 3 to 7 business days.\n\n## Express\n\nNext day.\n"
)
RETURNS = "# Returns\n\n## Window\n\n30 days from delivery.\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    directory = tmp_path / "knowledge"
    directory.mkdir()
    (directory / "shipping.md").write_text(SHIPPING)
    (directory / "returns.md").write_text(RETURNS)
    return directory


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(tmp_path / "data", collection="kb-test")


def test_first_ingest_adds_everything(docs: Path, kb: KnowledgeBase) -> None:
    report = kb.ingest(docs)
    assert sorted(report.added) == ["returns.md", "shipping.md"]
    assert report.passages_written == 3
    assert kb.store.count() == 3


def test_unchanged_files_do_no_work(docs: Path, kb: KnowledgeBase) -> None:
    kb.ingest(docs)
    report = kb.ingest(docs)
    assert sorted(report.unchanged) == ["returns.md", "shipping.md"]
    assert report.passages_written == 0 and not report.changed


def test_changed_file_replaces_its_passages(docs: Path, kb: KnowledgeBase) -> None:
    kb.ingest(docs)
    (docs / "shipping.md").write_text(
        SHIPPING.replace("## Express\n\nNext day.\n", "## Freight\n\nPallets.\n")
    )
    report = kb.ingest(docs)
    assert report.updated == ["shipping.md"] and report.unchanged == ["returns.md"]
    ids = {p.id for p in kb.store.all_passages()}
    assert ids == {"shipping.md#standard", "shipping.md#freight", "returns.md#window"}
    assert kb.search("pallets freight", k=1, method="lexical").ids == ["shipping.md#freight"]


def test_deleted_file_removes_its_passages(docs: Path, kb: KnowledgeBase) -> None:
    kb.ingest(docs)
    (docs / "returns.md").unlink()
    report = kb.ingest(docs)
    assert report.removed == ["returns.md"]
    assert {p.source for p in kb.store.all_passages()} == {"shipping.md"}


def test_bad_files_are_reported_by_name_and_skipped(docs: Path, kb: KnowledgeBase) -> None:
    (docs / "logo.md").write_bytes(b"\x89PNG\x00\x00binary")
    (docs / "empty.md").write_text("  \n")
    (docs / "latin1.txt").write_bytes(b"r\xe9sum\xe9")
    (docs / "image.png").write_bytes(b"\x00")  # not a knowledge suffix: ignored silently
    report = kb.ingest(docs)
    reasons = {s.source: s.reason for s in report.skipped}
    assert set(reasons) == {"logo.md", "empty.md", "latin1.txt"}
    assert reasons["logo.md"] == "binary content"
    assert sorted(report.added) == ["returns.md", "shipping.md"]


def test_half_applied_file_is_repaired(docs: Path, kb: KnowledgeBase) -> None:
    kb.ingest(docs)
    kb.store.delete_ids(["shipping.md#express"])  # as if a crash interrupted a write
    report = kb.ingest(docs)
    assert report.updated == ["shipping.md"]
    assert kb.store.count() == 3


def test_dry_run_reports_without_writing(docs: Path, kb: KnowledgeBase) -> None:
    report = kb.ingest(docs, dry_run=True)
    assert report.dry_run and sorted(report.added) == ["returns.md", "shipping.md"]
    assert kb.store.count() == 0


def test_index_survives_a_restart(docs: Path, tmp_path: Path) -> None:
    first = KnowledgeBase.open(tmp_path / "data", collection="kb-test")
    first.ingest(docs)
    expected = first.search("how many days to return", k=1).ids
    reopened = KnowledgeBase(PassageStore(open_client(tmp_path / "data"), "kb-test"))
    assert reopened.store.count() == 3
    assert reopened.search("how many days to return", k=1).ids == expected == ["returns.md#window"]
    assert reopened.ingest(docs).unchanged == ["returns.md", "shipping.md"]


def test_other_writers_are_seen_by_the_lexical_index(docs: Path, tmp_path: Path) -> None:
    reader = KnowledgeBase.open(tmp_path / "data", collection="kb-test", refresh_seconds=0)
    writer = KnowledgeBase.open(tmp_path / "data", collection="kb-test")
    writer.ingest(docs)
    assert reader.search("pallets", method="lexical").ids == []
    (docs / "freight.md").write_text("# Freight\n\n## Pallets\n\nWe ship pallets.\n")
    writer.ingest(docs)
    assert reader.search("pallets", k=1, method="lexical").ids == ["freight.md#pallets"]
