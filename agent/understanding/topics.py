"""Safety topics by meaning: MiniLM embeddings compared with the exemplars in `topics.yaml`.

The regexes in `flags.py` catch the phrases we know; this catches the same topics said in other
words ("my card issuer is reversing the payment", "nobody would miss me"). Each topic has
positive exemplars, split into kinds where they say different things (harassment: insults,
threats, ill wishes); look-alikes ("this dress is to die for", "my bank says the payment
failed") form one shared negative class.

Scoring. A message is cut into segments: the whole message, its sentences, and the clauses of
long or negated sentences, so one distressing sentence in a long email still counts. All
segments are embedded in one batch, and each gets per topic

- `p`: the probability of the topic (summed over its kinds) from a multinomial logistic
  regression over the embedding, with the look-alikes as one more class;
- `margin`: cosine similarity to the topic's nearest positive exemplar minus that to the
  nearest look-alike, so a message next to a known look-alike is pulled down where the linear
  boundary is unsure, and one next to a known phrasing is pulled up;
- `raw = p + MARGIN_WEIGHT * margin`, mapped to 0..1 by a sigmoid fit on out-of-fold scores
  (Platt scaling). A message's topic score is its best segment's.

Calibration uses the training exemplars only. `FOLDS`-fold stratified cross-validation scores
every exemplar (through the same segmenting and negation as a live message) with a model that
never saw it; the sigmoid is fit on those scores, and each topic's threshold is the lowest at
which at most `FALSE_POSITIVE_BUDGET` of the out-of-fold look-alikes are raised. The budgets
add up to 2.5% of the look-alikes for the four topics together, under the 3% the evaluation
allows. `REGULARISATION_C`, `NEIGHBOURS` and `MARGIN_WEIGHT` were picked on the same
out-of-fold scores. The held-out set in `evals/topics` plays no part in any of this.

A legal topic in a clause the customer negates ("I'm not going to sue anyone") does not count,
as for the regexes; chargebacks, distress and abuse count even when hedged.

`TopicMatcher.load()` embeds the exemplars and fits once per process (a few seconds); a call
then costs one encode of the message's segments and two small matrix products.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from agent.understanding.classifier import mask_identifiers

logger = logging.getLogger(__name__)

TOPIC_NAMES = ("legal_threat", "chargeback", "self_harm", "harassment")
"""Each topic is named after the safety flag it raises."""
EXEMPLARS_PATH = Path(__file__).with_name("topics.yaml")

REGULARISATION_C = 4.0
"""Inverse L2 strength of the logistic regression (unit-length inputs need large values)."""
NEIGHBOURS = 1
"""Nearest exemplars averaged on each side of the margin (1: the nearest one)."""
MARGIN_WEIGHT = 4.0
"""Weight of the nearest-exemplar margin against the regression's probability."""
FOLDS = 5
FALSE_POSITIVE_BUDGET = {
    "legal_threat": 0.005,
    "chargeback": 0.005,
    "self_harm": 0.01,
    "harassment": 0.005,
}
"""Share of the out-of-fold look-alikes a topic may raise; self-harm trades more false alarms
for recall, since a missed message costs far more than a person reading a false alarm."""
MAX_SEGMENTS = 48
"""Enough for a long email; a pasted essay is scored on its first segments only."""
MIN_CLAUSE_WORDS = 3
LONG_SENTENCE_WORDS = 16
"""Sentences longer than this are also scored clause by clause."""

Encoder = Callable[[Sequence[str]], np.ndarray]

_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\n+")
_CLAUSE_BREAK = re.compile(r"\s*[,;:]\s*|\s+(?:but|-|\u2013|\u2014)\s+", re.IGNORECASE)
_NEGATION = re.compile(
    r"(?:\b(?:i|we)(?:'m|\u2019m|'ll|\u2019ll|'d|\u2019d)?(?:\s+[\w'\u2019]+){0,2}?\s+"
    r"(?:not|never|no longer|don'?t|won'?t|wouldn'?t|have no|had no)\b"
    r"|^\W*(?:not|never|no)\b"
    r"|\bno (?:need|intention|plans?|lawyers?|attorneys?|solicitors?|courts?|legal|lawsuits?)\b"
    r"|\bnot (?:suing|threatening|a threat)\b)"
    r"(?!\s+(?:hesitate|think twice))",
    re.IGNORECASE,
)
_CONDITION = re.compile(r"\b(?:if|unless|until|otherwise|or else)\b", re.IGNORECASE)


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


