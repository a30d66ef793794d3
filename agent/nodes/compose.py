"""compose, format and gate: the reply's words, its shape on the channel, whether it goes out."""

from __future__ import annotations

import hashlib
from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session

from agent.channels import format_reply
from agent.context import Context
from agent.review_gate import channel_policy, current_stage, risks_of
from agent.state import AgentState
from agent.trace import traced


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
    rule = channel_policy(policy, message["channel"])
    formatted = format_reply(
        state["draft"]["text"],
        message["channel"],
        customer_name=(state.get("identity") or {}).get("name"),
        store_name=policy.store.name,
        greeting=rule.greeting,
        sign_off=rule.sign_off,
    )
    return {
        "reply": {
            "text": formatted.text,
            "channel": formatted.channel,
            "parts": formatted.parts or [formatted.text],
        }
    }


def sampled(message_id: str, rate: float) -> bool:
    """A stable coin flip per message, so re-running a message samples it the same way."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(message_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


@traced("gate")
def gate_reply(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """send, hold for review, or draft only, by the channel's stage (as the review gate set
    it); autonomous replies go to reviewers by sample and always when risky."""
    services = runtime.context.services
    channel = state["message"]["channel"]
    rule = channel_policy(services.policy, channel)
    with Session(services.engine) as session:
        stage = current_stage(session, services.policy, channel)
        risks = risks_of(session, dict(state), rule)
    intent = state.get("intent") or (state.get("understanding") or {}).get("intent")
    kind: str | None
    if state.get("escalation") or state.get("situation") == "already_escalated":
        outcome, kind = "escalated", None
    elif stage.autonomous_for(intent):
        outcome = "replied"
        chosen = sampled(state["message"]["id"], rule.sample_rate)
        kind = "sample" if chosen or risks else None
    else:
        outcome, kind = "held_for_review", "draft" if stage.stage == "draft" else "hold"
    decision = {
        "stage": "autonomous" if stage.autonomous_for(intent) else stage.stage,
        "outcome": outcome,
        "review": None if kind is None else ("sample" if kind == "sample" else "hold"),
        "kind": kind,
        "risks": risks,
    }
    runtime.context.trace.note("gate", decision)
    return {"outcome": outcome, "gate": decision}


def next_after_gate(state: AgentState) -> str:
    return "escalate" if state.get("escalation") else "record"
