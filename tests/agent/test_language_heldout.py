"""The sets in five languages written apart from the glossaries and the training examples
(issue 16). `evals/languages/heldout.yaml` and `fresh2.yaml` were each the held-out set until
their misses were studied to widen the glossaries, so they are development sets now and keep
their floors; the test set proper is `evals/languages/fresh3.yaml`, written by another hand
afterwards and only measured. The issue's bars are not all met on it yet (strict xfail, so
meeting them turns the test red until the marker goes)."""

from __future__ import annotations

import pytest

from evals.languages.heldout import (
    FRESH2_PATH,
    HELDOUT_PATH,
    TEST_PATH,
    LanguageScore,
    evaluate_heldout,
)

LANGUAGES = ("es", "fr", "de", "pt", "it")


@pytest.fixture(scope="module")
def scores() -> dict[str, LanguageScore]:
    return evaluate_heldout(path=HELDOUT_PATH)


@pytest.fixture(scope="module")
def fresh2_scores() -> dict[str, LanguageScore]:
    return evaluate_heldout(path=FRESH2_PATH)


@pytest.fixture(scope="module")
def test_scores() -> dict[str, LanguageScore]:
    return evaluate_heldout(path=TEST_PATH)


def test_every_language_is_detected_and_measured(
    scores: dict[str, LanguageScore], test_scores: dict[str, LanguageScore]
) -> None:
    for language in LANGUAGES:
        assert scores[language].messages >= 44 and test_scores[language].messages >= 40
        assert scores[language].detection >= 0.9, language
        assert test_scores[language].detection >= 0.9, language


def test_the_development_set_meets_the_bars(scores: dict[str, LanguageScore]) -> None:
    """Measured 0.817 intent and 0.950 recall@3 before its misses were studied; 0.933 and
    0.992 after (every language at least 0.896 and 0.958)."""
    assert scores["all"].intent_accuracy >= 0.93
    assert scores["all"].recall_at_3 >= 0.99
    for language in LANGUAGES:
        assert scores[language].intent_accuracy >= 0.85, language
        assert scores[language].recall_at_3 >= 0.85, language


def test_the_second_development_set_keeps_its_figures(
    fresh2_scores: dict[str, LanguageScore],
) -> None:
    """fresh2.yaml was the test set (intent 0.745 before and 0.814 after the first glossary
    work); its misses were then studied: 0.891 and recall@3 0.983 since (every language at
    least 0.886 and 0.958)."""
    assert fresh2_scores["all"].intent_accuracy >= 0.89
    assert fresh2_scores["all"].recall_at_3 >= 0.98
    for language in LANGUAGES:
        assert fresh2_scores[language].intent_accuracy >= 0.88, language
        assert fresh2_scores[language].recall_at_3 >= 0.95, language


# fresh3.yaml, measured before the second glossary round (intent 0.824, recall@3 0.915) and once
# after it.
TEST_INTENT_FLOORS = {"de": 0.74, "es": 0.84, "fr": 0.88, "it": 0.90, "pt": 0.82}
TEST_RECALL_FLOORS = {"de": 0.884, "es": 1.0, "fr": 0.88, "it": 0.961, "pt": 1.0}


def test_the_test_set_does_not_drop(test_scores: dict[str, LanguageScore]) -> None:
    assert test_scores["all"].intent_accuracy >= 0.835
    assert test_scores["all"].recall_at_3 >= 0.945
    for language in LANGUAGES:
        assert test_scores[language].intent_accuracy >= TEST_INTENT_FLOORS[language], language
        assert test_scores[language].recall_at_3 >= TEST_RECALL_FLOORS[language], language


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 bar not reached on the test set (fresh3.yaml): intent accuracy 0.836 "
    "(bar 0.85; de 0.74, pt 0.82, es 0.84); recall@3 0.946 meets it in every language",
)
def test_the_issue_bars(test_scores: dict[str, LanguageScore]) -> None:
    for language in LANGUAGES:
        assert test_scores[language].intent_accuracy >= 0.85, language
        assert test_scores[language].recall_at_3 >= 0.85, language