def split_segments(text: str) -> list[str]:
    """The message, its sentences, and the clauses of long or negated sentences.

    Clauses of short sentences are not scored: a fragment loses the words that make a
    look-alike harmless ("I'd kill, honestly, for a discount"). A negated sentence is split so
    that "I'm not happy, I'm calling my lawyer" keeps the clause that is not negated.
    """
    segments = [" ".join(text.split())]
    for sentence in _SENTENCE_BREAK.split(text.strip()):
        sentence = " ".join(sentence.split())
        segments.append(sentence)
        if len(sentence.split()) > LONG_SENTENCE_WORDS or is_negated(sentence):
            clauses = [
                c for c in _CLAUSE_BREAK.split(sentence) if len(c.split()) >= MIN_CLAUSE_WORDS
            ]
            if len(clauses) > 1:
                segments.extend(clauses)
    unique = [s for s in dict.fromkeys(segments) if s]
    return unique[:MAX_SEGMENTS]


def is_negated(segment: str) -> bool:
    """The customer says they will not do it ("I'm not going to sue", "no need for lawyers");
    a condition ("if I don't hear back...") or "won't hesitate" is not a negation."""
    for match in _NEGATION.finditer(segment):
        if not _CONDITION.search(segment[: match.start()]):
            return True
    return False


@dataclass(frozen=True)
class TopicCalibration:
    """One topic's threshold and its out-of-fold quality on the training exemplars."""

    threshold: float
    """Scores at or above this raise the topic."""
    slope: float
    intercept: float
    """The sigmoid mapping raw scores to probabilities."""
    recall: float
    """Out-of-fold share of the topic's positive exemplars raised."""
    precision: float
    """Out-of-fold share of raised exemplars that are the topic's."""
    false_positive_rate: float
    """Out-of-fold share of the look-alikes raised."""


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


class _Scorer:
    """The fitted parts that turn segment vectors into raw per-topic scores."""

    def __init__(self, vectors: np.ndarray, kinds: np.ndarray, kind_topic: np.ndarray) -> None:
        """Fit on exemplar `vectors` labelled by kind; `kind_topic` maps kinds to topics."""
        present = np.unique(kinds)
        model = LogisticRegression(
            C=REGULARISATION_C, max_iter=5000, class_weight="balanced", solver="newton-cg"
        )
        model.fit(vectors, kinds)
        self._coef = np.asarray(model.coef_, dtype=np.float64)
        self._intercept = np.asarray(model.intercept_, dtype=np.float64)
        # Summing kind probabilities per topic: a (kinds x topics) 0/1 matrix.
        self._kind_to_topic = np.array(
            [[kind_topic[k] == i + 1 for i in range(len(TOPIC_NAMES))] for k in present],
            dtype=np.float64,
        )
        self._vectors = vectors.astype(np.float64)
        topics = kind_topic[kinds]
        self._topic_columns = [topics == i + 1 for i in range(len(TOPIC_NAMES))]
        self._negative_columns = topics == 0

    def raw(self, vectors: np.ndarray) -> np.ndarray:
        """Raw scores (segments x topics)."""
        vectors = vectors.astype(np.float64)
        logits = vectors @ self._coef.T + self._intercept
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        similarities = vectors @ self._vectors.T
        margins = np.column_stack(
            [
                _top_mean(similarities[:, columns])
                - _top_mean(similarities[:, self._negative_columns])
                for columns in self._topic_columns
            ]
        )
        result: np.ndarray = probabilities @ self._kind_to_topic + MARGIN_WEIGHT * margins
        return result


def _top_mean(similarities: np.ndarray) -> np.ndarray:
    k = min(NEIGHBOURS, similarities.shape[1])
    return np.partition(similarities, -k, axis=1)[:, -k:].mean(axis=1)


