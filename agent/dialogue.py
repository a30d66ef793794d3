"""Dialogue state: what the last turn left open, and how a short message resolves against it.

A customer does not repeat themselves: "and how long does that take?" leans on the question just
answered, "the tent one" on the orders just listed, "a question about your policy" on the message
the agent could not place, and "no, I meant 1043" on the order just discussed. The record node
keeps a `Recall` of each turn in the session (it follows the customer across channels like the
rest of the session); the understand node asks `resolve` whether this message leans on it, and
if so re-reads it in that light before routing sees it.

Everything here is rules over the message and the recall: deterministic and cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from agent.routing import (
    CONTENTS,
    KNOWLEDGE_INTENTS,
    ORDER_INTENTS,
    ORDER_READ_INTENTS,
    bare_numbers,
    says,
)
from agent.understanding.taxonomy import QUESTION_TOPICS

RECALL_TTL = timedelta(hours=6)
"""A recall older than this is forgotten: a message after a long pause starts afresh."""
FOLLOW_UP_WORDS = 10
"""A follow-up leaning on the last answer is short; a longer message stands on its own."""
SHORT_WORDS = 4
"""A message this short ("how much?", "and express?") leans on the last answer anyway."""


class RecalledOrder(TypedDict):
    name: str
    items: list[str]
    created_at: str | None


class Recall(TypedDict, total=False):
    """What one turn leaves open for the next (the session field `dialogue`)."""

    at: str
    """When the turn's message was sent (ISO)."""
    intent: str
    """The intent the turn acted on."""
    question: str | None
    """The knowledge question it answered (as searched), if it answered one."""
    passages: list[str]
    orders: list[RecalledOrder]
    """The orders it listed or the message named, in the order shown."""
    order: str | None
    """The order it discussed."""
    clarify: str | None
    """The message the agent could not place and asked about (order or policy?)."""
    topic: str | None
    """The order action a question was about ("can I cancel?": cancel_order), so an order
    number sent next acts on it."""


@dataclass(frozen=True)
class Resolution:
    """How this message reads in the light of the recall."""

    kind: str
    """followup | clarification | reference | correction."""
    intent: str
    act: str
    """The dialogue act the message now has: question or request."""
    search: str | None = None
    """What to search the knowledge store for, instead of the message alone."""
    order: str | None = None
    """The order the message refers to."""
    answered: tuple[str, ...] = ()
    """The passage the last answer quoted: a follow-up stays with its document."""
    focus: tuple[str, ...] = ()
    """What a follow-up adds to the question before it ("and for women?": women): the passage
    and the sentences that speak of it are preferred, the quoted passage included."""

    def note(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "intent": self.intent,
            "order": self.order,
            "search": (self.search or "")[:160] or None,
            "answered": list(self.answered),
            "focus": list(self.focus),
        }


Understand = Callable[[str], dict[str, Any]]
"""Understands a text (the understand node's `as_state(understand(text))`)."""


def recall_of(state: Mapping[str, Any]) -> Recall | None:
    """The recall this message may lean on, or None when there is none or it is stale."""
    recall = state.get("dialogue")
    if not recall:
        return None
    try:
        sent = datetime.fromisoformat(str(state["message"]["sent_at"]))
        age = sent - datetime.fromisoformat(str(recall.get("at")))
    except (KeyError, TypeError, ValueError):
        return None
    if age > RECALL_TTL:
        return None
    return recall


Listed = Callable[[], Sequence[Mapping[str, Any]]]
"""The customer's own orders (brief views with items), asked for only when needed."""


def resolve(
    recall: Recall | None,
    understanding: Mapping[str, Any],
    text: str,
    understand: Understand,
    listed: Listed = lambda: (),
    *,
    pending: bool = False,
) -> Resolution | None:
    """How this message leans on the last turn, or None when it stands on its own.

    With a proposal waiting, a yes or no answers the proposal ("no, I meant 1126" still says
    no to it first); without one, "no, I meant 1126" is a correction.
    """
    if recall is None or (pending and understanding.get("intent") in ("confirm", "deny")):
        return None
    return (
        _clarified(recall, understanding, text, understand, listed)
        or _supplied(recall, understanding, text)
        or _corrected(recall, understanding, text, listed)
        or _referred(recall, understanding, text, listed)
        or _followed_up(recall, understanding, text, understand)
    )


