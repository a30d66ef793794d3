"""Score the safety-topic flags on the training exemplars (out of fold) and the held-out sets.

Each set was written apart from the exemplars. The development sets (`heldout.yaml`, `fresh.yaml`,
`fresh2.yaml`, `fresh3.yaml`) were each the test set once and have since been studied; the test
set (`fresh4.yaml`) is only measured. All share one format: `positives: {topic: [...]}` and
`look_alikes: [...]`.

Each report gives, for the regexes alone, the semantic matcher alone and the two combined (what
`safety_flags` raises): per-topic precision and recall, and the share of look-alikes that raise
any of the four topic flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from agent.understanding.flags import rule_flags
from agent.understanding.topics import TOPIC_NAMES, TopicMatcher

HELDOUT_PATH = Path(__file__).with_name("heldout.yaml")
"""A development set: measured before, so used to choose methods (never to fit thresholds)."""
FRESH_PATH = Path(__file__).with_name("fresh.yaml")
"""A development set since its misses were studied (it was the held-out set before)."""
FRESH2_PATH = Path(__file__).with_name("fresh2.yaml")
"""A development set since its misses were studied (it was the test set before)."""
FRESH3_PATH = Path(__file__).with_name("fresh3.yaml")
"""A development set since its misses were studied (it was the test set before)."""
TEST_PATH = Path(__file__).with_name("fresh4.yaml")
"""The held-out test set: written by another hand from the topic definitions alone, never read
while the exemplars and rules were improved; only measured."""
METHODS = ("rules", "semantic", "combined")


@dataclass(frozen=True)
class HeldOut:
    """Held-out messages: positives per topic, and look-alikes that must raise nothing."""

    positives: dict[str, tuple[str, ...]]
    look_alikes: tuple[str, ...]

    def texts(self) -> list[str]:
        """Positives in `TOPIC_NAMES` order, then the look-alikes."""
        return [t for name in TOPIC_NAMES for t in self.positives[name]] + list(self.look_alikes)

    def labels(self) -> np.ndarray:
        """0 for a look-alike, 1 + the topic's index for a positive."""
        topics = [i + 1 for i, name in enumerate(TOPIC_NAMES) for _ in self.positives[name]]
        return np.array(topics + [0] * len(self.look_alikes))


def load_heldout(path: Path = HELDOUT_PATH) -> HeldOut:
    """Read the held-out set, checking that it covers the four topics with strings only."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    positives, look_alikes = raw["positives"], raw["look_alikes"]
    if set(positives) != set(TOPIC_NAMES):
        raise ValueError(f"held-out positives must cover {TOPIC_NAMES}, got {set(positives)}")
    texts = [t for name in TOPIC_NAMES for t in positives[name]] + list(look_alikes)
    if not all(isinstance(text, str) for text in texts):
        raise ValueError("held-out entries must be strings (quote lines holding ': ' or ' #')")
    return HeldOut({name: tuple(positives[name]) for name in TOPIC_NAMES}, tuple(look_alikes))


@dataclass(frozen=True)
class TopicMetrics:
    """One topic under one method."""

    precision: float
    recall: float
    positives: int


@dataclass
class TopicEvalReport:
    """Every number of one evaluation, JSON-serialisable with `dataclasses.asdict`."""

    name: str
    per_topic: dict[str, dict[str, TopicMetrics]]
    """method -> topic -> metrics."""
    false_positive_rate: dict[str, float]
    """method -> share of the look-alikes raising any topic flag."""
    look_alikes: int
    missed: dict[str, list[str]] = field(default_factory=dict)
    """Positives the combined flags miss, per topic."""
    false_positives: list[tuple[str, list[str]]] = field(default_factory=list)
    """Look-alikes the combined flags raise, with the flags raised."""


def evaluate_training(matcher: TopicMatcher | None = None) -> TopicEvalReport:
    """The training exemplars, each scored by a model that did not see it (cross-validation)."""
    matcher = matcher or TopicMatcher.load()
    folds = matcher.out_of_fold
    return _report(
        "training exemplars (5-fold cross-validated)",
        folds.texts,
        folds.labels,
        folds.raised,
    )


def evaluate_heldout(
    matcher: TopicMatcher | None = None,
    path: Path = HELDOUT_PATH,
    heldout: HeldOut | None = None,
    name: str | None = None,
) -> TopicEvalReport:
    """A held-out file (`path`, or an already loaded `heldout`), scored by the matcher trained
    on all exemplars."""
    matcher = matcher or TopicMatcher.load()
    heldout = heldout or load_heldout(path)
    texts = heldout.texts()
    raised = np.array(
        [[topic in topics for topic in TOPIC_NAMES] for topics in matcher.topics_many(texts)]
    )
    return _report(name or f"held-out set {path.name}", texts, heldout.labels(), raised)


def _report(
    name: str, texts: Sequence[str], labels: np.ndarray, semantic: np.ndarray
) -> TopicEvalReport:
    rules = np.array([[flag in rule_flags(t).names for flag in TOPIC_NAMES] for t in texts])
    raised = {"rules": rules, "semantic": semantic, "combined": rules | semantic}
    look_alike = labels == 0
    per_topic = {
        method: {
            topic: _metrics(flags[:, i], labels == i + 1) for i, topic in enumerate(TOPIC_NAMES)
        }
        for method, flags in raised.items()
    }
    combined = raised["combined"]
    return TopicEvalReport(
        name=name,
        per_topic=per_topic,
        false_positive_rate={
            method: float(flags[look_alike].any(axis=1).mean()) for method, flags in raised.items()
        },
        look_alikes=int(look_alike.sum()),
        missed={
            topic: [
                t
                for t, hit, own in zip(texts, combined[:, i], labels == i + 1, strict=True)
                if own and not hit
            ]
            for i, topic in enumerate(TOPIC_NAMES)
        },
        false_positives=[
            (text, [topic for topic, hit in zip(TOPIC_NAMES, row, strict=True) if hit])
            for text, row, negative in zip(texts, combined, look_alike, strict=True)
            if negative and row.any()
        ],
    )


def _metrics(raised: np.ndarray, positive: np.ndarray) -> TopicMetrics:
    return TopicMetrics(
        precision=float(raised[positive].sum() / raised.sum()) if raised.any() else 1.0,
        recall=float(raised[positive].mean()),
        positives=int(positive.sum()),
    )
