"""Bitext: intent accuracy on unseen data, and proof our examples are not taken from it."""

from __future__ import annotations

import re

import pytest

from agent.understanding import IntentClassifier
from agent.understanding.classifier import load_examples
from evals.intents import evaluate_intents
from evals.intents.bitext import bitext_csv, load_instructions

BITEXT = bitext_csv()
needs_bitext = pytest.mark.skipif(BITEXT is None, reason="../shared/datasets/bitext is absent")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@needs_bitext
def test_no_training_example_is_a_bitext_instruction() -> None:
    assert BITEXT is not None
    bitext = {_normalise(text) for text in load_instructions(BITEXT)}
    ours = {_normalise(t) for texts in load_examples().values() for t in texts}
    assert ours & bitext == set()


@needs_bitext
@pytest.mark.slow
def test_bitext_accuracy() -> None:
    report = evaluate_intents(IntentClassifier.load())
    assert report is not None
    assert report.utterances > 3000
    assert report.accuracy >= 0.92, report.per_intent


def test_runner_skips_without_dataset(tmp_path: object) -> None:
    from pathlib import Path

    assert evaluate_intents(dataset_dir=Path(str(tmp_path))) is None
