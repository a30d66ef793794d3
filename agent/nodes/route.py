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
    }
    if decision.situation == "declined" or lapsed:
        update["pending_action"] = None
    if decision.situation == "injection":
        update["pending_action"] = None  # nothing proposed earlier is acted on after this
    return update


def next_after_route(state: AgentState) -> str:
    """retrieve | act | ask | compose (respond and escalate go straight to composing)."""
    route = state.get("route", "")
    return route if route in ("retrieve", "act", "ask") else "compose"
