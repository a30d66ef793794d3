"""The intent classifier: logistic regression over all-MiniLM-L6-v2 sentence embeddings.

Trained on the project's own examples (`examples.yaml`) the first time it is needed, in about
two seconds, or read back from a cache file keyed by a hash of the examples. Deterministic: the
same examples give the same weights and the same text gives the same scores.

Confidence is the softmax of the logits divided by a temperature fit on out-of-fold logits
(5-fold, stratified), so a confidence of 0.8 means right about 80% of the time on messages like
the training examples. Two further checks mark a prediction `low_confidence`: a small margin
between the two best intents (the message may carry two requests, or sit between two) and a
message far from every training example (gibberish, or something the taxonomy never saw).

`ActClassifier` is the same recipe over the act exemplars in `acts.yaml` (question, request,
report, yes/no, small talk); the rules in `asks.py` decide first and it settles the rest.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from agent.understanding.calibration import (
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from agent.understanding.taxonomy import INTENT_NAMES, DialogueAct

logger = logging.getLogger(__name__)

EXAMPLES_PATH = Path(__file__).with_name("examples.yaml")
ACTS_PATH = Path(__file__).with_name("acts.yaml")
MODEL_VERSION = "logreg-minilm-v2"
"""Part of the cache key: bump it when the training procedure changes."""
REGULARISATION_C = 4.0
"""Inverse L2 strength; the embeddings are unit vectors, so useful values are large."""
FOLDS = 5

CONFIDENCE_THRESHOLD = 0.5
"""Below this calibrated confidence the agent should ask, not act."""
MARGIN_THRESHOLD = 0.12
"""Top-1 minus top-2 below this: two intents compete; also reported as low confidence."""
NOVELTY_THRESHOLD = 0.35
"""Cosine similarity to the nearest training example below this: unlike anything we know."""

Encoder = Callable[[Sequence[str]], np.ndarray]

_ORDER_LIKE = re.compile(r"(?<![$€£\d.,])#?\b[A-Z]{0,3}\d{3,}\b")
_EMAIL_LIKE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def mask_identifiers(text: str) -> str:
    """Replace order-number-like tokens by one placeholder, and drop email addresses.

    The digits carry no intent, but they move the embedding (a long number pulls "order
    00123842 status" toward `order_details`); entities are extracted from the raw text anyway.
    """
    text = _EMAIL_LIKE.sub(" ", text)  # an address says who, never what they want
    return _ORDER_LIKE.sub("#1234", text)


def log_loaded(model: str, started: float, log: logging.Logger = logger) -> None:
    """One record per model built in this process, with a `loaded` field naming it: readiness
    waits for these loads, and a test checks none happens inside the first message after it."""
    seconds = round(time.perf_counter() - started, 2)
    log.info(
        "%s loaded in %.2f s",
        model.replace("_", " "),
        seconds,
        extra={"loaded": model, "seconds": seconds},
    )


def default_encoder(texts: Sequence[str]) -> np.ndarray:
    """The shared offline MiniLM encoder (unit-length rows)."""
    from knowledge.embeddings import encode

    return encode(texts)


def load_examples(path: Path = EXAMPLES_PATH) -> dict[str, list[str]]:
    """The labelled examples, checked against the taxonomy (every intent, nothing else)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or set(raw) != set(INTENT_NAMES):
        missing = set(INTENT_NAMES) - set(raw or {})
        extra = set(raw or {}) - set(INTENT_NAMES)
        raise ValueError(f"examples do not match the taxonomy: missing {missing}, extra {extra}")
    return {name: [str(text) for text in raw[name]] for name in INTENT_NAMES}


@dataclass(frozen=True)
class IntentScore:
    """One intent with its calibrated probability."""

    intent: str
    score: float


@dataclass(frozen=True)
class IntentPrediction:
    """The classifier's view of one message."""

    intent: str
    """The most likely intent."""
    confidence: float
    """Its calibrated probability."""
    top: tuple[IntentScore, ...]
    """The best intents, most likely first (for the trace and for two-request messages)."""
    margin: float
    """Probability of the best intent minus that of the second."""
    nearest_similarity: float
    """Cosine similarity to the closest training example."""
    low_confidence: bool
    """True when the agent should ask or escalate rather than act on `intent`."""


@dataclass(frozen=True)
class CalibrationReport:
    """Out-of-fold quality of the training procedure (measured at training time)."""

    temperature: float
    accuracy: float
    ece_raw: float
    ece_calibrated: float


def examples_digest(examples: dict[str, list[str]]) -> str:
    """A stable hash of the examples and the training procedure (the cache key)."""
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for name in INTENT_NAMES:
        for text in examples[name]:
            digest.update(f"{name}\t{text}\n".encode())
    return digest.hexdigest()[:16]


def _fit(vectors: np.ndarray, labels: np.ndarray) -> LogisticRegression:
    model = LogisticRegression(C=REGULARISATION_C, max_iter=5000)
    model.fit(vectors, labels)
    return model


def calibrate(vectors: np.ndarray, labels: np.ndarray) -> CalibrationReport:
    """Fit the temperature on out-of-fold logits and measure accuracy and ECE."""
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    logits = np.zeros((len(labels), len(INTENT_NAMES)))
    for train, held_out in folds.split(vectors, labels):
        logits[held_out] = _fit(vectors[train], labels[train]).decision_function(vectors[held_out])
    temperature = fit_temperature(logits, labels)
    return CalibrationReport(
        temperature=temperature,
        accuracy=float(np.mean(logits.argmax(axis=1) == labels)),
        ece_raw=expected_calibration_error(softmax(logits), labels),
        ece_calibrated=expected_calibration_error(softmax(logits, temperature), labels),
    )


class IntentClassifier:
    """The trained model; build it once per process with `IntentClassifier.load()`."""

    _shared: dict[str, IntentClassifier] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        train_vectors: np.ndarray,
        digest: str,
        calibration: CalibrationReport,
        encoder: Encoder = default_encoder,
    ) -> None:
        """Wrap fitted weights; use `train` or `load` rather than calling this directly."""
        self._coef = coef
        self._intercept = intercept
        self._temperature = temperature
        self._train_vectors = train_vectors
        self._encoder = encoder
        self.digest = digest
        self.calibration = calibration

    @classmethod
    def train(
        cls, examples: dict[str, list[str]] | None = None, encoder: Encoder = default_encoder
    ) -> IntentClassifier:
        """Embed the examples, calibrate by cross-validation, fit on all of them."""
        examples = examples if examples is not None else load_examples()
        texts = [text for name in INTENT_NAMES for text in examples[name]]
        labels = np.array([i for i, name in enumerate(INTENT_NAMES) for _ in examples[name]])
        vectors = np.asarray(encoder([mask_identifiers(t) for t in texts]), dtype=np.float32)
        calibration = calibrate(vectors, labels)
        model = _fit(vectors, labels)
        logger.info(
            "intent classifier trained on %d examples: cv accuracy %.3f, T=%.2f, ECE %.3f",
            len(texts),
            calibration.accuracy,
            calibration.temperature,
            calibration.ece_calibrated,
        )
        return cls(
            np.asarray(model.coef_, dtype=np.float64),
            np.asarray(model.intercept_, dtype=np.float64),
            calibration.temperature,
            vectors,
            examples_digest(examples),
            calibration,
            encoder,
        )

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> IntentClassifier:
        """The process-wide classifier for the project's examples, trained at most once.

        With `cache_dir`, the weights are read from (or written to) a file named after the
        examples' hash, so a restart skips training; a changed example retrains.
        """
        examples = load_examples()
        digest = examples_digest(examples)
        with cls._lock:
            if digest in cls._shared:
                return cls._shared[digest]
            started = time.perf_counter()
            path = cache_dir / f"intent-classifier-{digest}.npz" if cache_dir else None
            classifier = cls.from_file(path, digest) if path and path.is_file() else None
            if classifier is None:
                classifier = cls.train(examples)
                if path is not None:
                    classifier.save(path)
            log_loaded("intent_classifier", started)
            cls._shared[digest] = classifier
            return classifier

    def save(self, path: Path) -> None:
        """Write the weights, calibration and training vectors to `path` (atomically)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        report = self.calibration
        np.savez(
            buffer,
            coef=self._coef,
            intercept=self._intercept,
            train_vectors=self._train_vectors,
            calibration=np.array(
                [report.temperature, report.accuracy, report.ece_raw, report.ece_calibrated]
            ),
            intents=np.array(INTENT_NAMES),
        )
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(path)

    @classmethod
    def from_file(cls, path: Path, digest: str) -> IntentClassifier | None:
        """A classifier saved by `save`, or None when the file is unreadable or stale."""
        try:
            with np.load(path) as data:
                if tuple(str(name) for name in data["intents"]) != INTENT_NAMES:
                    return None
                temperature, accuracy, ece_raw, ece_calibrated = (
                    float(x) for x in data["calibration"]
                )
                return cls(
                    data["coef"],
                    data["intercept"],
                    temperature,
                    data["train_vectors"],
                    digest,
                    CalibrationReport(temperature, accuracy, ece_raw, ece_calibrated),
                )
        except (OSError, KeyError, ValueError) as error:
            logger.warning("ignoring unreadable classifier cache %s: %s", path, error)
            return None

    @property
    def encoder(self) -> Encoder:
        """The sentence encoder the classifier was trained with."""
        return self._encoder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as the classifier sees them (identifiers masked), in one batch."""
        if not texts:
            return np.zeros((0, self._coef.shape[1]), dtype=np.float64)
        return np.asarray(self._encoder([mask_identifiers(t) for t in texts]), dtype=np.float64)

    def predict(self, text: str, top_k: int = 3) -> IntentPrediction:
        """Classify one message."""
        return self.predict_many([text], top_k)[0]

    def predict_many(self, texts: Sequence[str], top_k: int = 3) -> list[IntentPrediction]:
        """Classify messages in one batch (used by the evaluations)."""
        return self.predict_vectors(self.encode(texts), top_k)

    def predict_vectors(self, vectors: np.ndarray, top_k: int = 3) -> list[IntentPrediction]:
        """Classify rows already embedded by `encode` (to share one encoder call)."""
        if not len(vectors):
            return []
        vectors = np.asarray(vectors, dtype=np.float64)
        logits = vectors @ self._coef.T + self._intercept
        probabilities = softmax(logits, self._temperature)
        nearest = (vectors @ self._train_vectors.T.astype(np.float64)).max(axis=1)
        return [
            _prediction(row, float(similarity), top_k)
            for row, similarity in zip(probabilities, nearest, strict=True)
        ]


