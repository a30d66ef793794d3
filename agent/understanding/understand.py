"""`understand()`: the one entry point of the understanding step.

It combines the embedding classifier (intent, calibrated confidence, top intents), the
confirmation rules, entity extraction, the frustration score, the safety flags and the message's
asks (each part's act and own intent, see `asks.py`) into one frozen `Understanding` the graph
stores in its state and the trace shows.

A message in another language (`agent.language.detect_language`) is read through its English
view (`glossary.english_view`): the classifier, the asks, the yes/no rules and the frustration
phrases see the English words, while entities and safety flags are read from the message as
written (their rules know the other languages' phrasings, and an order number or an email must
never pass through a rewrite); the view only adds an order number or item that its English words
name ("ordine 4410" is "order 4410").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from agent.language import detect_language
from agent.understanding.asks import Ask, read_message
from agent.understanding.classifier import IntentClassifier, IntentScore
from agent.understanding.confirm import is_confirmation, is_denial
from agent.understanding.entities import Entities, extract_entities
from agent.understanding.flags import SafetyFlags, frustration_score, safety_flags
from agent.understanding.glossary import english_view

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
    I get?"). For a message in another language, each ask's text is from its English view."""
    language: str = "en"
    """The message's language (ISO 639-1, see `agent.language`); English when too short to
    tell."""
    language_confidence: float = 0.0
    """The language detector's probability of `language` (0.0: assumed, not detected)."""
    search_text: str = ""
    """What the knowledge search should embed: the English view of a message in another language,
    else the message itself."""

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
            "language": self.language,
            "language_confidence": self.language_confidence,
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
    language = detect_language(text)
    view = english_view(text, language.code)
    prediction, _, asks = read_message(view, model)
    # On the English view: "non ho ricevuto il rimborso" opens with a no but is no denial.
    confirmation = is_confirmation(view)
    denial = is_denial(view)
    intent, confidence, low = prediction.intent, prediction.confidence, prediction.low_confidence
    if (confirmation or denial) and len(view.split()) <= MAX_CONFIRMATION_WORDS:
        intent, confidence, low = ("confirm" if confirmation else "deny"), 1.0, False
    return Understanding(
        text=text,
        intent=intent,
        confidence=confidence,
        top_intents=prediction.top,
        low_confidence=low,
        entities=_entities(text, view, catalogue, region),
        frustration=max(frustration_score(text), frustration_score(view)),
        flags=safety_flags(text),
        is_confirmation=confirmation,
        is_denial=denial,
        asks=asks,
        language=language.code,
        language_confidence=language.confidence,
        search_text=view,
    )


def _entities(text: str, view: str, catalogue: Sequence[str], region: str) -> Entities:
    """Entities from the message as written. Its English view adds what only its English words
    name: an order number after "ordine" or "encomenda" (the digits are copied verbatim into the
    view), and catalogue items ("la chaqueta" names the jacket)."""
    entities = extract_entities(text, catalogue=catalogue, region=region)
    if view == text:
        return entities
    seen = extract_entities(view, catalogue=catalogue, region=region)
    orders = tuple(name for name in seen.order_names if name not in entities.order_names)
    items = tuple(item for item in seen.items if item not in entities.items)
    if not orders and not items:
        return entities
    return replace(
        entities,
        order_names=entities.order_names + orders,
        items=entities.items + items,
    )
