"""Retrieval on the demo store: labelled questions, thresholds, filters, no network."""

from __future__ import annotations

import socket

import pytest

from evals.retrieval import load_questions
from knowledge import KnowledgeBase
from knowledge.embeddings import encode

pytestmark = pytest.mark.slow

QUESTIONS = load_questions()
SAMPLE = [q for q in QUESTIONS if q.answerable][::6]


KNOWN_MISSES = {
    "q013": "a product-name-only match ('Last Chance' rain shell) fell to rank 9 when passage "
    "sentences joined the dense score; the recall@3 of the whole set rose from 0.950 to 0.981",
}
CASES = [
    pytest.param(q, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[q.id]))
    if q.id in KNOWN_MISSES
    else q
    for q in SAMPLE
]


@pytest.mark.parametrize("question", CASES, ids=[q.id for q in SAMPLE])
def test_hybrid_finds_the_labelled_passage(demo_kb: KnowledgeBase, question) -> None:  # type: ignore[no-untyped-def]
    result = demo_kb.search(question.text, k=5)
    assert question.relevant_ids & set(result.ids), (question.text, result.ids)


def test_results_carry_ids_titles_headings_and_scores(demo_kb: KnowledgeBase) -> None:
    result = demo_kb.search("can I return a final sale item?", k=3)
    top = result.passages[0]
    assert top.id == "returns-and-exchanges.md#final-sale-items"
    assert top.title == "Returns and exchanges"
    assert top.heading == "Final-sale items"
    assert top.dense_score is not None and 0 < top.dense_score <= 1
    assert [p.score for p in result.passages] == sorted(
        (p.score for p in result.passages), reverse=True
    )


@pytest.mark.parametrize("method", ["dense", "lexical", "hybrid"])
def test_every_method_ranks(demo_kb: KnowledgeBase, method: str) -> None:
    result = demo_kb.search("do gift cards expire", k=4, method=method)  # type: ignore[arg-type]
    assert len(result.passages) == 4
    assert "gift-cards.md#expiry-refunds-and-cash" in result.ids


def test_out_of_scope_questions_are_not_answerable(demo_kb: KnowledgeBase) -> None:
    result = demo_kb.search("who won the game last night")
    assert not result.answerable and result.confidence < result.threshold
    assert demo_kb.search("how long do I have to return a jacket").answerable


def test_threshold_is_configurable(demo_kb: KnowledgeBase) -> None:
    strict = KnowledgeBase(demo_kb.store, threshold=0.99)
    assert not strict.search("how long do I have to return a jacket").answerable
    assert not demo_kb.search("   ").answerable


def test_filters_restrict_every_method(demo_kb: KnowledgeBase) -> None:
    for method in ("dense", "lexical", "hybrid"):
        result = demo_kb.search(
            "refund",
            k=3,
            filters={"source": "refunds.md"},
            method=method,  # type: ignore[arg-type]
        )
        assert result.passages and {p.source for p in result.passages} == {"refunds.md"}
    with pytest.raises(ValueError, match="cannot filter"):
        demo_kb.search("refund", filters={"colour": "red"})


def test_encode_is_normalized() -> None:
    vectors = encode(["hello", "refund please"])
    assert vectors.shape == (2, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4


def test_model_and_search_work_with_the_network_blocked(demo_kb: KnowledgeBase) -> None:
    """The session guard (tests/conftest.py) refuses non-loopback connections; prove it is on,
    then load the model and search under it."""
    with socket.socket() as sock, pytest.raises(RuntimeError, match="tried to connect"):
        sock.connect(("198.51.100.7", 443))
    assert encode(["where is my order"]).shape == (1, 384)
    assert demo_kb.search("where is my order", k=3).passages
