"""understand: intent with a calibrated confidence, entities, frustration and safety flags."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.addresses import parse_address
from agent.context import Context
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
    understanding = as_state(
        understand(text, catalogue=services.catalogue, region=services.phone_region), text
    )
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
        },
    )
    return {"understanding": understanding}
