"""The conversation policy as plain rules: given what was understood, what happens next.

`decide` is a pure function of the state and the store policy, so every rule has a unit test and the
graph's `route` node only records its answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tools.policy import StorePolicy

ORDER_INTENTS = frozenset(
    {
        "track_order",
        "order_details",
        "cancel_order",
        "change_address",
        "return_item",
        "exchange_item",
        "refund_request",
        "refund_status",
        "damaged_item",
    }
)
KNOWLEDGE_INTENTS = frozenset(
    {
        "delivery_options",
        "policy_question",
        "product_question",
        "payment_problem",
        "discount_code",
        "account",
    }
)
FLAG_TOPICS = {
    "legal_threat": "legal",
    "chargeback": "chargeback",
    "self_harm": "self_harm",
    "harassment": "harassment",
}
"""Safety flags and the policy's `escalation.topics` names for them."""
TOPIC_PRIORITY = {
    "self_harm": "urgent",
    "legal": "high",
    "chargeback": "high",
    "harassment": "high",
}
PENDING_TTL = timedelta(hours=24)
"""A proposal not confirmed within this time lapses; a later yes does nothing."""
FRUSTRATION_LIMIT = 0.8
LOW_CONFIDENCE_LIMIT = 2


_ABOUT_IT = re.compile(
    r"\b(?:when|where)\b.*\b(?:it|my (?:order|package|parcel)|the (?:order|package|parcel))\b",
    re.IGNORECASE,
)
"""A question about where or when *this* order arrives, not about shipping in general."""
CONTINUATION_INTENTS = frozenset(
    {"order_details", "track_order", "greeting", "out_of_scope", "confirm", "deny"}
)
"""Intents a bare follow-up ("it's #1042", an address) tends to be classified as."""


@dataclass(frozen=True)
class Decision:
    route: str
    """retrieve | act | ask | respond | escalate."""
    reason: str
    situation: str = ""
    escalation: dict[str, Any] | None = None
    intent: str = ""
    """The intent acted on (the open issue's when this message only supplies what was asked)."""


def effective_intent(state: dict[str, Any]) -> tuple[str, bool]:
    """The intent to act on and whether confidence is low, after follow-up continuation.

    "It's #1042, maya@example.com" answers the question the agent asked about the open issue; it
    is not a new tracking request.
    """
    understanding = state.get("understanding") or {}
    intent = str(understanding.get("intent", "out_of_scope"))
    low = bool(understanding.get("low_confidence"))
    issue = state.get("open_issue")
    entities = understanding.get("entities") or {}
    supplies = any(entities.get(key) for key in ("order_names", "emails", "phones", "address"))
    if issue and supplies and (low or intent in CONTINUATION_INTENTS) and issue["intent"] != intent:
        return str(issue["intent"]), False
    if low and intent in ORDER_INTENTS and entities.get("order_names"):
        # Unsure between order requests, but about a named order: looking it up is harmless
        # and anything irreversible is still proposed and confirmed first.
        return intent, False
    text = str((state.get("message") or {}).get("text", ""))
    if intent == "delivery_options" and state.get("active_order") and _ABOUT_IT.search(text):
        # "when will it arrive" while an order is under discussion asks about that order.
        return "track_order", False
    return intent, low


def pending_lapsed(pending: Mapping[str, object] | None, sent_at: str) -> bool:
    """Whether a proposal is too old for this message's yes to release it."""
    if not pending:
        return False
    try:
        age = datetime.fromisoformat(sent_at) - datetime.fromisoformat(str(pending["proposed_at"]))
    except (KeyError, TypeError, ValueError):
        return True
    return age > PENDING_TTL


def _escalate(code: str, message: str, priority: str = "normal") -> Decision:
    return Decision(
        "escalate",
        code,
        "escalated",
        {"code": code, "message": message, "priority": priority},
    )


def decide(state: dict[str, Any], policy: StorePolicy) -> Decision:
    """The next step for this turn, by the rules in order of precedence."""
    decision = _decide(state, policy)
    intent, _ = effective_intent(state)
    return Decision(
        decision.route, decision.reason, decision.situation, decision.escalation, intent
    )


def _decide(state: dict[str, Any], policy: StorePolicy) -> Decision:
    understanding = state.get("understanding") or {}
    intent, low_confidence = effective_intent(state)
    flags = set(understanding.get("flags") or [])
    pending = state.get("pending_action")

    if state.get("escalated"):
        return Decision("respond", "case already with a human", "already_escalated")
    if "prompt_injection" in flags:
        return Decision("respond", "instructions embedded in the message are ignored", "injection")
    for flag, topic in FLAG_TOPICS.items():
        if flag in flags and topic in policy.escalation.topics:
            return _escalate(
                topic,
                f"The customer's message raises a {topic.replace('_', ' ')} topic.",
                TOPIC_PRIORITY.get(topic, "high"),
            )
    if intent == "human_agent" and not low_confidence:
        return _escalate("customer_request", "The customer asked for a person.")
    if float(understanding.get("frustration", 0.0)) >= FRUSTRATION_LIMIT:
        return _escalate("frustration", "The customer is very frustrated.", "high")
    if pending:
        if understanding.get("is_confirmation"):
            return Decision("act", "explicit yes to the pending action", "execute_pending")
        if understanding.get("is_denial"):
            return Decision("respond", "the customer declined the pending action", "declined")
    if low_confidence and intent in KNOWLEDGE_INTENTS:
        # Unsure which policy topic, but a policy topic: the retrieval threshold decides whether
        # there is an answer (a miss counts as not understood, like a clarifying question).
        return Decision("retrieve", f"unsure {intent}: answer only from a strong passage", "answer")
    if low_confidence:
        if int(state.get("low_confidence_streak", 0)) + 1 >= LOW_CONFIDENCE_LIMIT:
            return _escalate(
                "low_confidence", "The agent did not understand the customer twice in a row."
            )
        return Decision("ask", "low intent confidence", "clarify")
    if int(state.get("unresolved_turns", 0)) >= policy.escalation.max_ai_turns:
        return _escalate(
            "max_ai_turns",
            f"No resolution after {policy.escalation.max_ai_turns} AI turns.",
        )
    if intent == "greeting":
        return Decision("respond", "greeting or thanks", "greeting")
    if intent in ("confirm", "deny"):
        return Decision("respond", "a yes or no with nothing pending", "nothing_pending")
    if intent == "out_of_scope":
        return Decision("respond", "outside what the store's support covers", "out_of_scope")
    if intent == "complaint":
        entities = understanding.get("entities") or {}
        if entities.get("order_names"):
            return Decision("act", "a complaint about a named order", "complaint")
        return Decision("respond", "a complaint: acknowledge and ask what happened", "complaint")
    if intent in ORDER_INTENTS:
        return Decision("act", f"{intent} needs the order", intent)
    if intent in KNOWLEDGE_INTENTS:
        return Decision("retrieve", f"{intent} is answered from the knowledge store", "answer")
    return Decision("retrieve", f"unmapped intent {intent}: try the knowledge store", "answer")
