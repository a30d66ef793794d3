"""retrieve: the store's one knowledge source, with passage ids and scores kept for the trace."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.state import AgentState
from agent.trace import traced

TOP_K = 3


def passage_state(passage: Any) -> dict[str, Any]:
    """A retrieved passage as the state keeps it (JSON-safe, heading path for citing)."""
    return {
        "id": passage.id,
        "title": passage.title,
        "heading": " > ".join(passage.heading_path) if passage.heading_path else passage.title,
        "text": passage.text,
        "score": round(float(passage.score), 4),
    }


@traced("retrieve")
def retrieve_policy(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    knowledge = runtime.context.services.knowledge
    if knowledge is None:
        runtime.context.trace.note("retrieval", {"available": False})
        return {"passages": [], "answerable": False, "situation": "unanswerable"}
    result = knowledge.search(state["message"]["text"], k=TOP_K)
    passages = [passage_state(p) for p in result.passages]
    runtime.context.trace.note(
        "retrieval",
        {
            "answerable": result.answerable,
            "passages": [{"id": p["id"], "score": p["score"]} for p in passages],
        },
    )
    if not result.answerable:
        return {"passages": passages, "answerable": False, "situation": "unanswerable"}
    return {"passages": passages, "answerable": True, "situation": "answer"}
