"""The sets in five languages written apart from the glossaries and the training examples
(issue 16). `evals/languages/heldout.yaml` was the held-out set until its misses were studied to
widen the glossaries, so it is a development set now and keeps its floors; the test set proper is
`evals/languages/fresh2.yaml`, written by another hand afterwards and only measured. The issue's
bars are not all met on it yet (strict xfail, so meeting them turns the test red until the
marker goes)."""

from __future__ import annotations

import pytest

from evals.languages.heldout import HELDOUT_PATH, TEST_PATH, LanguageScore, evaluate_heldout

LANGUAGES = ("es", "fr", "de", "pt", "it")


@pytest.fixture(scope="module")
def scores() -> dict[str, LanguageScore]:
    return evaluate_heldout(path=HELDOUT_PATH)


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


# fresh2.yaml, measured before the glossary work (intent 0.745, recall@3 0.893) and once after it.
TEST_INTENT_FLOORS = {"de": 0.75, "es": 0.84, "fr": 0.818, "it": 0.795, "pt": 0.863}
TEST_RECALL_FLOORS = {"de": 0.833, "es": 0.958, "fr": 0.958, "it": 0.958, "pt": 0.92}


def test_the_test_set_does_not_drop(test_scores: dict[str, LanguageScore]) -> None:
    assert test_scores["all"].intent_accuracy >= 0.813
    assert test_scores["all"].recall_at_3 >= 0.925
    for language in LANGUAGES:
        assert test_scores[language].intent_accuracy >= TEST_INTENT_FLOORS[language], language
        assert test_scores[language].recall_at_3 >= TEST_RECALL_FLOORS[language], language


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 bars not reached on the test set (fresh2.yaml): intent accuracy 0.814 "
    "(bar 0.85; de 0.750, it 0.795, fr 0.818, es 0.841), recall@3 of German 0.833 (bar 0.85)",
)
def test_the_issue_bars(test_scores: dict[str, LanguageScore]) -> None:
    for language in LANGUAGES:
        assert test_scores[language].intent_accuracy >= 0.85, language
        assert test_scores[language].recall_at_3 >= 0.85, language