def apply(understanding: dict[str, Any], resolution: Resolution, text: str) -> dict[str, Any]:
    """The understanding as routing should see it: one ask with the resolved intent and act."""
    entities = dict(understanding.get("entities") or {})
    if resolution.order and resolution.order not in (entities.get("order_names") or []):
        entities["order_names"] = [resolution.order]
    ask = {
        "text": text,
        "act": resolution.act,
        "intent": resolution.intent,
        "topic_intent": None,
        "confidence": 1.0,
        "low_confidence": False,
    }
    return {
        **understanding,
        "intent": resolution.intent,
        "confidence": max(float(understanding.get("confidence", 0.0)), 0.9),
        "low_confidence": False,
        "entities": entities,
        "asks": [ask],
        "resolved": resolution.note(),
    }


# --- clarification answers ----------------------------------------------------------------------

_POLICY_BRANCH = re.compile(
    r"\b(?:polic(?:y|ies)|general(?:ly)?|in general|question|"
    r"how (?:it|that|this|they|those|these|things?) works?|"
    r"(?:haven'?t|have not|not yet|didn'?t|did not) (?:ordered|order|bought|buy|placed)|"
    r"not (?:about )?(?:an?|my) (?:order|purchase)|no order|before (?:i|ordering|buying)|"
    r"just (?:asking|wondering|curious)|rules?|info(?:rmation)?)\b",
    re.IGNORECASE,
)
_ORDER_BRANCH = re.compile(
    r"\b(?:my|an|the|this|that) (?:order|purchase|package|parcel|delivery)\b|#?\b\d{3,6}\b|"
    r"\border\b",
    re.IGNORECASE,
)


def _clarified(
    recall: Recall,
    understanding: Mapping[str, Any],
    text: str,
    understand: Understand,
    listed: Listed,
) -> Resolution | None:
    original = recall.get("clarify")
    if not original and _only_branch(text):
        original = recall.get("question")  # "just a general question" about what was answered
    if not original:
        return None
    names = (understanding.get("entities") or {}).get("order_names") or []
    if names or (_ORDER_BRANCH.search(text) and not _POLICY_BRANCH.search(text)):
        own = str(understanding.get("intent"))
        asked = _asked_about(text)
        if asked:
            intent = asked
        elif own in ORDER_INTENTS and not understanding.get("low_confidence"):
            intent = own  # "it's about #1153, can I still cancel?" says what it wants itself
        else:
            reread = understand(f"{original}\n{text}")
            intent = str(reread.get("intent"))
            if intent not in ORDER_INTENTS:
                intent = _order_intent(reread) or "order_details"
        order = names[0] if names else None
        if order is None and _REFERS.search(text):  # "the boots order": one of the customer's
            order = _pick([_recalled(o) for o in listed()][:10], text)
        return Resolution("clarification", intent, _order_act(intent), order=order)
    if _POLICY_BRANCH.search(text) and len(text.split()) <= 16:
        reread = understand(original)
        intent = _knowledge_intent(reread)
        return Resolution("clarification", intent, "question", search=original)
    return None


_BRANCH_FILLER = re.compile(
    r"\b(?:it'?s|it is|its|this is|that'?s|was|is|just|only|a|an|the|about|on|for|please|"
    r"thanks?|i|i'?m|am|my|your|you|not|no|yes|asking|mean|meant|wondering|curious|"
    r"generally|really|more|of|in|rather|than|sorry|like)\b",
    re.IGNORECASE,
)


