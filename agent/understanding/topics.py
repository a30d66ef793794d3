"""Safety topics by meaning: the exemplars in `topics.yaml`, and the matcher fitted on them.

The regexes (`topic_rules`, `harassment_rules`) catch the phrases we know; this catches the same
topics said in other words ("my card issuer is reversing the payment", "nobody would miss me").
Each topic has positive exemplars, split into kinds where they say different things (legal:
courts and lawyers, complaints to authorities; harassment: insults, threats, ill wishes, sexual
remarks, exposing the staff); look-alikes ("this dress is to die for", "my bank says the payment
failed") form one shared negative class. Every sentence and clause of a look-alike is a
look-alike too, and the scorer learns from those pieces as well, since a live message is scored
piece by piece.

Scoring (`topics_scoring`). A message is cut into segments: the whole message, its sentences,
and the clauses of long or negated sentences, so one distressing sentence in a long email still
counts; single words are left to the rules. All segments are embedded with MiniLM in one batch,
and each gets per topic a raw score adding the topic's probability from a logistic regression
over the embedding, twice its probability from a logistic regression over character n-grams
(words, typos, other languages), and `MARGIN_WEIGHT` times the margin between the nearest
positive exemplar and the nearest look-alike. A sigmoid fit on out-of-fold scores (Platt
scaling) maps it to 0..1; a message's topic score is its best segment's.

Calibration uses the training exemplars only. `FOLDS`-fold stratified cross-validation, repeated
`REPEATS` times and averaged, scores every exemplar (through the same segmenting and negation as
a live message) with models that never saw it; the sigmoid is fit on those scores, and each
topic's threshold is the lowest at which at most `FALSE_POSITIVE_BUDGET` of the out-of-fold
look-alikes are raised. The weights and regularisation in `topics_scoring` were chosen on the
same out-of-fold scores and on the development sets in `evals/topics`; no threshold is fitted
on any evaluation set.

A legal topic in a clause the customer negates ("I'm not going to sue anyone") does not count,
as for the regexes; chargebacks, distress and abuse count even when hedged.

`TopicMatcher.load()` embeds the exemplars and fits once per process (several seconds, mostly
the embedding); a call then costs one encode of the message's segments, one n-gram transform
and a few small matrix products.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import RepeatedStratifiedKFold

from agent.understanding.classifier import log_loaded, mask_identifiers
from agent.understanding.topics_scoring import (
    TOPIC_NAMES,
    TopicCalibration,
    TopicScorer,
    calibrate,
    is_negated,
    per_message,
    sigmoid,
    split_segments,
)

logger = logging.getLogger(__name__)

EXEMPLARS_PATH = Path(__file__).with_name("topics.yaml")


FOLDS = 5
REPEATS = 3
"""Cross-validation is repeated with different splits and the out-of-fold scores averaged: the
thresholds sit among the highest look-alike scores, which one split alone leaves noisy."""
FALSE_POSITIVE_BUDGET = {
    "legal_threat": 0.00425,
    "chargeback": 0.0068,
    "self_harm": 0.0085,
    "harassment": 0.0051,
}
"""Share of the out-of-fold look-alikes a topic may raise; together they keep the look-alikes
raising any topic under 3 %. Scaled down by 15 % when the look-alikes grew by half with many
easy ones (good wishes, plain cancellations), which would otherwise have let the thresholds
sink. Self-harm trades more false alarms for recall, since a missed
message costs far more than a person reading a false alarm; legal threats need the least, as
the rules catch most of them."""

Encoder = Callable[[Sequence[str]], np.ndarray]

__all__ = [
    "TOPIC_NAMES",
    "TopicCalibration",
    "TopicExemplars",
    "TopicMatcher",
    "is_negated",
    "load_exemplars",
    "normalise",
    "split_segments",
]


def default_encoder(texts: Sequence[str]) -> np.ndarray:
    """The shared offline MiniLM encoder (unit-length rows)."""
    from knowledge.embeddings import encode

    return encode(texts)


@dataclass(frozen=True)
class TopicExemplars:
    """The labelled exemplars: positives per topic and kind, and one list of look-alikes.

    A topic whose exemplars say different things (harassment: insults, threats, ill wishes) is
    split into kinds, each its own class for the regression: one linear boundary around three
    separate clusters would cut through the look-alikes between them.
    """

    positives: dict[str, dict[str, tuple[str, ...]]]
    negatives: tuple[str, ...]

    def texts(self) -> list[str]:
        """Every exemplar: positives in `TOPIC_NAMES` and kind order, then the negatives."""
        positives = [t for kinds in self._kinds() for t in kinds]
        return positives + list(self.negatives)

    def labels(self) -> np.ndarray:
        """Topic of each of `texts()`: 0 for a look-alike, 1 + the topic's index otherwise."""
        topics = [
            i + 1
            for i, name in enumerate(TOPIC_NAMES)
            for texts in self.positives[name].values()
            for _ in texts
        ]
        return np.array(topics + [0] * len(self.negatives))

    def kind_labels(self) -> tuple[np.ndarray, np.ndarray]:
        """Kind of each of `texts()` (0 for a look-alike, then 1, 2... across all topics), and
        the topic label of each kind (index 0: the look-alikes)."""
        kinds = self._kinds()
        labels = [k + 1 for k, texts in enumerate(kinds) for _ in texts]
        kind_topic = [0] + [
            i + 1 for i, name in enumerate(TOPIC_NAMES) for _ in self.positives[name]
        ]
        return np.array(labels + [0] * len(self.negatives)), np.array(kind_topic)

    def _kinds(self) -> list[tuple[str, ...]]:
        return [texts for name in TOPIC_NAMES for texts in self.positives[name].values()]


