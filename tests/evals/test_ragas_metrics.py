"""The offline ragas metrics: each wired to the right ragas class, over the right samples."""

from __future__ import annotations

import sys

import pytest

from evals.harness import ragas_metrics
from evals.harness.ragas_metrics import (
    ID_CONTEXT_PRECISION,
    ID_CONTEXT_RECALL,
    METRIC_NAMES,
    NON_LLM_CONTEXT_RECALL,
    SEMANTIC_SIMILARITY,
    STRING_PRESENCE,
    RagasSample,
    llm_metrics_status,
    offline_scores,
    ragas_available,
)

needs_ragas = pytest.mark.skipif(not ragas_available(), reason="ragas is not installed")

RETURNS = "Unworn items can be returned within 30 days of delivery for a full refund."
SHIPPING = "Standard shipping takes three to five business days within the country."


def retrieval(retrieved: list[str], reference: list[str]) -> RagasSample:
    return RagasSample(
        "Can I send it back?",
        "Yes.",
        retrieved_context_ids=retrieved,
        reference_context_ids=reference,
    )


def answer(response: str, reference: str) -> RagasSample:
    return RagasSample("How long do I have to return it?", response, reference)


@needs_ragas
@pytest.mark.parametrize(
    ("retrieved", "reference", "precision", "recall"),
    [
        (["kb:returns#1", "kb:returns#2"], ["kb:returns#2", "kb:returns#1"], 1.0, 1.0),
        (["kb:shipping#1"], ["kb:returns#1"], 0.0, 0.0),
        (["kb:returns#1", "kb:shipping#1"], ["kb:returns#1"], 0.5, 1.0),
        (["kb:returns#1"], ["kb:returns#1", "kb:returns#2"], 1.0, 0.5),
    ],
    ids=["same", "disjoint", "half-retrieved-relevant", "half-reference-retrieved"],
)
def test_id_based_context_precision_and_recall(
    retrieved: list[str], reference: list[str], precision: float, recall: float
) -> None:
    scores = offline_scores([retrieval(retrieved, reference)])
    assert scores[ID_CONTEXT_PRECISION] == precision
    assert scores[ID_CONTEXT_RECALL] == recall


@needs_ragas
def test_scores_are_means_over_the_samples_that_apply() -> None:
    scores = offline_scores(
        [
            retrieval(["a", "b"], ["a", "b"]),
            retrieval(["c"], ["a"]),
            retrieval(["a", "x", "y", "z"], ["a", "b"]),
            retrieval(["a"], []),  # no reference ids: counts for neither
            retrieval([], ["a"]),  # nothing retrieved: recall 0, precision undefined
        ]
    )
    assert scores[ID_CONTEXT_PRECISION] == pytest.approx((1 + 0 + 0.25) / 3)
    assert scores[ID_CONTEXT_RECALL] == pytest.approx((1 + 0 + 0.5 + 0) / 4)


@needs_ragas
def test_non_llm_context_recall_compares_passage_texts() -> None:
    found = RagasSample(
        "q", "r", retrieved_contexts=[SHIPPING, RETURNS], reference_contexts=[RETURNS]
    )
    missed = RagasSample("q", "r", retrieved_contexts=[SHIPPING], reference_contexts=[RETURNS])
    assert offline_scores([found])[NON_LLM_CONTEXT_RECALL] == 1.0
    assert offline_scores([missed])[NON_LLM_CONTEXT_RECALL] == 0.0
    assert offline_scores([found, missed])[NON_LLM_CONTEXT_RECALL] == 0.5


@needs_ragas
def test_string_presence_looks_for_the_reference_in_the_reply() -> None:
    present = answer("You have 30 days from delivery to return it.", "30 days")
    absent = answer("You have two weeks to return it.", "30 days")
    assert offline_scores([present])[STRING_PRESENCE] == 1.0
    assert offline_scores([absent])[STRING_PRESENCE] == 0.0


@needs_ragas
def test_metrics_no_sample_applies_to_are_none() -> None:
    assert offline_scores([]) == dict.fromkeys(METRIC_NAMES)
    unlabelled = RagasSample("Hi", "Hello! How can I help?")
    assert offline_scores([unlabelled]) == dict.fromkeys(METRIC_NAMES)
    ids_only = offline_scores([retrieval(["a"], ["a"])])
    assert ids_only[ID_CONTEXT_RECALL] == 1.0
    assert ids_only[STRING_PRESENCE] is None
    assert ids_only[SEMANTIC_SIMILARITY] is None
    assert ids_only[NON_LLM_CONTEXT_RECALL] is None


@needs_ragas
@pytest.mark.slow
def test_semantic_similarity_uses_the_minilm_model() -> None:
    reference = "You can return unworn items within 30 days for a full refund."
    paraphrase = (
        "Items that haven't been worn may be sent back for a complete refund within a month."
    )
    unrelated = "Our warehouse in Leeds ships parcels with the national postal service."

    def similarity(response: str) -> float:
        value = offline_scores([answer(response, reference)])[SEMANTIC_SIMILARITY]
        assert value is not None
        return value

    assert similarity(reference) == pytest.approx(1.0, abs=1e-5)
    assert similarity(paraphrase) > similarity(unrelated) + 0.3


def test_llm_status_says_llm_metrics_were_skipped() -> None:
    line = llm_metrics_status(llm_configured=False)
    if ragas_available():
        assert "skipped" in line
        assert "no LLM is configured" in line
        assert "faithfulness" in line
    assert "\n" not in line


def test_without_ragas_the_scores_are_empty_and_the_status_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ragas", None)  # makes `import ragas...` fail
    ragas_metrics.ragas_available.cache_clear()
    try:
        assert not ragas_available()
        assert offline_scores([answer("30 days", "30 days")]) == {}
        assert "ragas is not installed" in llm_metrics_status(llm_configured=False)
    finally:
        ragas_metrics.ragas_available.cache_clear()
