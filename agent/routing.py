"""The conversation policy as plain rules: given what was understood, what happens next.

`decide` is a pure function of the state and the store policy, so every rule has a unit test and the
graph's `route` node only records its answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.language import language_decision, unsupported_language_reason
from agent.verification import find_code
from tools.policy import StorePolicy

ORDER_INTENTS = frozenset(
    {
        "track_order",
        "order_details",
        "cancel_order",
        "change_address",
        "return_item",
        "exchange_item",
        "refund_request",
        "refund_status",
        "damaged_item",
    }
)
KNOWLEDGE_INTENTS = frozenset(
    {
        "delivery_options",
        "policy_question",
        "product_question",
        "payment_problem",
        "discount_code",
        "account",
    }
)
FLAG_TOPICS = {
    "legal_threat": "legal",
    "chargeback": "chargeback",
    "self_harm": "self_harm",
    "harassment": "harassment",
}
"""Safety flags and the policy's `escalation.topics` names for them."""
TOPIC_PRIORITY = {
    "self_harm": "urgent",
    "legal": "high",
    "chargeback": "high",
    "harassment": "high",
}
PENDING_TTL = timedelta(hours=24)
"""A proposal not confirmed within this time lapses; a later yes does nothing."""
FRUSTRATION_LIMIT = 0.8
LOW_CONFIDENCE_LIMIT = 2


_ABOUT_IT = re.compile(
    r"\b(?:when|where)\b.*\b(?:it|my (?:order|package|parcel)|the (?:order|package|parcel))\b",
    re.IGNORECASE,
)
"""A question about where or when *this* order arrives, not about shipping in general."""
CONTINUATION_INTENTS = frozenset(
    {"order_details", "track_order", "greeting", "out_of_scope", "confirm", "deny"}
)
"""Intents a bare follow-up ("it's #1042", an address) tends to be classified as."""


ORDER_READ_INTENTS = frozenset({"track_order", "order_details", "refund_status"})
"""Questions about one's own order: answered by looking the order up, not from knowledge."""
SAFETY_TOPICS = frozenset(FLAG_TOPICS.values())
PERSONAL_CASES = frozenset({"customer_request", "frustration"})
"""Escalations where the customer wants a person: everything they write goes to that person."""


_SAYS = {
    "cancel_order": r"cancel\w*|call (?:it )?off|stop (?:the|my|this) order|"
    r"don'?t (?:want|need) it",
    "change_address": r"address|ship (?:it )?to|send (?:it )?to|deliver (?:it )?to|moved|moving|"
    r"wrong (?:street|flat|apartment|house)",
    "return_item": r"return\w*|send (?:it |them |this |these )?back|take (?:it |them )?back",
    "exchange_item": r"exchang\w*|swap\w*|different (?:size|colou?r)|(?:bigger|smaller) size",
    "refund_request": r"refund\w*|money back|reimburs\w*|credit (?:me|back)",
    "damaged_item": r"damag\w*|broke\w*|torn|tear|rip(?:ped|s)?|crack\w*|dent\w*|leak\w*|"
    r"stain\w*|scratch\w*|smash\w*|shatter\w*|snapp\w*|bent|crush\w*|faulty|defect\w*|"
    r"wrong|missing|not (?:working|what i ordered)|(?:doesn'?t|does not|won'?t|stopped) work\w*|"
    r"hole|ruin\w*|mou?ldy|wet|fell apart|falling apart|came apart|dead on arrival|doa",
}
"""Words without which a message does not ask for this action on an order: "the belt, did that
get delivered" is no damage report, whatever the classifier leans to."""
_SAYS_PATTERNS = {intent: re.compile(rf"\b(?:{words})\b", re.I) for intent, words in _SAYS.items()}


def says(intent: str, text: str) -> bool:
    """Whether `text` names the action `intent` stands for (true for intents that only read)."""
    pattern = _SAYS_PATTERNS.get(intent)
    return pattern is None or bool(pattern.search(text))


_BARE_NUMBER = re.compile(
    r"(?<![\w$€£.,/-])#?(\d{3,7})\b(?!\s*(?:%|days?|dollars?|usd|cad|eur|\.\d))"
)


