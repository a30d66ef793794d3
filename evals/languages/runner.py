"""Score language detection and intent accuracy per language on one set of messages.

A set is a YAML mapping from a language code to its messages, each `{text, intent}` with an
optional `also:` list of other fair intents; `intent: null` keeps a message for detection only.
The intent is `understand(text).intent`, the same whole-message intent the agent routes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agent.language import LANGUAGES, detect_language
from agent.understanding import IntentClassifier, understand

DEV_PATH = Path(__file__).with_name("dev.yaml")
FRESH_PATH = Path(__file__).with_name("fresh.yaml")


@dataclass(frozen=True)
class LanguageCase:
    """One message with its language and the intents that count as right."""

    language: str
    text: str
    intents: frozenset[str]
    """Empty: the message is scored for its language only."""


@dataclass
class LanguageScore:
    """One language's numbers."""

    messages: int = 0
    detected: int = 0
    with_intent: int = 0
    intent_hits: int = 0
    low_confidence: int = 0

    @property
    def detection_accuracy(self) -> float:
        return self.detected / self.messages if self.messages else 0.0

    @property
    def intent_accuracy(self) -> float:
        return self.intent_hits / self.with_intent if self.with_intent else 0.0


@dataclass
class LanguageEvalReport:
    """Every number of one run."""

    name: str
    per_language: dict[str, LanguageScore]
    detection_errors: list[str] = field(default_factory=list)
    intent_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def _total(self, languages: set[str]) -> LanguageScore:
        total = LanguageScore()
        for language, score in self.per_language.items():
            if language in languages:
                total.messages += score.messages
                total.detected += score.detected
                total.with_intent += score.with_intent
                total.intent_hits += score.intent_hits
                total.low_confidence += score.low_confidence
        return total

    @property
    def non_english(self) -> LanguageScore:
        """All languages but English together."""
        return self._total(set(self.per_language) - {"en"})


def load_cases(path: Path) -> list[LanguageCase]:
    """Read a set; an unknown language or a message without text is an error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: expected a mapping from language to messages")
    cases = []
    for language, items in raw.items():
        if language not in LANGUAGES:
            raise ValueError(f"{path.name}: unknown language {language!r}")
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError(f"{path.name}: {language}: each message needs a text: {item!r}")
            intents = {item["intent"], *item.get("also", [])} if item.get("intent") else set()
            cases.append(LanguageCase(language, item["text"], frozenset(intents)))
    return cases


def evaluate_languages(
    path: Path = DEV_PATH, classifier: IntentClassifier | None = None, name: str = ""
) -> LanguageEvalReport:
    """Detect and understand every message of the set at `path`."""
    model = classifier or IntentClassifier.load()
    report = LanguageEvalReport(name or path.name, {})
    started = time.perf_counter()
    for case in load_cases(path):
        score = report.per_language.setdefault(case.language, LanguageScore())
        score.messages += 1
        detected = detect_language(case.text).code
        if detected == case.language:
            score.detected += 1
        else:
            report.detection_errors.append(f"{case.text!r}: {detected} ({case.language})")
        if not case.intents:
            continue
        result = understand(case.text, classifier=model)
        score.with_intent += 1
        score.low_confidence += int(result.low_confidence)
        if result.intent in case.intents:
            score.intent_hits += 1
        else:
            report.intent_errors.append(
                f"{case.language} {case.text!r}: {result.intent} (expected "
                f"{'/'.join(sorted(case.intents))}); English view {result.search_text!r}"
            )
    report.seconds = round(time.perf_counter() - started, 2)
    return report
