"""How `topics.TopicMatcher` scores a message: segments, features, calibration.

A message is cut into segments (`split_segments`); each segment gets a raw score per topic from
`TopicScorer`, which adds three signals fitted on the exemplars:

- the probability of the topic (summed over its kinds) from a multinomial logistic regression
  over the MiniLM embedding, with the look-alikes as one more class;
- the same from a one-vs-rest logistic regression over character n-grams (TF-IDF of 2-5
  character pieces inside words), which reads the words themselves: insults, bank names,
  typos and the Spanish, French, German, Portuguese and Italian phrasings that the English
  embedding model places all close together;
- the margin: cosine similarity to the topic's nearest positive exemplar minus that to the
  nearest look-alike.

`calibrate` maps raw scores to 0..1 with a sigmoid fit on out-of-fold scores (Platt scaling)
and picks the threshold from a false-positive budget on the out-of-fold look-alikes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

TOPIC_NAMES = ("legal_threat", "chargeback", "self_harm", "harassment")
"""Each topic is named after the safety flag it raises."""

REGULARISATION_C = 4.0
"""Inverse L2 strength of the embedding regression (unit-length inputs need large values)."""
NGRAM_C = 10.0
"""Inverse L2 strength of the character n-gram regression."""
NGRAM_RANGE = (2, 5)
NGRAM_WEIGHT = 2.0
"""Weight of the n-gram regression's probability against the embedding regression's."""
NEIGHBOURS = 1
"""Nearest exemplars averaged on each side of the margin (1: the nearest one)."""
MARGIN_WEIGHT = 4.0
"""Weight of the nearest-exemplar margin against the regressions' probabilities."""
MAX_SEGMENTS = 48
"""Enough for a long email; a pasted essay is scored on its first segments only."""
MIN_CLAUSE_WORDS = 3
MIN_SEGMENT_WORDS = 2
"""A single word ("Ben" signing an email, "PayPal", "goodbye") says too little for the embedding
and lands anywhere; the rules catch the one-word phrases that matter ("kms", "suicidal")."""
LONG_SENTENCE_WORDS = 16
"""Sentences longer than this are also scored clause by clause."""


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


def split_segments(text: str) -> list[str]:
    """The message, its sentences, and the clauses of long or negated sentences.

    Clauses of short sentences are not scored: a fragment loses the words that make a
    look-alike harmless ("I'd kill, honestly, for a discount"). A negated sentence is split so
    that "I'm not happy, I'm calling my lawyer" keeps the clause that is not negated. Single
    words are not scored (`MIN_SEGMENT_WORDS`).
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
    unique = [s for s in dict.fromkeys(segments) if len(s.split()) >= MIN_SEGMENT_WORDS]
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


class TopicScorer:
    """The fitted parts that turn segments (their text and vectors) into raw per-topic scores."""

    def __init__(
        self, vectors: np.ndarray, texts: Sequence[str], kinds: np.ndarray, kind_topic: np.ndarray
    ) -> None:
        """Fit on the exemplars (`texts` and their `vectors`) labelled by kind; `kind_topic` maps
        kinds to topics."""
        present = np.unique(kinds)
        self._ngrams = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=NGRAM_RANGE,
            sublinear_tf=True,
            min_df=2,
            lowercase=True,
            strip_accents=None,
        )
        grams = self._ngrams.fit_transform([t.lower() for t in texts])
        # The dual formulation solves the same problem (more n-grams than exemplars) in a
        # fraction of the time; the fitted model is the same to within the solver's tolerance.
        self._ngram_model = OneVsRestClassifier(
            LogisticRegression(C=NGRAM_C, class_weight="balanced", solver="liblinear", dual=True)
        )
        self._ngram_model.fit(grams, kinds)
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

    def raw(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Raw scores (segments x topics) of segments given as `vectors` and `texts`."""
        vectors = vectors.astype(np.float64)
        ngram_p = self._ngram_model.predict_proba(
            self._ngrams.transform([t.lower() for t in texts])
        )
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
        result: np.ndarray = (
            probabilities @ self._kind_to_topic
            + NGRAM_WEIGHT * ngram_p @ self._kind_to_topic
            + MARGIN_WEIGHT * margins
        )
        return result


def _top_mean(similarities: np.ndarray) -> np.ndarray:
    k = min(NEIGHBOURS, similarities.shape[1])
    return np.partition(similarities, -k, axis=1)[:, -k:].mean(axis=1)


def per_message(raw: np.ndarray, segments: Sequence[Sequence[str]]) -> np.ndarray:
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


def sigmoid(values: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """The Platt mapping from raw scores to probabilities."""
    with np.errstate(over="ignore"):
        result: np.ndarray = 1.0 / (1.0 + np.exp(-(slope * values + intercept)))
    return result


def calibrate(
    raw: np.ndarray, positive: np.ndarray, negative: np.ndarray, budget: float
) -> TopicCalibration:
    """Fit the sigmoid on out-of-fold raw scores and choose the lowest threshold at which at
    most `budget` of the `negative` exemplars are raised."""
    finite = np.isfinite(raw)
    platt = LogisticRegression(C=100.0, max_iter=1000)
    platt.fit(raw[finite].reshape(-1, 1), positive[finite])
    slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    scores = sigmoid(raw, slope, intercept)
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