def bare_numbers(text: str) -> list[str]:
    """Numbers that could be order numbers ("it's 1092"), as order names (`#1092`)."""
    return [f"#{n}" for n in _BARE_NUMBER.findall(text)]


BARE_ORDER_WORDS = 6
"""A message this short names an order with a bare number ("what's in 1056")."""
CONTENTS = re.compile(
    r"\bwhat (?:else )?(?:was|is|'?s|were|are) in\b|\bwhat did i (?:get|buy|order)\b|\bhow much "
    r"(?:was|did|is|does)\b|\b(?:the )?total\b|\bwhat(?:'s| is| was) on\b|\bwhich items?\b|"
    r"\bwhat did (?:i|we|it|that|this|they) (?:end up )?(?:pay|paying|cost)\b|\bcost (?:me|us)\b|"
    r"\bwhat i paid\b",
    re.IGNORECASE,
)
"""A question about what an order holds or cost ("what's in it?", "what did that cost me")."""


def is_order_ask(ask: Mapping[str, Any]) -> bool:
    """A request or report about an order, or a question about one's own order's status."""
    intent = str(ask.get("intent", ""))
    if ask.get("act") in ("request", "report"):
        return intent in ORDER_INTENTS
    return ask.get("act") == "question" and intent in ORDER_READ_INTENTS


def is_knowledge_ask(ask: Mapping[str, Any]) -> bool:
    """A question the store's knowledge may answer (including one about how an action works)."""
    if is_order_ask(ask) or ask.get("act") in ("yes_no", "small_talk"):
        return False
    intent = str(ask.get("intent", ""))
    if intent == "human_agent":  # "when is your team around?" is a question about the team
        text = str(ask.get("text", ""))
        return asks_about_team(text)
    return intent in KNOWLEDGE_INTENTS or intent == "out_of_scope" or bool(ask.get("topic_intent"))


def _asks(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list((state.get("understanding") or {}).get("asks") or [])


_ABOUT_OWN = re.compile(
    r"\b(?:my|our)\s+(?:order|package|parcel|refund|return|delivery|case|complaint)\b|"
    r"\b(?:it|this|that)\b\s*(?:\?|$)",
    re.IGNORECASE,
)


_ABOUT_TEAM = re.compile(
    r"\b(?:when|what time|hours?|open|opening|around|available|weekends?|saturdays?|sundays?|"
    r"holidays?|phone number|email address|how (?:do|can) i (?:reach|contact|call|email)|"
    r"(?:a|your|the) (?:phone |telephone )?number (?:i|we) can (?:call|ring|phone|text|use)|"
    r"(?:call|ring|phone) you)\b",
    re.IGNORECASE,
)
_WHEN = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:when|what time|what hours|which days|how late|how early|until "
    r"what time|are you open)\b",
    re.IGNORECASE,
)
"""A question about when: "what time of day can I get hold of a real person" asks the hours."""
_WANTS_PERSON = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\b|\b(?:human|real person|someone|representative|"
    r"manager|supervisor)\b|\bput me through\b|\btransfer me\b",
    re.IGNORECASE,
)


def asks_about_team(text: str) -> bool:
    """A question about the support team (its hours, how to reach it), not a wish for a person."""
    if not _ABOUT_TEAM.search(text):
        return False
    return not _WANTS_PERSON.search(text) or bool(_WHEN.search(text))


def is_general_question(state: Mapping[str, Any]) -> bool:
    """Only questions, none of them about the customer's own order or case."""
    asks = _asks(state)
    questions = [a for a in asks if a.get("act") not in ("small_talk",)]
    if not questions or any(a.get("act") != "question" for a in questions):
        return False
    if any(str(a.get("intent")) in ORDER_READ_INTENTS - {"refund_status"} for a in questions):
        return False
    text = str((state.get("message") or {}).get("text", ""))
    return not _ABOUT_OWN.search(text)