def load_exemplars(path: Path = EXEMPLARS_PATH) -> TopicExemplars:
    """Read `topics.yaml`, checking the topics and that no exemplar appears twice.

    A topic's positives are a list, or a mapping from kind to list.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    positives, negatives = raw.get("positives") or {}, raw.get("negatives") or {}
    if set(positives) != set(TOPIC_NAMES):
        raise ValueError(f"topic exemplars must cover exactly {TOPIC_NAMES}, got {set(positives)}")
    kinds = {
        name: positives[name] if isinstance(positives[name], dict) else {name: positives[name]}
        for name in TOPIC_NAMES
    }
    exemplars = TopicExemplars(
        positives={
            name: {kind: tuple(_strings(texts, kind)) for kind, texts in kinds[name].items()}
            for name in TOPIC_NAMES
        },
        negatives=tuple(text for group in negatives for text in _strings(negatives[group], group)),
    )
    seen: set[str] = set()
    for text in exemplars.texts():
        key = normalise(text)
        if key in seen:
            raise ValueError(f"duplicate topic exemplar: {text!r}")
        seen.add(key)
    return exemplars


def _strings(values: object, where: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{where}: expected a list of strings (quote lines holding ': ' or ' #')")
    return values


def normalise(text: str) -> str:
    """Lower case, words only: two texts equal under this are the same sentence."""
    return " ".join(re.findall(r"\w+", text.lower()))


@dataclass(frozen=True)
class OutOfFold:
    """Every training exemplar scored by a model trained without it (for reports)."""

    texts: tuple[str, ...]
    labels: np.ndarray
    """0 for a look-alike, 1 + topic index for a positive."""
    scores: np.ndarray
    """Calibrated scores, one column per topic."""
    raised: np.ndarray
    """`scores >= threshold`, per topic."""


class TopicMatcher:
    """Scores messages against the topic exemplars; build once per process with `load()`."""

    _shared: dict[Path, TopicMatcher] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        scorer: TopicScorer,
        calibration: dict[str, TopicCalibration],
        out_of_fold: OutOfFold,
        encoder: Encoder = default_encoder,
    ) -> None:
        """Wrap a fitted scorer; use `train` or `load` rather than calling this directly."""
        self._scorer = scorer
        self._encoder = encoder
        self.calibration = calibration
        self.out_of_fold = out_of_fold

    @property
    def thresholds(self) -> dict[str, float]:
        """The score at which each topic is raised."""
        return {name: c.threshold for name, c in self.calibration.items()}

    @classmethod
    def train(
        cls, exemplars: TopicExemplars | None = None, encoder: Encoder = default_encoder
    ) -> TopicMatcher:
        """Embed the exemplars once, calibrate by cross-validation, fit on all of them."""
        exemplars = exemplars if exemplars is not None else load_exemplars()
        texts, labels = exemplars.texts(), exemplars.labels()
        kinds, kind_topic = exemplars.kind_labels()
        segments = [split_segments(text) for text in texts]
        whole = [" ".join(text.split()) for text in texts]
        unique = list(dict.fromkeys(whole + [part for parts in segments for part in parts]))
        unique_vectors = _encode(encoder, unique)
        index = {text: i for i, text in enumerate(unique)}
        vectors = unique_vectors[[index[text] for text in whole]]
        rows = [index[part] for parts in segments for part in parts]
        owner = np.repeat(np.arange(len(texts)), [len(parts) for parts in segments])

        # Every sentence and clause of a look-alike is a look-alike too: the scorer also learns
        # from them, as a live message is scored segment by segment.
        def fit(members: np.ndarray) -> TopicScorer:
            extra = [index[part] for i in members if labels[i] == 0 for part in segments[i][1:]]
            return TopicScorer(
                np.concatenate([vectors[members], unique_vectors[extra]]),
                [texts[i] for i in members] + [unique[r] for r in extra],
                np.concatenate([kinds[members], np.zeros(len(extra), dtype=kinds.dtype)]),
                kind_topic,
            )

        raw = np.zeros((len(texts), len(TOPIC_NAMES)))
        folds = RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=0)
        for train, held_out in folds.split(vectors, kinds):
            scorer = fit(train)
            in_fold = np.isin(owner, held_out)
            fold_rows = np.array(rows)[in_fold]
            fold_raw = scorer.raw(unique_vectors[fold_rows], [unique[r] for r in fold_rows])
            raw[held_out] += per_message(fold_raw, [segments[i] for i in held_out]) / REPEATS

        calibration = {
            name: calibrate(raw[:, i], labels == i + 1, labels == 0, FALSE_POSITIVE_BUDGET[name])
            for i, name in enumerate(TOPIC_NAMES)
        }
        scores = np.column_stack(
            [sigmoid(raw[:, i], c.slope, c.intercept) for i, c in enumerate(calibration.values())]
        )
        thresholds = np.array([c.threshold for c in calibration.values()])
        out_of_fold = OutOfFold(tuple(texts), labels, scores, scores >= thresholds)
        for name, c in calibration.items():
            logger.info(
                "topic %s: threshold %.3f, cv recall %.3f, precision %.3f, fp rate %.3f",
                name,
                c.threshold,
                c.recall,
                c.precision,
                c.false_positive_rate,
            )
        return cls(fit(np.arange(len(texts))), calibration, out_of_fold, encoder)

    @classmethod
    def load(cls, path: Path = EXEMPLARS_PATH) -> TopicMatcher:
        """The process-wide matcher for `path`, trained on first use (a few seconds)."""
        with cls._lock:
            if path not in cls._shared:
                started = time.perf_counter()
                cls._shared[path] = cls.train(load_exemplars(path))
                log_loaded("topic_matcher", started, logger)
            return cls._shared[path]

    def scores(self, text: str) -> dict[str, float]:
        """Calibrated score per topic for one message (one batched encode of its segments)."""
        return self.scores_many([text])[0]

    def scores_many(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Scores for several messages in one encode, rounded for the trace."""
        return [
            {name: round(float(score), 4) for name, score in zip(TOPIC_NAMES, row, strict=True)}
            for row in self.score_matrix(texts)
        ]

    def topics(self, text: str) -> frozenset[str]:
        """The topics this message raises."""
        return self.topics_many([text])[0]

    def topics_many(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """The topics each message raises, in one encode."""
        thresholds = np.array([self.calibration[name].threshold for name in TOPIC_NAMES])
        return [
            frozenset(name for name, hit in zip(TOPIC_NAMES, row, strict=True) if hit)
            for row in self.score_matrix(texts) >= thresholds
        ]

    def score_matrix(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated scores, one row per message and one column per topic."""
        segments = [split_segments(text) for text in texts]
        flat = [part for parts in segments for part in parts]
        vectors = _encode(self._encoder, flat) if flat else np.zeros((0, 1))
        raw = per_message(self._scorer.raw(vectors, flat) if flat else vectors, segments)
        return np.column_stack(
            [
                sigmoid(raw[:, i], self.calibration[name].slope, self.calibration[name].intercept)
                for i, name in enumerate(TOPIC_NAMES)
            ]
        )


def _encode(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(encoder([mask_identifiers(text) for text in texts]), dtype=np.float32)
