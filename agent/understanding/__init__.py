"""Deterministic understanding of a customer message: intent, entities, frustration, flags.

Public API:

- `understand(text, *, catalogue=(), region="US") -> Understanding`
- `IntentClassifier.load(cache_dir=None)`: the process-wide trained classifier
- `extract_entities`, `safety_flags`, `frustration_score`, `is_confirmation`, `is_denial`
- `INTENTS` / `INTENT_NAMES`: the taxonomy (see `taxonomy.py` and the README's Intents section)
"""

from agent.understanding.classifier import (
    CONFIDENCE_THRESHOLD,
    IntentClassifier,
    IntentPrediction,
    IntentScore,
)
from agent.understanding.confirm import is_confirmation, is_denial
from agent.understanding.entities import Entities, Money, Quantity, extract_entities
from agent.understanding.flags import FLAG_NAMES, SafetyFlags, frustration_score, safety_flags
from agent.understanding.taxonomy import ALL_INTENT_NAMES, INTENT_NAMES, INTENTS, RULE_INTENTS
from agent.understanding.understand import Understanding, understand

__all__ = [
    "ALL_INTENT_NAMES",
    "CONFIDENCE_THRESHOLD",
    "FLAG_NAMES",
    "INTENTS",
    "INTENT_NAMES",
    "RULE_INTENTS",
    "Entities",
    "IntentClassifier",
    "IntentPrediction",
    "IntentScore",
    "Money",
    "Quantity",
    "SafetyFlags",
    "Understanding",
    "extract_entities",
    "frustration_score",
    "is_confirmation",
    "is_denial",
    "safety_flags",
    "understand",
]
