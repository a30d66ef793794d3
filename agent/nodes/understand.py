"""understand: intent with a calibrated confidence, entities, frustration and safety flags."""

from __future__ import annotations

import functools
from typing import Any

from langgraph.runtime import Runtime

from agent.addresses import parse_address
from agent.context import Context
from agent.dialogue import apply, recall_of, resolve
from agent.proof import customer_identity
from agent.state import AgentState
from agent.trace import traced
from agent.understanding import Understanding, understand


def as_state(result: Understanding, text: str) -> dict[str, Any]:
    """The JSON-safe view of an understanding that the state and the trace keep."""
    entities = result.entities
    address = parse_address(text)
    top = [{"intent": s.intent, "score": round(float(s.score), 4)} for s in result.top_intents]
    return {
        "intent": result.intent,
        "confidence": round(float(result.confidence), 4),
        "top": top,
        "low_confidence": bool(result.low_confidence),
        "entities": {
            "order_names": list(entities.order_names),
            "emails": list(entities.emails),
            "phones": list(entities.phones),
            "amounts": [
                {"amount": str(m.amount), "currency": m.currency} for m in entities.amounts
            ],
            "items": list(entities.items),
            "address": address is not None,
        },
        "frustration": round(float(result.frustration), 3),
        "flags": list(result.flags.names),
        "language": result.language,
        "language_confidence": round(float(result.language_confidence), 4),
        "search_text": result.search_text or text,
        "is_confirmation": bool(result.is_confirmation),
        "is_denial": bool(result.is_denial),
        "asks": [
            {
                "text": ask.text,
                "act": str(ask.act),
                "intent": ask.intent,
                "topic_intent": ask.topic_intent,
                "confidence": round(float(ask.confidence), 4),
                "low_confidence": bool(ask.low_confidence),
            }
            for ask in result.asks
        ],
    }


@traced("understand")
def understand_message(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    services = runtime.context.services
    message = state["message"]
    text = message["text"]
    if message.get("subject") and message["channel"] == "email":
        text = f"{message['subject']}\n{text}"

    def read(words: str) -> dict[str, Any]:
        return as_state(
            understand(words, catalogue=services.catalogue, region=services.phone_region), words
        )

    understanding = read(text)
    # A message in another language is read, searched and resolved through its English view.
    words = str(understanding.get("search_text") or text)
    update: dict[str, Any] = {"search_text": words if words != text else None}
    resolution = resolve(
        recall_of(state),
        understanding,
        words,
        read,
        functools.cache(lambda: _own_orders(services, state)),  # one lookup, however often asked
        pending=bool(state.get("pending_action")),
    )
    if resolution is not None:
        understanding = apply(understanding, resolution, words)
        update["search_text"] = resolution.search or update["search_text"]
        runtime.context.trace.note("dialogue", resolution.note())
    runtime.context.trace.note(
        "understanding",
        {
            "intent": understanding["intent"],
            "confidence": understanding["confidence"],
            "top": understanding["top"],
            "low_confidence": understanding["low_confidence"],
            "flags": understanding["flags"],
            "frustration": understanding["frustration"],
            "entity_kinds": sorted(k for k, v in understanding["entities"].items() if v),
            "asks": understanding["asks"],
            "language": understanding["language"],
        },
    )
    return {**update, "understanding": understanding}


def _own_orders(services: Any, state: AgentState) -> list[dict[str, Any]]:
    """The customer's orders as the shop lists them (empty when it cannot be asked)."""
    identity = customer_identity(state.get("identity") or {})
    if services.tools is None or identity.empty:
        return []
    result = services.tools.lookup_orders(identity)
    return list(result.data.get("orders") or []) if result.ok else []
