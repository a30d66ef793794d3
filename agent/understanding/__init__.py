"""Deterministic understanding of a customer message: intent, asks, entities, frustration, flags.

Public API:

- `understand(text, *, catalogue=(), region="US") -> Understanding`
- `asks_of(text) -> tuple[Ask, ...]`: every ask of a message with its `DialogueAct` and own intent;
  `split_message(text) -> MessageParts`: its parts, greetings/quotes/signatures set aside
- `IntentClassifier.load(cache_dir=None)`: the process-wide trained classifier
- `extract_entities`, `safety_flags`, `frustration_score`, `is_confirmation`, `is_denial`
- `INTENTS` / `INTENT_NAMES`: the taxonomy (see `taxonomy.py` and the README's Intents section)
"""

from agent.understanding.asks import (
    AsideKind,
    Ask,
    MessageParts,
    SetAside,
    asks_of,
    split_message,
)
from agent.understanding.classifier import (
    CONFIDENCE_THRESHOLD,
    ActClassifier,
    IntentClassifier,
    IntentPrediction,
    IntentScore,
)
from agent.understanding.confirm import is_confirmation, is_denial
from agent.understanding.entities import Entities, Money, Quantity, extract_entities
from agent.understanding.flags import FLAG_NAMES, SafetyFlags, frustration_score, safety_flags
from agent.understanding.taxonomy import (
    ALL_INTENT_NAMES,
    INTENT_NAMES,
    INTENTS,
    QUESTION_TOPICS,
    RULE_INTENTS,
    DialogueAct,
)
from agent.understanding.understand import Understanding, understand

__all__ = [
    "ALL_INTENT_NAMES",
    "CONFIDENCE_THRESHOLD",
    "FLAG_NAMES",
    "INTENTS",
    "INTENT_NAMES",
    "QUESTION_TOPICS",
    "RULE_INTENTS",
    "ActClassifier",
    "AsideKind",
    "Ask",
    "DialogueAct",
    "Entities",
    "IntentClassifier",
    "IntentPrediction",
    "IntentScore",
    "MessageParts",
    "Money",
    "Quantity",
    "SafetyFlags",
    "SetAside",
    "Understanding",
    "asks_of",
    "extract_entities",
    "frustration_score",
    "is_confirmation",
    "is_denial",
    "safety_flags",
    "split_message",
    "understand",
]
