"""The resolution graph: the only module that wires nodes and edges (DESIGN.md §1).

identify → understand → route → (retrieve | act [→ retrieve] | ask) → compose → format → gate
→ (escalate) → record. After an order step, retrieve answers the questions that came with it.
`builder` is exported uncompiled so tests can compile it with any checkpointer.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agent.context import Context
from agent.nodes.act import act_on_order, next_after_act
from agent.nodes.compose import compose_reply, format_for_channel, gate_reply, next_after_gate
from agent.nodes.escalate import escalate_case
from agent.nodes.identify import identify_customer
from agent.nodes.record import record_turn
from agent.nodes.retrieve import retrieve_policy
from agent.nodes.route import next_after_route, route_message
from agent.nodes.understand import understand_message
from agent.state import AgentInput, AgentState
from agent.trace import traced


@traced("ask")
def ask_for_missing(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The turn asks instead of answering: say what is asked for in the trace."""
    runtime.context.trace.note("ask", state.get("situation") or "clarify")
    return {"ask": state.get("situation") or "clarify"}


def build() -> StateGraph[AgentState, Context, AgentInput, AgentState]:
    graph = StateGraph(AgentState, context_schema=Context, input_schema=AgentInput)
    graph.add_node("identify", identify_customer)
    graph.add_node("understand", understand_message)
    graph.add_node("route", route_message)
    graph.add_node("retrieve", retrieve_policy)
    graph.add_node("act", act_on_order)
    graph.add_node("ask", ask_for_missing)
    graph.add_node("compose", compose_reply)
    graph.add_node("format", format_for_channel)
    graph.add_node("gate", gate_reply)
    graph.add_node("escalate", escalate_case)
    graph.add_node("record", record_turn)

    graph.add_edge(START, "identify")
    graph.add_edge("identify", "understand")
    graph.add_edge("understand", "route")
    graph.add_conditional_edges(
        "route",
        next_after_route,
        {"retrieve": "retrieve", "act": "act", "ask": "ask", "compose": "compose"},
    )
    graph.add_edge("retrieve", "compose")
    graph.add_conditional_edges(
        "act", next_after_act, {"retrieve": "retrieve", "compose": "compose"}
    )
    graph.add_edge("ask", "compose")
    graph.add_edge("compose", "format")
    graph.add_edge("format", "gate")
    graph.add_conditional_edges(
        "gate", next_after_gate, {"escalate": "escalate", "record": "record"}
    )
    graph.add_edge("escalate", "record")
    graph.add_edge("record", END)
    return graph


builder = build()
"""The uncompiled graph."""
