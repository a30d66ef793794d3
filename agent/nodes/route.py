"""route: apply the conversation policy (`agent.routing.decide`) and remember why."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.routing import decide, pending_lapsed
from agent.state import AgentState
from agent.trace import traced


@traced("route")
def route_message(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    view = dict(state)
    lapsed = pending_lapsed(state.get("pending_action"), state["message"]["sent_at"])
    if lapsed:
        view["pending_action"] = None
    decision = decide(view, runtime.context.services.policy)
    runtime.context.trace.note(
        "route", {"route": decision.route, "reason": decision.reason, "intent": decision.intent}
    )
    update: dict[str, Any] = {
        "route": decision.route,
        "route_reason": decision.reason,
        "situation": decision.situation,
        "escalation": decision.escalation,
        "intent": decision.intent,
        "questions": list(decision.questions),
        "case": decision.case,
    }
    if decision.case:
        message = place_in_case(state, decision.case, runtime.context)
        if message is not None:
            update["message"] = message
    if decision.situation == "declined" or lapsed:
        update["pending_action"] = None
    if decision.situation == "injection":
        update["pending_action"] = None  # nothing proposed earlier is acted on after this
    return update


def place_in_case(state: AgentState, case: str, context: Context) -> dict[str, Any] | None:
    """Keep a person's case to its own matter: a follow-up joins it, a new matter leaves it.

    A message that leaves the case gets a conversation of its own, and the case gets an internal
    note pointing to it, so the person sees what the agent handled meanwhile. Returns the
    message with its new conversation, or None when it stays where it was recorded.
    """
    message = state["message"]
    case_id = state.get("escalated_case_id")
    if case_id is None:
        return None
    inbox = context.services.inbox
    if case == "join" and message["conversation_id"] != case_id:
        inbox.move_message(message["id"], case_id)
        return {**message, "conversation_id": case_id}
    if case == "separate" and message["conversation_id"] == case_id:
        moved_to = inbox.move_message(message["id"], None)
        inbox.note(
            case_id,
            message["channel"],
            f"The customer wrote about something else meanwhile; the agent handles it in "
            f"conversation {moved_to}.",
            {"linked_conversation_id": moved_to, "message_id": message["id"]},
        )
        return {**message, "conversation_id": moved_to}
    return None


def next_after_route(state: AgentState) -> str:
    """retrieve | act | ask | compose (respond and escalate go straight to composing)."""
    route = state.get("route", "")
    return route if route in ("retrieve", "act", "ask") else "compose"