def _only_branch(text: str) -> bool:
    """A message that only says what kind of question the last one was ("a general question
    about your policy, not about an order"), with nothing of its own to answer."""
    if not _POLICY_BRANCH.search(text) or len(text.split()) > 14:
        return False
    rest = _BRANCH_FILLER.sub(" ", _POLICY_BRANCH.sub(" ", text))
    rest = re.sub(
        r"\b(?:order|orders|purchase|yet|haven'?t|ordered|anything)\b", " ", rest, flags=re.I
    )
    return len(re.findall(r"[a-zA-Z]{3,}", rest)) <= 1


def _order_intent(understanding: Mapping[str, Any]) -> str | None:
    for score in understanding.get("top") or []:
        if score["intent"] in ORDER_INTENTS:
            return str(score["intent"])
    return None


def _knowledge_intent(understanding: Mapping[str, Any]) -> str:
    """The knowledge intent of a message read as a question (an action names its topic)."""
    for score in understanding.get("top") or []:
        intent = str(score["intent"])
        if intent in KNOWLEDGE_INTENTS:
            return intent
        if intent in QUESTION_TOPICS:
            return QUESTION_TOPICS[intent]
    return "policy_question"


# --- an order number after a question about an action -----------------------------------------

SUPPLY_WORDS = 12
"""A message this short that names an order after "can I cancel?" supplies the order."""


def _supplied(recall: Recall, understanding: Mapping[str, Any], text: str) -> Resolution | None:
    topic = recall.get("topic")
    if topic not in ORDER_INTENTS or len(text.split()) > SUPPLY_WORDS:
        return None
    names = (understanding.get("entities") or {}).get("order_names") or bare_numbers(text)
    if not names:
        return None
    own = str(understanding.get("intent"))
    own_request = own in ORDER_INTENTS - {"order_details", topic}
    if own_request and not understanding.get("low_confidence"):
        return None  # a request of its own ("where is #1042?")
    act = _order_act(topic)
    return Resolution("clarification", str(topic), act, order=names[0])


def _order_act(intent: str) -> str:
    """An order intent that only reads (status, details) is asked; the others are requested."""
    return "question" if intent in ORDER_READ_INTENTS else "request"


# --- corrections --------------------------------------------------------------------------------

_CORRECTION = re.compile(
    r"^\W*(?:no+|nope|sorry|oops|whoops|actually|wait|correction|my bad|my mistake|i meant|"
    r"i mean|wrong (?:number|order|one)|make (?:that|it)|scratch that|pardon(?: me)?|"
    r"ignore that|let me correct)\b|\b(?:i meant|i mean|meant|not that one|wrong (?:number|"
    r"order|one)|typo|mistyped|should (?:have )?(?:been|be|say|said)|mix(?:ed)? (?:them |those |"
    r"it |the (?:numbers|orders) )?up|got (?:them|those|the numbers) (?:mixed|muddled|confused)|"
    r"muddled|confused (?:them|the two))\b",
    re.IGNORECASE,
)
_NUMBER_ONLY_FILLER = re.compile(
    r"#?\d{3,7}|\b(?:sorry|oops|order|number|no|it'?s|its|is|was|for|my|the|about|on|one|"
    r"this|that|please|pls|thanks?|ok(?:ay)?|i|mean|meant|check|instead|actually)\b|[^\w#]",
    re.IGNORECASE,
)


def only_an_order(text: str) -> bool:
    """A message that says nothing but an order number ("1075 sorry", "order #1128 pls")."""
    return bool(bare_numbers(text)) and not _NUMBER_ONLY_FILLER.sub("", text).strip()


_OTHER = re.compile(r"\bthe other (?:one|order|purchase)\b|\bother order\b", re.IGNORECASE)


