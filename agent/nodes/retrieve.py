"""retrieve: the store's one knowledge source, with passage ids and scores kept for the trace.

Every question of the message is searched on its own (one batch), so "how long does shipping
take, and do you ship to Norway?" gets two answers with their own sources. After an order step
the same node answers the questions that came along with the order request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context
from agent.dialogue import coverage, in_context, recall_of
from agent.routing import KNOWLEDGE_INTENTS
from agent.state import AgentState
from agent.trace import traced

logger = logging.getLogger("threadline.agent")

TOP_K = 3
FOCUS_K = 6
"""A follow-up looks further down the list for the passage that speaks of what it adds."""


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
    if state.get("route") == "retrieve" and (len(asks) <= 1 or not questions):
        text = state.get("search_text") or state["message"]["text"]
        resolved = (state.get("understanding") or {}).get("resolved") or {}
        recall = recall_of(state)
        # Not read as a follow-up, but unanswerable on its own ("how long are they valid?"):
        # searched again in the light of the last answer.
        leaning = recall and recall.get("question") and not resolved
        search = {"search": in_context(recall, text)} if leaning and recall else {}
        if not search and state.get("intent") == "human_agent":
            # "what time of day can I get hold of a real person": a question about the team
            search = {"search": f"{text} ({TEAM_WORDS})"}
        return [
            {
                "text": text,
                "intent": state.get("intent"),
                "topic": None,
                "focus": resolved.get("focus") or [],
                "answered": resolved.get("answered") or [],
                **search,
            }
        ]
    return with_context(questions)


TEAM_WORDS = "support team hours contact"
"""Searched with a question about reaching the team, whose own words rarely name the topic."""
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


_LEAD_IN = re.compile(r"^.*[:;]\s+(?=\S)|^(?:also|and|plus|oh and|one more thing)\b[,\s]*", re.I)
_JOINED = re.compile(
    r",?\s+and\s+(?=(?:would|will|do|does|is|are|can|could|how|what|when|where|which|who|"
    r"should|if)\b)",
    re.IGNORECASE,
)


def sub_questions(text: str) -> list[str]:
    """The question without its lead-in ("Also, in case it doesn't fit: …"), split where two
    questions share one sentence ("how long would I have, and would it cost anything?")."""
    core = _LEAD_IN.sub("", text.strip()).strip() or text.strip()
    parts = [p.strip(" ,") for p in _JOINED.split(core) if len(p.split()) >= 3]
    return parts or [core]


def _search(knowledge: Any, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each question searched as asked and by its parts (one batch); the parts answer when the
    whole is unsure, or when they find different passages (two questions in one sentence)."""
    plans = []
    searches: list[str] = []
    for query in queries:
        whole = query["text"]
        parts = [p for p in sub_questions(query["text"]) if p != query["text"]]
        if query.get("search"):  # a short follow-on: with the question before it, as a fallback
            parts.append(query["search"])
        plans.append((query, len(searches), parts))
        searches.append(whole)
        searches.extend(parts)
    k = FOCUS_K if any(q.get("focus") for q in queries) else TOP_K
    results = knowledge.search_many(searches, k=k) if searches else []
    answers = []
    for query, index, parts in plans:
        whole = results[index]
        found = [(query["text"], whole)]
        if parts:
            pieces = list(zip(parts, results[index + 1 : index + 1 + len(parts)], strict=True))
            good = [(q, r) for q, r in pieces if r.answerable and r.passages]
            if query.get("search"):
                contextual = [(query["text"], r) for q, r in good if q == query["search"]]
                good = contextual[:1] if not whole.answerable else []
            distinct = {r.passages[0].id for _, r in good}
            if (good and not whole.answerable) or (len(good) > 1 and len(distinct) > 1):
                found = good
        for question, result in found:
            answers.append(
                {
                    "question": question,
                    "intent": query.get("intent"),
                    "topic": query.get("topic"),
                    "answerable": bool(result.answerable),
                    "passages": focused(
                        [passage_state(p) for p in result.passages],
                        query.get("focus") or [],
                        query.get("answered") or [],
                    ),
                    "focus": list(query.get("focus") or []),
                }
            )
    return answers


FOCUS_WEIGHT = 0.25
"""How much a passage that speaks of all of a follow-up's new words gains over one that speaks of
none: enough to reorder close candidates, not to lift an unrelated passage over the topic."""


ELSEWHERE = 0.4
"""The share of the pull a passage gets when it is in another document than the one quoted."""


def focused(
    passages: list[dict[str, Any]], focus: list[str], answered: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The passages reordered for a follow-up: one that speaks of what it adds ("and for women?"
    after the men's sizes) goes first, even the passage just quoted ("what about expedited?"
    after a shipping-costs answer that quoted other methods). A follow-up continues its topic,
    so the pull is weaker for a passage of another document than the one just quoted."""
    if not focus or len(passages) < 2:
        return passages
    documents = {a.split("#")[0] for a in answered}

    def pull(passage: dict[str, Any]) -> float:
        near = not documents or passage["id"].split("#")[0] in documents
        weight = FOCUS_WEIGHT if near else FOCUS_WEIGHT * ELSEWHERE
        return float(passage["score"]) + weight * coverage(
            f"{passage['heading']} {passage['text']}", focus
        )

    return sorted(passages, key=lambda p: -pull(p))


@traced("retrieve")
def retrieve_policy(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    services = runtime.context.services
    knowledge = services.knowledge
    main = state.get("route") == "retrieve"
    answers: list[dict[str, Any]] | None = None
    if knowledge is not None:
        try:
            answers = _search(knowledge, _queries(state))
        except Exception as exc:  # a broken index must not take the conversation down
            logger.error("knowledge search failed: %s", type(exc).__name__)
    if answers is None:
        broken = knowledge is not None or services.knowledge_problem is not None
        runtime.context.trace.note("retrieval", {"available": False, "broken": broken})
        if not main:
            return {"answers": []}
        if broken:
            # The store has policies we cannot read right now: a person answers, not a guess.
            return _escalate(
                [],
                [],
                "knowledge_unavailable",
                "The store's knowledge is unavailable, so the question could not be answered.",
            )
        return {"passages": [], "answerable": False, "situation": "unanswerable", "answers": []}
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
            return _escalate(
                passages, answers, "customer_request", "The customer asked how to reach a person."
            )
        understanding = state.get("understanding") or {}
        if understanding.get("low_confidence") and int(state.get("low_confidence_streak", 0)):
            # Not understood, and no answer either, for the second time in a row: a person.
            return _escalate(
                passages,
                answers,
                "low_confidence",
                "The agent did not understand the customer twice in a row.",
            )
        situation = "out_of_scope" if state.get("intent") == "out_of_scope" else "unanswerable"
        if understanding.get("low_confidence") and state.get("intent") == "out_of_scope":
            situation = "clarify"  # neither the classifier nor the knowledge store knows it
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


def _escalate(
    passages: list[dict[str, Any]], answers: list[dict[str, Any]], code: str, message: str
) -> dict[str, Any]:
    """No answer where a person should give one: the turn escalates with what was searched."""
    return {
        "passages": passages,
        "answerable": False,
        "answers": answers,
        "situation": "escalated",
        "escalation": {"code": code, "message": message, "priority": "normal"},
    }


def in_scope_intent(state: AgentState) -> str:
    """The best-scoring intent the knowledge store answers, for a message classed out of scope."""
    understanding = state.get("understanding") or {}
    for score in understanding.get("top") or []:
        if score["intent"] in KNOWLEDGE_INTENTS or score["intent"] == "human_agent":
            return str(score["intent"])
    return "policy_question"
