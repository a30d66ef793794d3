"""compose, format and gate: the reply's words, its shape on the channel, whether it goes out."""

from __future__ import annotations

import hashlib
from typing import Any

from langgraph.runtime import Runtime

from agent.channels import format_reply
from agent.context import Context
from agent.state import AgentState
from agent.trace import traced
from tools.policy import ChannelPolicy


@traced("compose")
def compose_reply(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    services = runtime.context.services
    situation = state.get("situation") or ""
    if state.get("route") == "ask" and not situation:
        situation = "clarify"
    draft = services.composer.compose({**state, "situation": situation}, services.policy)
    runtime.context.trace.note("compose", {"situation": situation, "sources": draft.sources})
    return {"situation": situation, "draft": {"text": draft.text, "sources": draft.sources}}


@traced("format")
def format_for_channel(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    policy = runtime.context.services.policy
    message = state["message"]
    formatted = format_reply(
        state["draft"]["text"],
        message["channel"],
        customer_name=(state.get("identity") or {}).get("name"),
        store_name=policy.store.name,
    )
    return {
        "reply": {
            "text": formatted.text,
            "channel": formatted.channel,
            "parts": formatted.parts or [formatted.text],
        }
    }


def channel_policy(policy: Any, channel: str) -> ChannelPolicy:
    configured: ChannelPolicy | None = policy.channels.get(channel)
    return configured or ChannelPolicy()


def sampled(message_id: str, rate: float) -> bool:
    """A stable coin flip per message, so re-running a message samples it the same way."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(message_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


@traced("gate")
def gate_reply(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """send, hold for review, or draft only, by the channel's autonomy stage."""
    channel = state["message"]["channel"]
    stage = channel_policy(runtime.context.services.policy, channel)
    if state.get("escalation") or state.get("situation") == "already_escalated":
        outcome, review = "escalated", None
    elif stage.stage == "autonomous":
        outcome = "replied"
        review = "sample" if sampled(state["message"]["id"], stage.sample_rate) else None
    else:
        outcome, review = "held_for_review", "hold"
    decision = {"stage": stage.stage, "outcome": outcome, "review": review}
    runtime.context.trace.note("gate", decision)
    return {"outcome": outcome, "gate": decision}


def next_after_gate(state: AgentState) -> str:
    return "escalate" if state.get("escalation") else "record"