def _corrected(
    recall: Recall, understanding: Mapping[str, Any], text: str, listed: Listed
) -> Resolution | None:
    intent = recall.get("intent") or ""
    number_only = only_an_order(text)
    renamed = number_only and recall.get("order")  # after a list, a number picks one
    switched = _CORRECTION.search(text) or _OTHER.search(text)  # "..., my other order"
    if intent not in ORDER_INTENTS or not (switched or renamed):
        return None
    names = (understanding.get("entities") or {}).get("order_names") or bare_numbers(text)
    order = names[0] if names else None
    if order is None and _OTHER.search(text):
        known = recall.get("orders") or []
        if len(known) < 2:  # "my other order": the other of the customer's two
            known = [_recalled(o) for o in listed()][:5]
        others = [o for o in known if o["name"] != recall.get("order")]
        # the other one of two, or of several the one the text names ("the other one, the boots")
        order = others[0]["name"] if len(others) == 1 else _by_product(others, text.lower())
    if order is None:
        return None
    if order == recall.get("order"):
        if not number_only:
            return None
        # "order 1128" after an answer about it: the same matter, named again
        return Resolution("clarification", intent, _order_act(intent), order=order)
    own = str(understanding.get("intent"))
    if (
        own in ORDER_INTENTS - {"order_details"}  # "my order 1140" names one, asks nothing new
        and not understanding.get("low_confidence")
        and not number_only
        and says(own, text)  # "the other one actually. The boots." asks for no refund
    ):
        intent = own  # "sorry, I meant cancel #1043" changes what, not only which
    act = _order_act(intent)
    return Resolution("correction", intent, act, order=order)


# --- references to listed orders ----------------------------------------------------------------

_ORDINALS = {
    "first": 0,
    "1st": 0,
    "top": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "former": 0,
    "latter": -1,
}
_ORDINAL = re.compile(
    r"\b(?:the\s+)?(" + "|".join(_ORDINALS) + r")(?:\s+(?:one|order|purchase))?\b", re.IGNORECASE
)
_NEWEST = re.compile(
    r"\b(?:most recent|more recent|latest|newest|newer|last (?:one|order)|recent one|new one|"
    r"the last|later one)\b",
    re.IGNORECASE,
)
_OLDEST = re.compile(
    r"\b(?:oldest|earliest|older|old one|earlier one|first one i (?:placed|made))\b",
    re.IGNORECASE,
)
_REFERS = re.compile(
    r"\b(?:the|that|this)\s+(?:[\w-]+\s+){0,3}(?:one|order|purchase)s?\b|\bthe one\b|"
    r"\bone with\b|\bwith the\b|\bof (?:the|my|those|these) (?:two|three|\d)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    re.findall(
        r"\w+",
        "the one with and order orders purchase that this for from your my our a an of in on to "
        "it is was has have where what when status please cancel return refund",
    )
)


def _referred(
    recall: Recall, understanding: Mapping[str, Any], text: str, listed: Listed
) -> Resolution | None:
    entities = understanding.get("entities") or {}
    if entities.get("order_names"):
        return None
    if len(recall.get("orders") or []) < 2:
        if not _REFERS.search(text):
            return None
        # "where's the one with the canvas pants?" before any list: the customer's own orders
        recall = {**recall, "orders": [_recalled(o) for o in listed()][:10]}
        if len(recall["orders"]) < 2:
            return None
    names = [o["name"] for o in recall.get("orders") or []]
    numbered = [n for n in bare_numbers(text) if n in names]
    if numbered:
        order: str | None = numbered[0]
    else:
        order = _pick(list(fill_items(recall, listed).get("orders") or []), text)
    if order is None:
        return None
    own = str(understanding.get("intent"))
    recalled = recall.get("intent") or ""
    action = _ACTION_WORDS.search(text)
    sure = not understanding.get("low_confidence") or action is not None
    asking = text.rstrip().endswith("?") or any(
        a.get("act") == "question" for a in understanding.get("asks") or []
    )
    if (asked := _asked_about(text)) and (
        asked == "order_details"
        or asking
        or not sure
        or own not in ORDER_INTENTS
        or not says(own, text)  # "the belt, did that get delivered" reports no damage
    ):
        intent = asked
    elif action and own not in ORDER_INTENTS - ORDER_READ_INTENTS:
        intent = _ACTIONS[action.group(0).lower().split()[0]]  # "ok cancel the socks one"
    elif own in ORDER_INTENTS and sure and says(own, text):
        intent = own
    elif recalled in ORDER_INTENTS:
        intent = recalled
    else:
        intent = "order_details"
    act = _order_act(intent)
    return Resolution("reference", intent, act, order=order)


