"""The evaluation set's integrity, its metrics, and the `threadline knowledge` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.knowledge import app
from evals.retrieval import load_questions, score_rankings
from evals.retrieval.bitext import INTENT_DOCUMENTS, bitext_csv, load_bitext
from evals.retrieval.stores import SECOND_STORE_QUESTIONS, eval_store, second_store_documents
from knowledge.passages import load_passages, split_document

DEMO = Path(__file__).resolve().parents[2] / "stores" / "demo" / "knowledge"


def test_every_label_names_an_existing_passage() -> None:
    known = {p.id for f in DEMO.glob("*.md") for p in load_passages(f, f.name)}
    questions = load_questions()
    assert len([q for q in questions if q.answerable]) >= 150
    assert len({q.id for q in questions}) == len(questions)
    assert all(q.relevant_ids <= known for q in questions)
    documents = {f.name for f in DEMO.glob("*.md")}
    assert len(documents) >= 15
    assert {d for docs in INTENT_DOCUMENTS.values() for d in docs} <= documents


def test_metrics_count_needs_and_first_hit() -> None:
    needs = [(frozenset({"a"}), frozenset({"b", "c"}))]
    scores = score_rankings([["x", "c", "a"]], needs)
    assert scores.recall[1] == 0.0 and scores.recall[3] == 1.0
    assert scores.mrr == pytest.approx(0.5)


def test_bitext_loads_or_skips() -> None:
    path = bitext_csv()
    if path is None:
        pytest.skip("../shared/datasets/bitext is not present")
    sample = load_bitext(path, per_intent=2)
    assert len(sample) == 2 * len(INTENT_DOCUMENTS)


def test_policy_numbers_appear_in_the_documents() -> None:
    text = " ".join(f.read_text() for f in DEMO.glob("*.md"))
    for fact in (
        "30 days",
        "$100",
        "help@northwind-outfitters.example",
        "unfulfilled",
        "Final Sale",
    ):
        assert fact in text


@pytest.mark.slow
def test_cli_ingest_then_search(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    first = runner.invoke(app, ["ingest", str(DEMO.parent), *data])
    assert first.exit_code == 0, first.output
    assert "16 added" in " ".join(first.output.split())
    again = runner.invoke(app, ["ingest", str(DEMO), *data])
    assert "16 unchanged" in " ".join(again.output.split())
    query = ["search", "do gift cards expire", "--k", "2", "--no-show-text", *data]
    found = runner.invoke(app, query, env={"COLUMNS": "200"})
    assert found.exit_code == 0, found.output
    assert "gift-cards.md#expiry-refunds-and-cash" in found.output
    bad = runner.invoke(app, ["search", "x", "--method", "magic", *data])
    assert bad.exit_code != 0


def test_the_second_store_set_labels_every_passage_and_has_out_of_scope_questions() -> None:
    passages = {
        p.id for name, text in second_store_documents().items() for p in split_document(text, name)
    }
    questions = load_questions(SECOND_STORE_QUESTIONS)
    answerable = [q for q in questions if q.answerable]
    assert len(answerable) >= 60 and len(questions) - len(answerable) >= 10
    assert len({q.id for q in questions}) == len(questions)
    labelled = frozenset().union(*(q.relevant_ids for q in answerable))
    assert labelled == passages  # every passage asked about, no label naming a missing one


def test_the_second_store_is_written_to_a_scratch_directory() -> None:
    with eval_store("second") as store:
        names = sorted(p.name for p in store.knowledge_dir.glob("*.md"))
        assert names == sorted(second_store_documents())
        assert not store.bitext
    assert not store.knowledge_dir.exists()
