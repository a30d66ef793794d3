"""The held-out set in five languages (evals/languages/heldout.yaml, issue 16), written apart
from the glossaries, the dev set and the training examples: floors that keep what was measured,
and the issue's bars, not all met yet (strict xfail, so meeting them turns the test red until
the marker goes)."""

from __future__ import annotations

import pytest

from evals.languages.heldout import LanguageScore, evaluate_heldout

LANGUAGES = ("es", "fr", "de", "pt", "it")


@pytest.fixture(scope="module")
def scores() -> dict[str, LanguageScore]:
    return evaluate_heldout()


def test_every_language_is_detected_and_measured(scores: dict[str, LanguageScore]) -> None:
    for language in LANGUAGES:
        assert scores[language].messages >= 44
        assert scores[language].detection >= 0.9, language


def test_the_held_out_numbers_do_not_drop(scores: dict[str, LanguageScore]) -> None:
    """Measured when the glossaries landed: intent 0.817, recall@3 0.950 over all five."""
    assert scores["all"].intent_accuracy >= 0.80
    assert scores["all"].recall_at_3 >= 0.93
    for language in LANGUAGES:
        assert scores[language].intent_accuracy >= 0.70, language
        assert scores[language].recall_at_3 >= 0.80, language


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 bars not reached on the held-out set: intent accuracy 0.817 (bar 0.85; "
    "de 0.729, es 0.812), recall@3 of German 0.833 (bar 0.85); the rest pass",
)
def test_the_issue_bars(scores: dict[str, LanguageScore]) -> None:
    for language in LANGUAGES:
        assert scores[language].intent_accuracy >= 0.85, language
        assert scores[language].recall_at_3 >= 0.85, language
