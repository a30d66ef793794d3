"""Score the asks of a message: question vs request on single utterances, and multi-ask messages.

The sets (`question_vs_request.yaml`, `multi_ask.yaml`) were written before the act rules and
exemplars were tuned and are never trained on; `multi_ask_fresh.yaml` was written after a first
round of fixes and measured only once they were done. The exemplars' cross-validated accuracy is
reported apart from them, as a training-time number.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agent.understanding.asks import asks_of, rule_act
from agent.understanding.classifier import ActClassifier, IntentClassifier, load_act_exemplars
from agent.understanding.taxonomy import DialogueAct

ACTS_DIR = Path(__file__).resolve().parent
SINGLE_PATH = ACTS_DIR / "question_vs_request.yaml"
MULTI_PATH = ACTS_DIR / "multi_ask.yaml"
FRESH_PATH = ACTS_DIR / "multi_ask_fresh.yaml"
HELD_OUT_PATHS = (SINGLE_PATH, MULTI_PATH, FRESH_PATH)


@dataclass(frozen=True)
class LabelledUtterance:
    """One single-ask utterance with its act and the order intent it is about."""

    text: str
    act: DialogueAct
    intent: str


@dataclass(frozen=True)
class ExpectedAsk:
    """One ask a multi-ask message should yield."""

    act: DialogueAct
    intent: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class LabelledMessage:
    """A message with two or three asks."""

    text: str
    asks: tuple[ExpectedAsk, ...]


def normalise(text: str) -> str:
    """Whitespace- and case-insensitive form, for the overlap checks."""
    return re.sub(r"\s+", " ", text).strip().lower()


def load_single(path: Path = SINGLE_PATH) -> list[LabelledUtterance]:
    """The held-out single utterances."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["utterances"]
    return [LabelledUtterance(str(u["text"]), DialogueAct(u["act"]), u["intent"]) for u in raw]


def load_multi(path: Path = MULTI_PATH) -> list[LabelledMessage]:
    """The held-out multi-ask messages."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    return [
        LabelledMessage(
            str(m["text"]),
            tuple(
                ExpectedAsk(DialogueAct(a["act"]), a.get("intent"), a.get("topic"))
                for a in m["asks"]
            ),
        )
        for m in raw
    ]


@dataclass
class MultiAskScore:
    """How a set of multi-ask messages was split and classified."""

    messages: int
    count_accuracy: float
    """Messages split into exactly the expected number of asks."""
    act_accuracy: float
    """Acts right, over the asks of the messages whose count is right."""
    intent_accuracy: float
    """Intents right, over the labelled asks of the messages whose count is right."""
    topic_accuracy: float
    """`topic_intent` right, over the asks labelled with a topic (count right)."""
    errors: list[str] = field(default_factory=list)


def score_multi(messages: list[LabelledMessage], model: IntentClassifier) -> MultiAskScore:
    """Split and classify every message; compare asks position by position."""
    count_right = act_right = act_total = intent_right = intent_total = 0
    topic_right = topic_total = 0
    errors: list[str] = []
    for message in messages:
        asks = asks_of(message.text, model)
        if len(asks) != len(message.asks):
            summary = [f"{a.act}:{a.text[:40]!r}" for a in asks]
            errors.append(f"{len(asks)} asks, expected {len(message.asks)}: {summary}")
            continue
        count_right += 1
        for got, expected in zip(asks, message.asks, strict=True):
            act_total += 1
            act_right += got.act == expected.act
            if got.act != expected.act:
                errors.append(f"{got.text[:50]!r}: {got.act} (expected {expected.act})")
            if expected.intent:
                intent_total += 1
                intent_right += got.intent == expected.intent
                if got.intent != expected.intent:
                    errors.append(f"{got.text[:50]!r}: {got.intent} (expected {expected.intent})")
            if expected.topic:
                topic_total += 1
                topic_right += got.topic_intent == expected.topic
    return MultiAskScore(
        messages=len(messages),
        count_accuracy=count_right / len(messages),
        act_accuracy=act_right / act_total if act_total else 0.0,
        intent_accuracy=intent_right / intent_total if intent_total else 0.0,
        topic_accuracy=topic_right / topic_total if topic_total else 0.0,
        errors=errors,
    )


@dataclass
class ActsEvalReport:
    """Every number of one run, JSON-serialisable with `dataclasses.asdict`."""

    utterances: int
    act_accuracy: float
    """Held-out question/request/report accuracy of the first ask of each utterance."""
    per_intent: dict[str, float]
    per_act: dict[str, float]
    split_share: float
    """Share of single utterances wrongly split into more than one ask."""
    rules_only_accuracy: float
    """The same set with the rules alone (no rule: report); the shipped reader adds the act
    classifier for cue-less parts, and the multi-ask context rules."""
    classifier_only_accuracy: float
    """The same set with the act classifier alone."""
    multi: MultiAskScore
    fresh: MultiAskScore
    """The set written after the first fixes: never tuned on."""
    exemplar_cv_accuracy: float
    """Training: stratified 5-fold accuracy of the act classifier over acts.yaml."""
    exemplar_hybrid_accuracy: float
    """Training: rules then classifier over acts.yaml (the rules were written with them)."""
    errors: list[str] = field(default_factory=list)


def evaluate_acts(classifier: IntentClassifier | None = None) -> ActsEvalReport:
    """Run the held-out sets and the exemplar cross-validation."""
    model = classifier or IntentClassifier.load()
    act_model = ActClassifier.load(model.encoder)
    single = load_single()
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    act_hits: Counter[str] = Counter()
    act_totals: Counter[str] = Counter()
    errors: list[str] = []
    split = rules_hits = 0
    by_model = act_model.predict_many([u.text for u in single])
    for utterance in single:
        asks = asks_of(utterance.text, model)
        split += len(asks) > 1
        predicted = asks[0].act if asks else None
        correct = predicted == utterance.act
        totals[utterance.intent] += 1
        act_totals[utterance.act] += 1
        hits[utterance.intent] += correct
        act_hits[utterance.act] += correct
        rules_hits += (rule_act(utterance.text) or DialogueAct.REPORT) == utterance.act
        if not correct:
            errors.append(f"{utterance.text!r}: {predicted} (expected {utterance.act})")
    model_hits = sum(m.act == u.act for u, m in zip(single, by_model, strict=True))

    exemplars = load_act_exemplars()
    pairs = [(text, act) for act, texts in exemplars.items() for text in texts]
    exemplar_acts = act_model.predict_many([text for text, _ in pairs])
    hybrid = sum(
        (rule_act(text) or by.act) == act
        for (text, act), by in zip(pairs, exemplar_acts, strict=True)
    )
    return ActsEvalReport(
        utterances=len(single),
        act_accuracy=sum(hits.values()) / len(single),
        per_intent={k: hits[k] / totals[k] for k in sorted(totals)},
        per_act={k: act_hits[k] / act_totals[k] for k in sorted(act_totals)},
        split_share=split / len(single),
        rules_only_accuracy=rules_hits / len(single),
        classifier_only_accuracy=model_hits / len(single),
        multi=score_multi(load_multi(), model),
        fresh=score_multi(load_multi(FRESH_PATH), model),
        exemplar_cv_accuracy=act_model.cv_accuracy,
        exemplar_hybrid_accuracy=hybrid / len(pairs),
        errors=errors,
    )
