"""retrieve: the store's one knowledge source, with passage ids and scores kept for the trace.

Every question of the message is searched on its own (one batch), so "how long does shipping
take, and do you ship to Norway?" gets two answers with their own sources. After an order step
the same node answers the questions that came along with the order request.
"""

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


def _queries(state: AgentState) -> list[dict[str, Any]]:
    """What to search: each question on its own, or the whole message when it is one ask."""
    questions = list(state.get("questions") or [])
    asks = (state.get("understanding") or {}).get("asks") or []
    text = state["message"]["text"]
    if state.get("route") == "retrieve" and len(asks) <= 1:
        intent = state.get("intent")
        return [{"text": text, "intent": intent, "topic": None}]
    if state.get("route") == "retrieve" and not questions:
        return [{"text": text, "intent": state.get("intent"), "topic": None}]
    return questions


@traced("retrieve")
def retrieve_policy(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    knowledge = runtime.context.services.knowledge
    main = state.get("route") == "retrieve"
    if knowledge is None:
        runtime.context.trace.note("retrieval", {"available": False})
        if not main:
            return {"answers": []}
        return {"passages": [], "answerable": False, "situation": "unanswerable", "answers": []}
    queries = _queries(state)
    results = knowledge.search_many([q["text"] for q in queries], k=TOP_K) if queries else []
    answers = []
    for query, result in zip(queries, results, strict=True):
        answers.append(
            {
                "question": query["text"],
                "intent": query.get("intent"),
                "topic": query.get("topic"),
                "answerable": bool(result.answerable),
                "passages": [passage_state(p) for p in result.passages],
            }
        )
    runtime.context.trace.note(
        "retrieval",
        [
            {
                "question": a["question"][:120],
                "answerable": a["answerable"],
                "passages": [{"id": p["id"], "score": p["score"]} for p in a["passages"]],
            }
            for a in answers
        ],
    )
    if not main:
        return {"answers": answers}
    first = next((a for a in answers if a["answerable"]), answers[0] if answers else None)
    passages = first["passages"] if first else []
    if first is None or not first["answerable"]:
        situation = "out_of_scope" if state.get("intent") == "out_of_scope" else "unanswerable"
        return {
            "passages": passages,
            "answerable": False,
            "situation": situation,
            "answers": answers,
        }
    return {"passages": passages, "answerable": True, "situation": "answer", "answers": answers}