def _per_message(raw: np.ndarray, segments: Sequence[Sequence[str]]) -> np.ndarray:
    """Best segment per message and topic; negated segments do not count for legal threats.

    A message without segments (blank) or a topic with none left scores -inf: probability 0.
    """
    legal = TOPIC_NAMES.index("legal_threat")
    result = np.full((len(segments), len(TOPIC_NAMES)), -np.inf)
    row = 0
    for i, parts in enumerate(segments):
        block = raw[row : row + len(parts)].copy()
        row += len(parts)
        if not parts:
            continue
        negated = np.array([is_negated(part) for part in parts])
        block[negated, legal] = -np.inf
        result[i] = block.max(axis=0)
    return result


def _sigmoid(values: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    with np.errstate(over="ignore"):
        result: np.ndarray = 1.0 / (1.0 + np.exp(-(slope * values + intercept)))
    return result


def _calibrate(
    raw: np.ndarray, positive: np.ndarray, negative: np.ndarray, budget: float
) -> TopicCalibration:
    finite = np.isfinite(raw)
    platt = LogisticRegression(C=100.0, max_iter=1000)
    platt.fit(raw[finite].reshape(-1, 1), positive[finite])
    slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    scores = _sigmoid(raw, slope, intercept)
    ranked = np.sort(scores[negative])[::-1]
    allowed = int(budget * len(ranked))
    # Halfway between the highest negative we must stay above and the next one up.
    upper = ranked[allowed - 1] if allowed > 0 else 1.0
    threshold = float((upper + ranked[allowed]) / 2) if allowed < len(ranked) else 0.5
    raised = scores >= threshold
    return TopicCalibration(
        threshold=round(threshold, 6),
        slope=slope,
        intercept=intercept,
        recall=float(raised[positive].mean()),
        precision=float(raised[positive].sum() / max(1, raised.sum())),
        false_positive_rate=float(raised[negative].mean()),
    )


class TopicMatcher:
    """Scores messages against the topic exemplars; build once per process with `load()`."""

    _shared: dict[Path, TopicMatcher] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        scorer: _Scorer,
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
        unique = list(dict.fromkeys(part for parts in segments for part in parts))
        unique_vectors = _encode(encoder, unique)
        index = {text: i for i, text in enumerate(unique)}
        vectors = unique_vectors[[index[split_segments(text)[0]] for text in texts]]
        rows = [index[part] for parts in segments for part in parts]
        owner = np.repeat(np.arange(len(texts)), [len(parts) for parts in segments])

        raw = np.zeros((len(texts), len(TOPIC_NAMES)))
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
        for train, held_out in folds.split(vectors, kinds):
            scorer = _Scorer(vectors[train], kinds[train], kind_topic)
            in_fold = np.isin(owner, held_out)
            fold_raw = scorer.raw(unique_vectors[np.array(rows)[in_fold]])
            raw[held_out] = _per_message(fold_raw, [segments[i] for i in held_out])

        calibration = {
            name: _calibrate(raw[:, i], labels == i + 1, labels == 0, FALSE_POSITIVE_BUDGET[name])
            for i, name in enumerate(TOPIC_NAMES)
        }
        scores = np.column_stack(
            [_sigmoid(raw[:, i], c.slope, c.intercept) for i, c in enumerate(calibration.values())]
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
        return cls(_Scorer(vectors, kinds, kind_topic), calibration, out_of_fold, encoder)

    @classmethod
    def load(cls, path: Path = EXEMPLARS_PATH) -> TopicMatcher:
        """The process-wide matcher for `path`, trained on first use (a few seconds)."""
        with cls._lock:
            if path not in cls._shared:
                cls._shared[path] = cls.train(load_exemplars(path))
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
        raw = _per_message(self._scorer.raw(vectors) if flat else vectors, segments)
        return np.column_stack(
            [
                _sigmoid(raw[:, i], self.calibration[name].slope, self.calibration[name].intercept)
                for i, name in enumerate(TOPIC_NAMES)
            ]
        )


def _encode(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(encoder([mask_identifiers(text) for text in texts]), dtype=np.float32)