def _prediction(probabilities: np.ndarray, nearest: float, top_k: int) -> IntentPrediction:
    # Stable sort on the negated scores: ties resolve by taxonomy order, deterministically.
    order = np.argsort(-probabilities, kind="stable")
    top = tuple(
        IntentScore(INTENT_NAMES[i], round(float(probabilities[i]), 4))
        for i in order[: max(top_k, 2)]
    )
    confidence = float(probabilities[order[0]])
    margin = confidence - float(probabilities[order[1]])
    low = (
        confidence < CONFIDENCE_THRESHOLD
        or margin < MARGIN_THRESHOLD
        or nearest < NOVELTY_THRESHOLD
    )
    return IntentPrediction(
        intent=top[0].intent,
        confidence=round(confidence, 4),
        top=top,
        margin=round(margin, 4),
        nearest_similarity=round(nearest, 4),
        low_confidence=low,
    )


ACT_NAMES: tuple[DialogueAct, ...] = tuple(DialogueAct)


def load_act_exemplars(path: Path = ACTS_PATH) -> dict[DialogueAct, list[str]]:
    """The act exemplars, checked against `DialogueAct` (every act, nothing else)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or set(raw) != {str(act) for act in ACT_NAMES}:
        raise ValueError(f"act exemplars must list exactly {[str(a) for a in ACT_NAMES]}")
    return {act: [str(text) for text in raw[str(act)]] for act in ACT_NAMES}


@dataclass(frozen=True)
class ActScore:
    """The act classifier's best act for one text, with its probability."""

    act: DialogueAct
    score: float