def knowledge_questions(state: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The message's questions for the knowledge store, each to be answered on its own."""
    return tuple(
        {"text": a["text"], "intent": a.get("intent"), "topic": a.get("topic_intent")}
        for a in _asks(state)
        if is_knowledge_ask(a)
    )


@dataclass(frozen=True)
class Decision:
    route: str
    """retrieve | act | ask | respond | escalate."""
    reason: str
    situation: str = ""
    escalation: dict[str, Any] | None = None
    intent: str = ""
    """The intent acted on (the open issue's when this message only supplies what was asked)."""
    questions: tuple[dict[str, Any], ...] = ()
    """Knowledge questions of the message to answer besides (or as) the main route."""
    case: str = ""
    """With a person's case open: `join` (this message belongs to it) or `separate` (its own
    matter, handled by the agent in its own conversation); empty otherwise."""


def effective_intent(state: Mapping[str, Any]) -> tuple[str, bool]:
    """The intent to act on and whether confidence is low, after follow-up continuation.

    "It's #1042, maya@example.com" answers the question the agent asked about the open issue; it
    is not a new tracking request.
    """
    understanding = state.get("understanding") or {}
    intent = str(understanding.get("intent", "out_of_scope"))
    low = bool(understanding.get("low_confidence"))
    if understanding.get("resolved"):  # read against the last turn already (agent.dialogue)
        return intent, low
    issue = state.get("open_issue")
    entities = understanding.get("entities") or {}
    supplies = any(entities.get(key) for key in ("order_names", "emails", "phones", "address"))
    if issue and supplies and (low or intent in CONTINUATION_INTENTS) and issue["intent"] != intent:
        return str(issue["intent"]), False
    if intent not in ("confirm", "deny"):
        chosen = _intent_from_asks(state, intent, low)
        if chosen is not None:
            intent, low = chosen
    text = str((state.get("message") or {}).get("text", ""))
    # a bare number names an order only in a short message: in a longer one it may be a postal
    # code, a year or an amount
    short = len(text.split()) <= BARE_ORDER_WORDS
    named = entities.get("order_names") or (bare_numbers(text) if short else [])
    unsure_of_action = intent in ORDER_INTENTS and not says(intent, text)
    unsure_of_topic = intent not in ORDER_INTENTS and (
        not knowledge_questions(state) or bool(CONTENTS.search(text))
    )
    if named and (intent == "out_of_scope" or (low and (unsure_of_action or unsure_of_topic))):
        # "what's in 1056", "typo on my part: 4108": a named order and nothing clearer to do is
        # a question about that order; reading it is harmless, and no action starts unasked.
        return "order_details", False
    if low and intent in ORDER_INTENTS and entities.get("order_names"):
        # Unsure between order requests, but about a named order: looking it up is harmless
        # and anything irreversible is still proposed and confirmed first.
        return intent, False
    if low and intent in ORDER_READ_INTENTS and _MY_ORDERS.search(text):
        # "can you pull up my orders?": reading one's own orders is harmless, and the list
        # (or the one order) is a better answer than asking what the message is about.
        return intent, False
    if intent == "delivery_options" and state.get("active_order") and _ABOUT_IT.search(text):
        # "when will it arrive" while an order is under discussion asks about that order.
        return "track_order", False
    return intent, low


_MY_ORDERS = re.compile(
    r"\bmy (?:(?:recent|last|past|previous|open|current) )?(?:orders|purchases)\b|"
    r"\b(?:orders|purchases) (?:on|in|under|for) my (?:account|name|email)\b|"
    r"\bwhat orders\b|\b(?:list|show|pull up|see|check) (?:all )?(?:the |my )?orders\b",
    re.I,
)


REPORT_LEADS_AT = 0.7
"""A report less sure than this is taken as the story around a message's real ask."""


def _lead_rank(ask: Mapping[str, Any]) -> int:
    """Which order ask leads: a request, a clear report, a question about the order, the rest."""
    if ask.get("act") == "request":
        return 0
    if ask.get("act") == "report" and float(ask.get("confidence", 0.0)) >= REPORT_LEADS_AT:
        return 1
    return 2 if ask.get("act") == "question" else 3


def _intent_from_asks(state: Mapping[str, Any], intent: str, low: bool) -> tuple[str, bool] | None:
    """The main intent when the message's asks say more than its overall classification.

    An order request or report (or a question about one's own order) leads; a message whose
    asks are all questions is answered from knowledge even when it names an action ("can I send
    it back? how long would I have?"), unless it names an order, where the order's own facts
    answer it (and anything irreversible is still only proposed).
    """
    asks = _asks(state)
    if not asks:
        return None
    entities = (state.get("understanding") or {}).get("entities") or {}
    orders = sorted((a for a in asks if is_order_ask(a)), key=_lead_rank)
    if orders:
        first = orders[0]
        return str(first["intent"]), bool(first.get("low_confidence")) and low
    questions = [a for a in asks if is_knowledge_ask(a)]
    if not questions:
        return None
    topics = [q for q in questions if q.get("topic_intent")]
    if topics and entities.get("order_names"):
        return str(topics[0]["topic_intent"]), False
    if intent in ORDER_INTENTS or intent in ("greeting", "out_of_scope") or low:
        best = max(questions, key=lambda q: float(q.get("confidence", 0.0)))
        in_scope = [q for q in questions if q.get("intent") != "out_of_scope"]
        if in_scope:
            best = max(in_scope, key=lambda q: float(q.get("confidence", 0.0)))
        return str(best["intent"]), bool(best.get("low_confidence")) and low
    return None


def pending_lapsed(pending: Mapping[str, object] | None, sent_at: str) -> bool:
    """Whether a proposal is too old for this message's yes to release it."""
    if not pending:
        return False
    try:
        age = datetime.fromisoformat(sent_at) - datetime.fromisoformat(str(pending["proposed_at"]))
    except (KeyError, TypeError, ValueError):
        return True
    return age > PENDING_TTL


def _escalate(code: str, message: str, priority: str = "normal") -> Decision:
    return Decision(
        "escalate",
        code,
        "escalated",
        {"code": code, "message": message, "priority": priority},
    )


def decide(state: dict[str, Any], policy: StorePolicy) -> Decision:
    """The next step for this turn, by the rules in order of precedence."""
    decision = _decide(state, policy)
    intent, _ = effective_intent(state)
    questions = knowledge_questions(state)
    if decision.situation in ("already_escalated", "escalated", "injection"):
        questions = ()
    return Decision(
        decision.route,
        decision.reason,
        decision.situation,
        decision.escalation,
        intent,
        questions,
        decision.case,
    )


def case_scope(state: Mapping[str, Any]) -> str:
    """With a person's case open: does this message belong to it (`join`) or not (`separate`)?

    A person's case holds only its own matter: the escalated order or topic. A new request about
    another order, or a question the knowledge store can answer, is the agent's again. After a
    safety-topic escalation, or when the customer asked for a person, everything joins the case.
    """
    matter = dict(state.get("escalation_matter") or {})
    code = str(matter.get("code", ""))
    if code in SAFETY_TOPICS or code in PERSONAL_CASES or not matter:
        return "join"
    understanding = state.get("understanding") or {}
    if understanding.get("flags"):
        return "join"
    intent, low = effective_intent(state)
    named = [str(n) for n in (understanding.get("entities") or {}).get("order_names") or []]
    order = matter.get("order")
    pending = state.get("pending_action") or {}
    if pending and (understanding.get("is_confirmation") or understanding.get("is_denial")):
        # A yes or no to something the agent proposed meanwhile, about another order.
        return "join" if pending.get("args", {}).get("order") == order else "separate"
    if not named and is_general_question(state):
        return "separate"
    if named:
        return "join" if order in named or low else "separate"
    if intent in ORDER_INTENTS:
        # No order named: a different kind of request is about another order the agent can
        # look up; the same kind is taken to be the escalated matter.
        same = intent == matter.get("intent") or intent in ("refund_status", "track_order")
        return "join" if same or low or not order else "separate"
    if intent in KNOWLEDGE_INTENTS and not low and knowledge_questions(state):
        return "separate"
    return "join"


def _decide(state: dict[str, Any], policy: StorePolicy) -> Decision:
    understanding = state.get("understanding") or {}
    intent, low_confidence = effective_intent(state)
    flags = set(understanding.get("flags") or [])
    pending = state.get("pending_action")

    if state.get("escalated"):
        if case_scope(state) == "join":
            return Decision(
                "respond", "case already with a human", "already_escalated", case="join"
            )
        if is_general_question(state) and not (
            (state.get("understanding") or {}).get("entities") or {}
        ).get("order_names"):
            return Decision(
                "retrieve",
                "a general question, apart from the case a person has",
                "answer",
                case="separate",
            )
        separate = _decide({**state, "escalated": False}, policy)
        return Decision(
            separate.route,
            f"{separate.reason} (apart from the case a person has)",
            separate.situation,
            separate.escalation,
            case="separate",
        )
    if "prompt_injection" in flags:
        return Decision("respond", "instructions embedded in the message are ignored", "injection")
    for flag, topic in FLAG_TOPICS.items():
        if flag in flags and topic in policy.escalation.topics:
            return _escalate(
                topic,
                f"The customer's message raises a {topic.replace('_', ' ')} topic.",
                TOPIC_PRIORITY.get(topic, "high"),
            )
    language = str(understanding.get("language") or policy.languages.default)
    assumed = not understanding.get("language_confidence")  # too short to tell: never held
    if language_decision(language, policy, assumed=assumed) == "escalate":
        return _escalate("unsupported_language", unsupported_language_reason(language))
    if intent == "human_agent":
        text = str((state.get("message") or {}).get("text", ""))
        if is_general_question(state) and asks_about_team(text):
            # "When is your team around?" asks about the team; the knowledge store answers it,
            # and if it can't, a person does.
            return Decision("retrieve", "a question about reaching the team", "answer")
        if not low_confidence:
            return _escalate("customer_request", "The customer asked for a person.")
    if float(understanding.get("frustration", 0.0)) >= FRUSTRATION_LIMIT:
        return _escalate("frustration", "The customer is very frustrated.", "high")
    if pending:
        text = str((state.get("message") or {}).get("text", ""))
        if pending.get("proof") and find_code(text):
            return Decision("act", "the one-time code for the pending action", "execute_pending")
        if understanding.get("is_confirmation"):
            return Decision("act", "explicit yes to the pending action", "execute_pending")
        if understanding.get("is_denial"):
            return Decision("respond", "the customer declined the pending action", "declined")
    if low_confidence and (intent in KNOWLEDGE_INTENTS or intent == "out_of_scope"):
        # Unsure which policy topic, but a policy topic: the retrieval threshold decides whether
        # there is an answer (a miss counts as not understood, like a clarifying question).
        return Decision("retrieve", f"unsure {intent}: answer only from a strong passage", "answer")
    if low_confidence:
        if int(state.get("low_confidence_streak", 0)) + 1 >= LOW_CONFIDENCE_LIMIT:
            return _escalate(
                "low_confidence", "The agent did not understand the customer twice in a row."
            )
        return Decision("ask", "low intent confidence", "clarify")
    if int(state.get("unresolved_turns", 0)) >= policy.escalation.max_ai_turns:
        return _escalate(
            "max_ai_turns",
            f"No resolution after {policy.escalation.max_ai_turns} AI turns.",
        )
    if intent == "greeting":
        if knowledge_questions(state):
            return Decision("retrieve", "a greeting with a question", "answer")
        return Decision("respond", "greeting or thanks", "greeting")
    if intent in ("confirm", "deny"):
        return Decision("respond", "a yes or no with nothing pending", "nothing_pending")
    if intent == "out_of_scope":
        # Out of scope only when the knowledge store has nothing on it either.
        return Decision("retrieve", "classed out of scope: the knowledge store decides", "answer")
    if intent == "complaint":
        entities = understanding.get("entities") or {}
        if entities.get("order_names"):
            return Decision("act", "a complaint about a named order", "complaint")
        return Decision("respond", "a complaint: acknowledge and ask what happened", "complaint")
    if intent in ORDER_INTENTS:
        return Decision("act", f"{intent} needs the order", intent)
    if intent in KNOWLEDGE_INTENTS:
        return Decision("retrieve", f"{intent} is answered from the knowledge store", "answer")
    return Decision("retrieve", f"unmapped intent {intent}: try the knowledge store", "answer")
