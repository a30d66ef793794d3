"""`understand()`: the one entry point of the understanding step.

It combines the embedding classifier (intent, calibrated confidence, top intents), the
confirmation rules, entity extraction, the frustration score, the safety flags and the message's
asks (each part's act and own intent, see `asks.py`) into one frozen `Understanding` the graph
stores in its state and the trace shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.understanding.asks import Ask, read_message
from agent.understanding.classifier import IntentClassifier, IntentScore
from agent.understanding.confirm import is_confirmation, is_denial
from agent.understanding.entities import Entities, extract_entities
from agent.understanding.flags import SafetyFlags, frustration_score, safety_flags

MAX_CONFIRMATION_WORDS = 6
"""A yes/no longer than this keeps the classifier's intent (e.g. "yes, and where is #1042?")."""


@dataclass(frozen=True)
class Understanding:
    """What one customer message means, as far as deterministic rules and the model can tell."""

    text: str
    """The message as received."""
    intent: str
    """Best intent: a taxonomy name, or `confirm`/`deny` for a short explicit yes/no."""
    confidence: float
    """Calibrated probability of `intent` (1.0 for a rule-decided confirm/deny)."""
    top_intents: tuple[IntentScore, ...]
    """The classifier's best intents with scores, most likely first (always at least two)."""
    low_confidence: bool
    """The agent should ask or escalate rather than act on `intent`."""
    entities: Entities
    """Order names, emails, phones, amounts, items, quantities."""
    frustration: float
    """0 (calm) .. 1 (furious)."""
    flags: SafetyFlags
    """Safety flags; `flags.names` lists the raised ones."""
    is_confirmation: bool
    """An explicit, unhedged yes (releases a pending irreversible action)."""
    is_denial: bool
    """An explicit no / wait."""
    asks: tuple[Ask, ...] = ()
    """Every ask of the message in order, each with its act and its own intent: the whole-message
    intent may be unsure while each ask is clear ("what's your return policy and how many days do
    I get?")."""

    @property
    def secondary_intent(self) -> IntentScore:
        """The runner-up intent, for messages carrying two requests."""
        return self.top_intents[1]

    def trace(self) -> dict[str, object]:
        """A JSON-ready summary for the ops trace."""
        return {
            "intent": self.intent,
            "confidence": self.confidence,
            "low_confidence": self.low_confidence,
            "top_intents": [{"intent": s.intent, "score": s.score} for s in self.top_intents],
            "frustration": self.frustration,
            "flags": list(self.flags.names),
            "is_confirmation": self.is_confirmation,
            "is_denial": self.is_denial,
            "asks": [ask.trace() for ask in self.asks],
        }


def understand(
    text: str,
    *,
    catalogue: Sequence[str] = (),
    region: str = "US",
    classifier: IntentClassifier | None = None,
) -> Understanding:
    """Understand one customer message.

    `catalogue`: the store's product titles / variant names for item matching. `region`: ISO
    country for phone numbers without a country code. `classifier`: defaults to the
    process-wide `IntentClassifier.load()` (trained on first use).
    """
    model = classifier or IntentClassifier.load()
    prediction, _, asks = read_message(text, model)
    confirmation = is_confirmation(text)
    denial = is_denial(text)
    intent, confidence, low = prediction.intent, prediction.confidence, prediction.low_confidence
    if (confirmation or denial) and len(text.split()) <= MAX_CONFIRMATION_WORDS:
        intent, confidence, low = ("confirm" if confirmation else "deny"), 1.0, False
    return Understanding(
        text=text,
        intent=intent,
        confidence=confidence,
        top_intents=prediction.top,
        low_confidence=low,
        entities=extract_entities(text, catalogue=catalogue, region=region),
        frustration=frustration_score(text),
        flags=safety_flags(text),
        is_confirmation=confirmation,
        is_denial=denial,
        asks=asks,
    )