_ACTION_WORDS = re.compile(r"\b(?:cancel|return|refund|send (?:it )?back|exchange)\b", re.I)


def _asked_about(text: str) -> str | None:
    """What a short message about one order asks, when its words say it plainly: what was in
    it ("the first one, what was in it?") or where it is ("the boots order, delivered yet?")."""
    if _ACTION_WORDS.search(text):
        return None
    if CONTENTS.search(text):
        return "order_details"
    if _WHERE.search(text):
        return "track_order"
    return None


_ACTIONS = {
    "cancel": "cancel_order",
    "return": "return_item",
    "send": "return_item",
    "refund": "refund_request",
    "exchange": "exchange_item",
}
_WHERE = re.compile(
    r"\b(?:where|where'?s|wheres|when|arriv\w*|deliver\w*|ship(?:ped)?|sent|status|track\w*|come|"
    r"coming|happening|going on|update|dispatch\w*|gone out|go out|left|any news|news|"
    r"on (?:its|the) way|get here|got here|out yet|turn(?:ed)? up|show(?:ed|n)? up)\b",
    re.I,
)


def _pick(orders: Sequence[RecalledOrder], text: str) -> str | None:
    """The listed order the text points at: by position, recency, or what is in it."""
    lowered = _NOT_THIS.sub(" ", text.lower())  # "not the tent - the fleece": the fleece
    by_product = _by_product(orders, lowered)
    if by_product is not None:
        return by_product
    if _NEWEST.search(lowered) or _OLDEST.search(lowered):
        dated = [o for o in orders if o.get("created_at")]
        if len(dated) >= 2:
            ranked = sorted(dated, key=lambda o: str(o["created_at"]))
            return ranked[-1 if _NEWEST.search(lowered) else 0]["name"]
    if match := _ORDINAL.search(lowered):
        index = _ORDINALS[match.group(1).lower()]
        pointed = _REFERS.search(lowered) or match.group(1).lower() in ("former", "latter")
        if index < len(orders) and pointed:
            return orders[index]["name"]
    return None


_NOT_THIS = re.compile(
    r"\b(?:not|isn'?t|wasn'?t)\s+(?:the\s+|that\s+|my\s+)?(?:[\w-]+\s+){0,2}?[\w-]+"
    r"(?=\s*(?:[,;.!?-]|\bbut\b|\bthe\b|$))",
    re.IGNORECASE,
)
"""The order the customer says they do not mean ("not the tent", "not the blue one,")."""


def _by_product(orders: Sequence[RecalledOrder], lowered: str) -> str | None:
    """The one order whose items share a distinctive word with the text ("the tent one")."""
    words = {w.rstrip("s") for w in re.findall(r"[a-z]{3,}", lowered)} - _STOP
    if not words:
        return None
    hits = []
    for order in orders:
        vocabulary = {
            w.rstrip("s")
            for item in order.get("items") or []
            for w in re.findall(r"[a-z]{3,}", item.lower())
        }
        if words & vocabulary:
            hits.append(order["name"])
    return hits[0] if len(hits) == 1 else None


# --- follow-ups to the last answer --------------------------------------------------------------

_LEANS = re.compile(
    r"^\W*(?:and|also|plus|but|so|what about|how about|what if|and if|same for|same with|"
    r"does (?:that|it|this)|is (?:that|it|this)|do (?:they|those)|can i (?:do )?(?:that|it)|"
    r"(?:would|will|could) (?:that|it|this|they)(?: still)?)\b|"
    r"\b(?:that|it|this|those|them|there|one|then)\b\W*$|"
    r"\b(?:does that|is that|that take|it take|that cost|it cost|for that|with that)\b",
    re.IGNORECASE,
)


