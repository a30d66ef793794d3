"""Score the intent classifier on the mapped Bitext utterances.

`evaluate_intents()` returns an `IntentEvalReport` (overall and per-intent accuracy, the most
frequent confusions, calibration on this unseen data) or None when the dataset is absent.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.understanding.calibration import expected_calibration_error
from agent.understanding.classifier import IntentClassifier
from evals.intents.bitext import UNMAPPED, bitext_csv, load_utterances


@dataclass
class IntentEvalReport:
    """Every number of one run, JSON-serialisable with `dataclasses.asdict`."""

    utterances: int
    accuracy: float
    per_intent: dict[str, float]
    """Accuracy per Bitext intent (labelled `bitext -> ours`)."""
    per_target: dict[str, float]
    """Accuracy per Threadline intent."""
    confusions: list[tuple[str, str, int]]
    """(expected, predicted, count), most frequent first."""
    low_confidence_share: float
    accuracy_when_confident: float
    ece: float
    skipped_intents: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    examples_of_errors: dict[str, list[str]] = field(default_factory=dict)


def evaluate_intents(
    classifier: IntentClassifier | None = None,
    dataset_dir: Path | None = None,
    top_confusions: int = 12,
) -> IntentEvalReport | None:
    """Classify every mapped utterance; None when `../shared` is absent."""
    path = bitext_csv(dataset_dir) if dataset_dir is not None else bitext_csv()
    if path is None:
        return None
    utterances = load_utterances(path)
    classifier = classifier or IntentClassifier.load()
    started = time.perf_counter()
    predictions = classifier.predict_many([u.text for u in utterances], top_k=19)
    seconds = time.perf_counter() - started

    totals: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    target_totals: Counter[str] = Counter()
    target_hits: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    errors: dict[str, list[str]] = defaultdict(list)
    for utterance, prediction in zip(utterances, predictions, strict=True):
        label = f"{utterance.bitext_intent} -> {utterance.expected}"
        correct = prediction.intent == utterance.expected
        totals[label] += 1
        target_totals[utterance.expected] += 1
        if correct:
            hits[label] += 1
            target_hits[utterance.expected] += 1
        else:
            confusions[(utterance.expected, prediction.intent)] += 1
            if len(errors[label]) < 3:
                errors[label].append(f"{utterance.text!r} -> {prediction.intent}")

    correct_flags = np.array(
        [p.intent == u.expected for u, p in zip(utterances, predictions, strict=True)]
    )
    confident = np.array([not p.low_confidence for p in predictions])
    names = [s.intent for s in predictions[0].top] if predictions else []
    order = sorted(names)
    probabilities = np.array(
        [[dict((s.intent, s.score) for s in p.top)[n] for n in order] for p in predictions]
    )
    labels = np.array([order.index(u.expected) for u in utterances])
    return IntentEvalReport(
        utterances=len(utterances),
        accuracy=float(correct_flags.mean()),
        per_intent={k: hits[k] / totals[k] for k in sorted(totals)},
        per_target={k: target_hits[k] / target_totals[k] for k in sorted(target_totals)},
        confusions=[(a, b, n) for (a, b), n in confusions.most_common(top_confusions)],
        low_confidence_share=float(1.0 - confident.mean()),
        accuracy_when_confident=float(correct_flags[confident].mean()) if confident.any() else 0.0,
        ece=expected_calibration_error(probabilities, labels),
        skipped_intents=dict(UNMAPPED),
        seconds=seconds,
        examples_of_errors=dict(errors),
    )