class ActClassifier:
    """Logistic regression over the act exemplars; build it once with `ActClassifier.load()`."""

    _shared: dict[tuple[str, Encoder], ActClassifier] = {}
    _lock = threading.Lock()

    def __init__(
        self, coef: np.ndarray, intercept: np.ndarray, cv_accuracy: float, encoder: Encoder
    ) -> None:
        """Wrap fitted weights; use `train` or `load` rather than calling this directly."""
        self._coef = coef
        self._intercept = intercept
        self._encoder = encoder
        self.cv_accuracy = cv_accuracy
        """Stratified 5-fold accuracy over the exemplars (measured at training time)."""

    @classmethod
    def train(
        cls,
        exemplars: dict[DialogueAct, list[str]] | None = None,
        encoder: Encoder = default_encoder,
    ) -> ActClassifier:
        """Embed the exemplars, measure cross-validated accuracy, fit on all of them."""
        exemplars = exemplars if exemplars is not None else load_act_exemplars()
        texts = [text for act in ACT_NAMES for text in exemplars[act]]
        labels = np.array([i for i, act in enumerate(ACT_NAMES) for _ in exemplars[act]])
        vectors = np.asarray(encoder([mask_identifiers(t) for t in texts]), dtype=np.float64)
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
        hits = 0
        for train, held_out in folds.split(vectors, labels):
            predicted = _fit(vectors[train], labels[train]).predict(vectors[held_out])
            hits += int(np.sum(predicted == labels[held_out]))
        model = _fit(vectors, labels)
        cv_accuracy = hits / len(labels)
        logger.info("act classifier: %d exemplars, cv accuracy %.3f", len(texts), cv_accuracy)
        coef = np.asarray(model.coef_, dtype=np.float64)
        return cls(coef, np.asarray(model.intercept_, dtype=np.float64), cv_accuracy, encoder)

    @classmethod
    def load(cls, encoder: Encoder = default_encoder) -> ActClassifier:
        """The process-wide act classifier for `encoder`, trained at most once per exemplar set."""
        exemplars = load_act_exemplars()
        digest = hashlib.sha256(repr(sorted(exemplars.items())).encode()).hexdigest()[:16]
        with cls._lock:
            key = (digest, encoder)
            if key not in cls._shared:
                started = time.perf_counter()
                cls._shared[key] = cls.train(exemplars, encoder)
                log_loaded("act_classifier", started)
            return cls._shared[key]

    def predict_vectors(self, vectors: np.ndarray) -> list[ActScore]:
        """The best act for each row embedded by `IntentClassifier.encode` (same encoder)."""
        if not len(vectors):
            return []
        probabilities = softmax(
            np.asarray(vectors, dtype=np.float64) @ self._coef.T + self._intercept
        )
        best = probabilities.argmax(axis=1)
        return [
            ActScore(ACT_NAMES[i], round(float(row[i]), 4))
            for i, row in zip(best, probabilities, strict=True)
        ]

    def predict_many(self, texts: Sequence[str]) -> list[ActScore]:
        """The best act for each text."""
        if not texts:
            return []
        return self.predict_vectors(
            np.asarray(self._encoder([mask_identifiers(t) for t in texts]), dtype=np.float64)
        )