def _followed_up(
    recall: Recall, understanding: Mapping[str, Any], text: str, understand: Understand
) -> Resolution | None:
    question = recall.get("question")
    if not question or len(text.split()) > FOLLOW_UP_WORDS:
        return None
    entities = understanding.get("entities") or {}
    if entities.get("order_names") or entities.get("emails") or entities.get("address"):
        return None
    own = str(understanding.get("intent"))
    if own == "greeting" and not _LEANS.search(text):
        return None
    requests = [a for a in understanding.get("asks") or [] if a.get("act") == "request"]
    # "how fast does the money come back then" after a policy answer asks how refunds work
    general_refund = own == "refund_status" and not _MINE.search(text)
    if (requests or (own in ORDER_INTENTS and not general_refund)) and not understanding.get(
        "low_confidence"
    ):
        return None  # "and can you cancel it?", "where is #2207?": a matter of its own
    if bare_numbers(text):
        return None  # names an order: not about the last answer
    topicless = not [w for w in _content_words(text) if w not in _VAGUE]
    leans = bool(_LEANS.search(text)) or len(text.split()) <= SHORT_WORDS or topicless
    unsure = bool(understanding.get("low_confidence")) or own == "out_of_scope"
    if not (leans or unsure):
        return None
    combined = in_context(recall, text)
    recalled = recall.get("intent") or ""
    recalled = QUESTION_TOPICS.get(recalled, recalled)  # "can I cancel?" was a policy question
    if recalled and recalled not in ORDER_INTENTS:
        intent = recalled  # the topic goes on: "what about weekends?" after the support hours
    elif own in KNOWLEDGE_INTENTS and not unsure:
        intent = own
    else:
        intent = _knowledge_intent(understand(combined))
    focus = tuple(dict.fromkeys(w for w in _content_words(text) if w not in _VAGUE))
    asked = {stem(w) for w in _content_words(question)}
    focus = tuple(w for w in focus if stem(w) not in asked)
    answered = tuple(recall.get("passages") or [])[:1]
    return Resolution(
        "followup", intent, "question", search=combined, answered=answered, focus=focus
    )


_MINE = re.compile(r"\b(?:my|mine|our|i ordered|i bought)\b", re.IGNORECASE)
_VAGUE = frozenset(
    re.findall(
        r"[a-z']+",
        "about same else too either even still instead then than more less other another one "
        "ones thing things way case true really sure okay mean need want like know let tell say "
        "said asked ask wondering question work works working after before during then",
    )
)
"""Words a follow-up leans with ("what about…", "the same for…") that say nothing of its topic."""


def coverage(text: str, focus: Sequence[str]) -> float:
    """The share of a follow-up's new words (`focus`) that `text` speaks of."""
    if not focus:
        return 0.0
    stems = {stem(w) for w in re.findall(r"[a-zA-Z][a-zA-Z'\u2019-]+", text)}
    return sum(stem(w) in stems for w in focus) / len(focus)


def stem(word: str) -> str:
    """A word's crude stem, for telling that "saturdays" and "Saturday" are one word."""
    word = word.lower().removesuffix("'s").removesuffix("\u2019s")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def in_context(recall: Recall, text: str) -> str:
    """The message with the topic of the last answer in brackets, for searching ("and for
    express? (standard shipping cost shipping)")."""
    answered = tuple(recall.get("passages") or [])[:1]
    topic = " ".join([str(recall.get("question") or ""), *(_passage_words(p) for p in answered)])
    return f"{_LEAD.sub('', text).strip()} ({' '.join(dict.fromkeys(_content_words(topic)))})"


def fill_items(recall: Recall, listed: Listed) -> Recall:
    """The recall with the items of orders that were only named by number ("1096 and 1102"),
    from `listed` (the customer's own orders: nobody learns what is in another's order)."""
    orders = list(recall.get("orders") or [])
    if len(orders) < 2 or all(o.get("items") for o in orders):
        return recall
    known = {str(o.get("name")): o for o in listed()}
    filled: list[RecalledOrder] = [
        _recalled(known[o["name"]]) if not o.get("items") and o["name"] in known else o
        for o in orders
    ]
    return {**recall, "orders": filled}


