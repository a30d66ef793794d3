"""retrieve: the store's one knowledge source, with passage ids and scores kept for the trace.

Every question of the message is searched on its own (one batch), so "how long does shipping
take, and do you ship to Norway?" gets two answers with their own sources. After an order step
the same node answers the questions that came along with the order request.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.routing import KNOWLEDGE_INTENTS
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
    return with_context(questions)


ELLIPTICAL_WORDS = 7
"""A question this short leans on the one before it ("and how many days do I get?")."""


def with_context(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Short follow-on questions are searched together with the question before them."""
    searched: list[dict[str, Any]] = []
    for index, question in enumerate(questions):
        text = str(question["text"])
        if index and len(text.split()) <= ELLIPTICAL_WORDS:
            searched.append({**question, "search": f"{questions[index - 1]['text']} {text}"})
        else:
            searched.append(question)
    return searched


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
    searches = [q.get("search") or q["text"] for q in queries]
    results = knowledge.search_many(searches, k=TOP_K) if queries else []
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
        if state.get("intent") == "human_agent":
            return {
                "passages": passages,
                "answerable": False,
                "answers": answers,
                "situation": "escalated",
                "escalation": {
                    "code": "customer_request",
                    "message": "The customer asked how to reach a person.",
                    "priority": "normal",
                },
            }
        situation = "out_of_scope" if state.get("intent") == "out_of_scope" else "unanswerable"
        return {
            "passages": passages,
            "answerable": False,
            "situation": situation,
            "answers": answers,
        }
    update = {"passages": passages, "answerable": True, "situation": "answer", "answers": answers}
    if state.get("intent") == "out_of_scope":
        # The knowledge store found it in scope: report the closest in-scope intent.
        update["intent"] = in_scope_intent(state)
    return update


def in_scope_intent(state: AgentState) -> str:
    """The best-scoring intent the knowledge store answers, for a message classed out of scope."""
    understanding = state.get("understanding") or {}
    for score in understanding.get("top") or []:
        if score["intent"] in KNOWLEDGE_INTENTS or score["intent"] == "human_agent":
            return str(score["intent"])
    return "policy_question"