_LEAD = re.compile(r"^\W*(?:and|also|plus|but|so|ok(?:ay)?|thanks?|cool|great)\b[,\s]*", re.I)
_FUNCTION_WORDS = frozenset(
    re.findall(
        r"[a-z']+",
        "a an the and or but if to of in on at for from with by about as is are was were be been "
        "do does did can could would will should shall may might must i you we they it this that "
        "these those my your our their me us them what which who whom whose when where why how "
        "there here any some much many long take takes get got have has had hi hello hey please "
        "thanks thank just also so not no yes ok okay im i'm it's its don't doesn't",
    )
)


def _passage_words(passage_id: str) -> str:
    """The topic of a passage's document (`returns.md#starting-a-return`: "returns"); not its
    heading, which would pull the search back to the passage already quoted."""
    return re.sub(r"[_-]", " ", passage_id.split("#")[0].removesuffix(".md"))


def _content_words(text: str) -> list[str]:
    """The words of a question that carry its topic ("ship", "canada")."""
    words = re.findall(r"[a-zA-Z][a-zA-Z'-]+", text.lower())
    return [w for w in words if w not in _FUNCTION_WORDS]


# --- what a turn leaves open --------------------------------------------------------------------


def remember(state: Mapping[str, Any]) -> Recall:
    """The recall of the turn that just ended (kept in the session for the next message)."""
    previous: Recall = dict(state.get("dialogue") or {})  # type: ignore[assignment]
    message = state["message"]
    understanding = state.get("understanding") or {}
    situation = str(state.get("situation") or "")
    answers = [a for a in state.get("answers") or [] if a.get("answerable")]
    question = None
    passages: list[str] = []
    if answers and (
        situation in ("answer", "answer_then_ask_order") or state.get("route") == "retrieve"
    ):
        question = state.get("search_text") or answers[0]["question"]
        passages = [p["id"] for p in answers[0].get("passages") or []][:3]
    elif situation == "answer_then_ask_order" and state.get("passages"):
        # A question about an action answered on the order path ("can I cancel?").
        question = state.get("search_text") or str(message["text"])
        passages = [p["id"] for p in state.get("passages") or []][:3]
    listed = [_recalled(o) for o in state.get("orders") or [] if o.get("name")]
    named = [str(n) for n in (understanding.get("entities") or {}).get("order_names") or []]
    if len(named) < 2:  # "I have 1123 and 1143 open": numbers the extractor left as numbers
        named = list(dict.fromkeys([*named, *bare_numbers(str(message["text"]))]))
    if len(named) > 1:  # "1061 and 1095": in the customer's order, for "the second"
        known = {o["name"]: o for o in listed}
        orders = [known.get(n) or {"name": n, "items": [], "created_at": None} for n in named]
    else:
        orders = listed
    order = (state.get("order") or {}).get("name") or (named[0] if named else None)
    if not orders:
        orders = list(previous.get("orders") or [])
    clarify = None
    if situation == "clarify":
        resolved = understanding.get("resolved") or {}
        clarify = previous.get("clarify") if resolved else message["text"]
    topics = [
        str(a.get("topic_intent"))
        for a in understanding.get("asks") or []
        if a.get("topic_intent") in ORDER_INTENTS
    ]
    return {
        "topic": topics[0] if question and topics else None,
        "at": str(message["sent_at"]),
        "intent": str(state.get("intent") or ""),
        "question": question,
        "passages": passages,
        "orders": orders[:5],
        "order": order or previous.get("order"),
        "clarify": clarify,
    }


def _recalled(order: Mapping[str, Any]) -> RecalledOrder:
    return {
        "name": str(order["name"]),
        "items": [str(i) for i in order.get("items") or []],
        "created_at": order.get("created_at"),
    }
