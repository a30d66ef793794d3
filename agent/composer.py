"""Composing replies from facts only: store data, retrieved passages, tool results, the policy.

`TemplateComposer` is the deterministic default: every sentence is a template filled with values
taken from the order, a passage or the policy, so nothing (no date, amount or promise) is
invented. An LLM composer plugs in behind the same `Composer` protocol and must be checked
against the same facts before it is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from agent.business_hours import holding_time
from agent.dialogue import coverage
from agent.language import handover_notice, unserved_notice
from inbox.models import utcnow
from tools.policy import StorePolicy

CHANNEL_NAMES = {
    "chat": "chat",
    "email": "email",
    "instagram": "Instagram",
    "messenger": "Messenger",
    "sms": "text message",
    "whatsapp": "WhatsApp",
    "voice": "call",
}
ISSUE_WORDS = {
    "damaged_item": "the damaged item",
    "return_item": "your return",
    "exchange_item": "your exchange",
    "refund_request": "your refund",
    "refund_status": "your refund",
    "cancel_order": "cancelling your order",
    "change_address": "the delivery address",
    "track_order": "your delivery",
    "order_details": "your order",
    "create_return": "your return",
    "refund": "your refund",
}
SHIPMENT_WORDS = {
    "in_transit": "is on its way",
    "out_for_delivery": "is out for delivery today",
    "delivered": "was delivered",
    "confirmed": "has shipped and is waiting for the carrier's first scan",
    "label_printed": "is packed and waiting for the carrier",
    "attempted_delivery": "had a delivery attempt; the carrier will try again",
    "failure": "ran into a delivery problem with the carrier",
    "ready_for_pickup": "is ready for pickup",
}


_THANKS = re.compile(
    r"\b(thanks?|thank you|thx|ty|cheers|appreciate|gracias|merci|danke|grazie|obrigad[oa]|"
    r"valeu)\b",
    re.I,
)


def says_thanks(text: str) -> bool:
    """The customer thanks us ("thanks!", "merci beaucoup")."""
    return bool(_THANKS.search(text))


class Situation(StrEnum):
    """What a turn's reply is about: each has exactly one template (`TemplateComposer`)."""

    ANSWER = "answer"
    UNANSWERABLE = "unanswerable"
    CLARIFY = "clarify"
    GREETING = "greeting"
    OUT_OF_SCOPE = "out_of_scope"
    INJECTION = "injection"
    ASK_ORDER_NUMBER = "ask_order_number"
    ANSWER_THEN_ASK_ORDER = "answer_then_ask_order"
    NO_ORDERS_FOUND = "no_orders_found"
    ASK_WHICH_ORDER = "ask_which_order"
    ASK_VERIFICATION = "ask_verification"
    ORDER_NOT_VERIFIED = "order_not_verified"
    ASK_ADDRESS = "ask_address"
    ASK_WHICH_ITEM = "ask_which_item"
    TRACK_ORDER = "track_order"
    ORDER_DETAILS = "order_details"
    REFUND_STATUS = "refund_status"
    ALREADY_CANCELLED = "already_cancelled"
    CANCEL_NOT_ALLOWED = "cancel_not_allowed"
    RETURN_NOT_ALLOWED = "return_not_allowed"
    NOTHING_TO_REFUND = "nothing_to_refund"
    CONFIRM_CANCEL_ORDER = "confirm_cancel_order"
    CONFIRM_CREATE_RETURN = "confirm_create_return"
    CONFIRM_REFUND = "confirm_refund"
    CONFIRM_UPDATE_SHIPPING_ADDRESS = "confirm_update_shipping_address"
    CODE_NEEDED = "code_needed"
    CODE_WRONG = "code_wrong"
    CODE_EXPIRED = "code_expired"
    CANCEL_ORDER_DONE = "cancel_order_done"
    CREATE_RETURN_DONE = "create_return_done"
    REFUND_DONE = "refund_done"
    UPDATE_SHIPPING_ADDRESS_DONE = "update_shipping_address_done"
    ACTION_REFUSED = "action_refused"
    COMPLAINT = "complaint"
    NOTHING_PENDING = "nothing_pending"
    DECLINED = "declined"
    ESCALATED = "escalated"
    ALREADY_ESCALATED = "already_escalated"


NO_EXTRA_ANSWERS = frozenset(
    {Situation.ANSWER, Situation.ESCALATED, Situation.ALREADY_ESCALATED, Situation.INJECTION}
)
"""Replies that never carry the message's other questions' answers."""


@dataclass
class Draft:
    text: str
    sources: list[dict[str, Any]] = field(default_factory=list)


class Composer(Protocol):
    """Turns a turn's facts into a reply; implementations must not add facts of their own."""

    def compose(self, state: dict[str, Any], policy: StorePolicy) -> Draft: ...


Encoder = Callable[[list[str]], Any]
"""Texts to L2-normalised vectors (rows), e.g. `knowledge.embeddings.encode`."""


FOCUS_PULL = 0.3
"""What a sentence that speaks of all of a follow-up's new words gains over its closeness to the
question (cosine), so "what about expedited?" quotes the Expedited line."""


def sentences_of(text: str) -> list[str]:
    """A passage's sentences, with headings and list markers removed."""
    body = re.sub(r"^#+\s.*$", "", text, flags=re.M)
    body = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", body, flags=re.M)
    body = re.sub(r"\s+", " ", body).strip()
    return [s for s in re.split(r"(?<=[.!?])\s+", body) if s]


def condense(
    text: str,
    query: str | None = None,
    encoder: Encoder | None = None,
    *,
    focus: Sequence[str] = (),
    limit: int = 3,
    max_chars: int = 420,
) -> str:
    """A faithful condensation of a passage: its own sentences, never new ones.

    With an encoder, the sentences closest to the customer's question are kept (in the passage's
    order), so an introduction does not crowd out the answer; without one, the first sentences.
    A follow-up's new words (`focus`: "and for express?") pull the sentences that speak of them
    forward.
    """
    sentences = sentences_of(text)
    order = list(range(len(sentences)))
    if len(sentences) > limit and ((encoder is not None and query) or focus):
        scores = [FOCUS_PULL * coverage(sentence, focus) for sentence in sentences]
        if encoder is not None and query:
            vectors = encoder([query, *sentences])
            scores = [scores[i] + float(vectors[0] @ vectors[i + 1]) for i in range(len(scores))]
        order = sorted(order, key=lambda i: -scores[i])
    picked: list[int] = []
    for index in order:
        candidate = sorted([*picked, index])
        if picked and (
            len(picked) >= limit or len(" ".join(sentences[i] for i in candidate)) > max_chars
        ):
            continue
        picked = candidate
    return " ".join(sentences[i] for i in picked)


def source_of(passage: dict[str, Any]) -> dict[str, Any]:
    """A retrieved passage as the response's `sources` entry."""
    return {"id": passage["id"], "title": passage["heading"], "score": passage["score"]}


def _date(value: str | None) -> str | None:
    if not value:
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return None
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{months[int(match.group(2)) - 1]} {int(match.group(3))}"


def _money(currency: str, value: str) -> str:
    return f"${value}" if currency == "USD" else f"{currency} {value}"


def order_status_text(order: dict[str, Any]) -> str:
    name = order["name"]
    if order.get("cancelled_at"):
        return f"Order {name} was cancelled on {_date(order['cancelled_at'])}."
    shipments = order.get("shipments") or []
    if not shipments:
        status = order["fulfillment_status"].replace("_", " ")
        return f"Order {name} hasn't shipped yet: it's being prepared ({status})."
    parts = []
    for shipment in shipments:
        state = SHIPMENT_WORDS.get(shipment["status"], f"is {shipment['status'].replace('_', ' ')}")
        when = _date(shipment.get("delivered_at")) if shipment["status"] == "delivered" else None
        sentence = f"Your package from order {name} {state}" + (f" on {when}" if when else "")
        if shipment.get("carrier") and shipment.get("tracking_number"):
            sentence += f" ({shipment['carrier']} tracking {shipment['tracking_number']})"
        sentence += "."
        if shipment.get("tracking_url") and shipment["status"] != "delivered":
            sentence += f" Track it here: {shipment['tracking_url']}"
        parts.append(sentence)
    if order.get("fulfillment_status") == "partially_fulfilled":
        parts.append("The rest of the order hasn't shipped yet.")
    return " ".join(parts)


def order_details_text(order: dict[str, Any]) -> str:
    items = ", ".join(f"{line['quantity']} x {line['name']}" for line in order.get("lines", []))
    text = (
        f"Order {order['name']}"
        + (f", placed {_date(order.get('created_at'))}" if order.get("created_at") else "")
        + f": {items}. Total {_money(order['currency'], order['total'])}"
        + f", payment {order['financial_status'].replace('_', ' ')}."
    )
    return text + " " + order_status_text(order)


def refund_status_text(order: dict[str, Any]) -> str:
    refunds = order.get("refunds") or []
    if not refunds:
        return f"I don't see a refund on order {order['name']} yet."
    latest = refunds[-1]
    return (
        f"A refund of {_money(order['currency'], latest['amount'])} was issued on order "
        f"{order['name']} on {_date(latest.get('created_at'))}; in total "
        f"{_money(order['currency'], order['refunded'])} has been refunded to the original "
        "payment method."
    )


class TemplateComposer:
    """The deterministic composer; `encoder` (optional) picks the passage sentences to quote."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder

    def compose(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        situation = Situation(state.get("situation") or Situation.CLARIFY)  # unknown: ValueError
        draft = self.templates()[situation](state, policy)
        if situation not in NO_EXTRA_ANSWERS:
            extra = self._answers(state, skip={s["id"] for s in draft.sources})
            if extra.text:
                draft = Draft(f"{draft.text} {extra.text}", draft.sources + extra.sources)
        prefix = self._continuation(state)
        if prefix and situation not in (
            Situation.GREETING,
            Situation.OUT_OF_SCOPE,
            Situation.INJECTION,
        ):
            draft.text = f"{prefix} {draft.text}"
        line = self._language_line(state, policy)
        if line:
            draft.text = f"{line} {draft.text}"
        return draft

    def templates(self) -> dict[Situation, Callable[[dict[str, Any], StorePolicy], Draft]]:
        """The template of every situation (a test checks none is missing)."""
        return {
            Situation.ANSWER: self._answer,
            Situation.UNANSWERABLE: self._unanswerable,
            Situation.CLARIFY: self._clarify,
            Situation.GREETING: self._greeting,
            Situation.OUT_OF_SCOPE: self._out_of_scope,
            Situation.INJECTION: self._injection,
            Situation.ASK_ORDER_NUMBER: self._ask_order_number,
            Situation.ANSWER_THEN_ASK_ORDER: self._answer_then_ask_order,
            Situation.NO_ORDERS_FOUND: self._no_orders_found,
            Situation.ASK_WHICH_ORDER: self._ask_which_order,
            Situation.ASK_VERIFICATION: self._ask_verification,
            Situation.ORDER_NOT_VERIFIED: self._order_not_verified,
            Situation.ASK_ADDRESS: self._ask_address,
            Situation.ASK_WHICH_ITEM: self._ask_which_item,
            Situation.TRACK_ORDER: self._track_order,
            Situation.ORDER_DETAILS: self._order_details,
            Situation.REFUND_STATUS: self._refund_status,
            Situation.ALREADY_CANCELLED: self._refusal,
            Situation.CANCEL_NOT_ALLOWED: self._refusal,
            Situation.RETURN_NOT_ALLOWED: self._refusal,
            Situation.NOTHING_TO_REFUND: self._refusal,
            Situation.CONFIRM_CANCEL_ORDER: self._confirm_cancel_order,
            Situation.CONFIRM_CREATE_RETURN: self._confirm_create_return,
            Situation.CONFIRM_REFUND: self._confirm_refund,
            Situation.CONFIRM_UPDATE_SHIPPING_ADDRESS: self._confirm_address,
            Situation.CODE_NEEDED: self._code_needed,
            Situation.CODE_WRONG: self._code_wrong,
            Situation.CODE_EXPIRED: self._code_expired,
            Situation.CANCEL_ORDER_DONE: self._cancel_order_done,
            Situation.CREATE_RETURN_DONE: self._create_return_done,
            Situation.REFUND_DONE: self._refund_done,
            Situation.UPDATE_SHIPPING_ADDRESS_DONE: self._address_done,
            Situation.ACTION_REFUSED: self._refusal,
            Situation.COMPLAINT: self._complaint,
            Situation.NOTHING_PENDING: self._nothing_pending,
            Situation.DECLINED: self._declined,
            Situation.ESCALATED: self._escalated,
            Situation.ALREADY_ESCALATED: self._already_escalated,
        }

    # --- the customer's language ---------------------------------------------------------------
    @staticmethod
    def _language_line(state: dict[str, Any], policy: StorePolicy) -> str:
        """One line in the customer's language when the reply is not in it (`agent.language`):
        the answer comes in the store's language, or a person will reply."""
        understanding = state.get("understanding") or {}
        language = str(understanding.get("language") or "")
        if not language:
            return ""
        if (state.get("escalation") or {}).get("code") == "unsupported_language":
            return handover_notice(language, policy)
        assumed = not understanding.get("language_confidence", 1.0)
        return unserved_notice(language, policy, assumed=assumed)

    # --- context across channels ------------------------------------------------------------
    def _continuation(self, state: dict[str, Any]) -> str:
        """Say so when the customer picks up on this channel what they started on another."""
        earlier = state.get("continued_from") or {}
        if not earlier:
            return ""
        about = ISSUE_WORDS.get(earlier.get("intent", ""), "your request")
        resolved = (state.get("understanding") or {}).get("resolved") or {}
        corrected = resolved.get("kind") == "correction"  # the earlier order was the wrong one
        order = f" on order {earlier['order']}" if earlier.get("order") and not corrected else ""
        where = CHANNEL_NAMES.get(earlier["channel"], earlier["channel"])
        return f"Picking up from your {where} message about {about}{order}:"

    # --- knowledge ---------------------------------------------------------------------------
    def _answer(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        answers = [a for a in state.get("answers") or [] if a.get("passages")]
        if not answers:  # an older state: one search over the whole message
            passages = state.get("passages") or []
            answers = [{"question": _asked(state), "answerable": True, "passages": passages}]
        draft = self._answers(state, skip=set(), answers=answers)
        return Draft(f"{draft.text} Is there anything else I can help with?", draft.sources)

    def _answers(
        self,
        state: dict[str, Any],
        *,
        skip: set[str],
        answers: list[dict[str, Any]] | None = None,
    ) -> Draft:
        """One grounded answer per question, each from its own passage, in the message's order.

        A passage already quoted is not quoted twice; a question with no confident passage is
        said to be open rather than guessed at. Order facts sharpen an answer where they apply
        (the return window of the order under discussion).
        """
        if answers is None:
            answers = list(state.get("answers") or [])
        texts: list[str] = []
        sources: list[dict[str, Any]] = []
        used = set(skip)
        unsure: list[str] = []
        several = len(answers) > 1
        for answer in answers:
            passages = answer.get("passages") or []
            if not answer.get("answerable") or not passages:
                unsure.append(str(answer.get("question", "")))
                continue
            best = passages[0]
            if best["id"] in used:
                continue
            used.add(best["id"])
            limit = 2 if several else 3
            texts.append(
                condense(
                    best["text"],
                    answer["question"],
                    self.encoder,
                    focus=answer.get("focus") or (),
                    limit=limit,
                )
            )
            sources.append(source_of(best))
            if answer.get("topic") in ("return_item", "exchange_item"):
                texts.append(self._order_window(state))
        if unsure and (texts or state.get("route") == "act"):
            asked = "; ".join(f'"{q.strip()[:80]}"' for q in unsure if q.strip())
            texts.append(
                f"I don't have a reliable answer to {asked}, so I won't guess; a person on our "
                "team can help with that part."
            )
        return Draft(" ".join(t for t in texts if t), sources)

    @staticmethod
    def _order_window(state: dict[str, Any]) -> str:
        order = state.get("order") or {}
        deadlines = sorted(
            str(e.get("return_deadline") or e.get("deadline"))
            for e in state.get("eligibility") or []
            if (e.get("return_deadline") or e.get("deadline"))
            and int(e.get("returnable_quantity", 0)) > 0
        )
        if not order or not deadlines:
            return ""
        return f"For order {order['name']}, the return window ends on {_date(deadlines[-1])}."

    def _unanswerable(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "I don't want to guess on this one. Could you tell me a little more about what you "
            "need, or include your order number if it's about an order?"
        )

    def _clarify(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "Sorry, I want to make sure I get this right. Is this about an order (tracking, a "
            "change, a return or a refund) or a question about our policies or products?"
        )

    def _greeting(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        if says_thanks(state["message"]["text"]):
            return Draft("You're welcome! If anything else comes up, just message us here.")
        return Draft(
            f"Hi! This is {policy.store.name} support. I can help with your orders (tracking, "
            "changes, returns and refunds) and questions about our policies. What can I do for you?"
        )

    def _out_of_scope(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            f"I can only help with {policy.store.name} orders, products and policies, so I can't "
            "help with that. Is there anything about an order or our store I can do for you?"
        )

    def _injection(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "I can't change how I work or make exceptions to the store's rules, and I haven't "
            "taken any action. I'm happy to help with an order or a question about our policies."
        )

    # --- asking for what is missing ------------------------------------------------------------
    def _ask_order_number(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "I can help with that. What's your order number (it starts with #), and the email "
            "address or phone number used on the order, so I can confirm it's yours?"
        )

    def _answer_then_ask_order(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        passages = state.get("passages") or []
        best = passages[0]
        quoted = condense(best["text"], _asked(state), self.encoder)
        return Draft(
            f"{quoted} If you'd like me to take care of it for an order, tell me the order "
            "number and the email address or phone number used on it.",
            [source_of(best)],
        )

    def _no_orders_found(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "I couldn't find any orders under the contact details I have for you. What's the "
            "order number, and the email address used to place it?"
        )

    def _ask_which_order(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        listed = "; ".join(
            f"{o['name']} ({', '.join(o.get('items', [])[:2])}"
            + (f", placed {_date(o.get('created_at'))}" if o.get("created_at") else "")
            + ")"
            for o in state.get("orders") or []
        )
        return Draft(f"I see a few orders on your account: {listed}. Which one is this about?")

    def _ask_verification(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "Happy to help. To make sure the order is yours, what's the email address or phone "
            "number used on it?"
        )

    def _order_not_verified(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "I couldn't find an order with that number for your account. Could you double-check "
            "the number and tell me the email address or phone number used on the order?"
        )

    def _ask_address(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        name = (state.get("order") or {}).get("name")
        which = f" for order {name}" if name else ""
        return Draft(
            f"Sure. What's the full new address{which}? Please include street, city, state or "
            "province and ZIP or postal code."
        )

    def _ask_which_item(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        order = state.get("order") or {}
        items = ", ".join(line["name"] for line in order.get("lines", []))
        return Draft(f"I'm sorry about that. Which item is it: {items}?")

    # --- order facts --------------------------------------------------------------------------
    def _track_order(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(order_status_text(state["order"]))

    def _order_details(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(order_details_text(state["order"]))

    def _refund_status(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(refund_status_text(state["order"]))

    def _refusal(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        """Why not, from the order's own facts, and what can still be done (`agent.refusals`)."""
        refusal = state.get("refusal") or {}
        if refusal.get("text"):
            return Draft(str(refusal["text"]), list(refusal.get("sources") or []))
        result = state.get("tool_result") or {}
        return Draft(f"I couldn't do that: {result.get('detail', 'the store did not allow it.')}")

    # --- proposals and results ---------------------------------------------------------------
    def _confirm(self, state: dict[str, Any], lead: str) -> Draft:
        pending = state["pending_action"]
        proof = pending.get("proof")
        if proof:
            return Draft(
                f"{lead} To confirm: shall I {pending['summary']}? Before I change anything I "
                f"need to check it's you: I've sent a 6-digit code to {proof['masked']}. Reply "
                "with the code to go ahead, or NO to leave it."
            )
        return Draft(
            f"{lead} To confirm: shall I {pending['summary']}? "
            "Reply YES to go ahead or NO to leave it."
        )

    def _confirm_address(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return self._confirm(
            state, "Please check the new address as I read it, before I change anything."
        )

    def _code_needed(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        code = state.get("code") or {}
        return Draft(
            f"To go ahead I need the 6-digit code I sent to {code.get('masked', 'you')}: reply "
            "with it here (or NO to leave everything as it is)."
        )

    def _code_wrong(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        left = int((state.get("code") or {}).get("attempts_left", 0))
        tries = "1 more try" if left == 1 else f"{left} more tries"
        return Draft(f"That code doesn't match. Please check it and reply again ({tries}).")

    def _code_expired(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        outcome = (state.get("code") or {}).get("outcome")
        why = "has expired" if outcome == "expired" else "can't be used any more"
        return Draft(
            f"That code {why}, so I haven't changed anything. Ask again whenever you like and "
            "I'll send a new one."
        )

    def _confirm_cancel_order(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return self._confirm(
            state,
            f"Order {state['order']['name']} hasn't shipped yet, so it can still be cancelled. "
            "A cancellation can't be undone.",
        )

    def _confirm_create_return(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        lead = f"That's inside our {policy.returns.window_days}-day return window."
        passages = state.get("passages") or []
        if passages:  # e.g. how exchanges work, in the store's words
            quoted = condense(passages[0]["text"], _asked(state), self.encoder, limit=2)
            lead = f"{quoted} {lead}"
        draft = self._confirm(state, lead)
        draft.sources = [source_of(p) for p in passages[:1]]
        return draft

    def _confirm_refund(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        lead = (
            "I'm sorry it arrived like that."
            if state.get("intent") == "damaged_item"
            else "I can do that."
        )
        return self._confirm(state, lead + " The refund goes back to your original payment method.")

    def _cancel_order_done(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            f"Done: {state['tool_result']['detail']} You'll get a confirmation email from us."
        )

    def _create_return_done(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            f"Done: {state['tool_result']['detail']} We'll email you the return instructions."
        )

    def _refund_done(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            f"Done: {state['tool_result']['detail']} It goes back to your original payment method."
        )

    def _address_done(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(state["tool_result"]["detail"])

    def _complaint(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft(
            "I'm sorry this hasn't gone well. Tell me what happened (and the order number if "
            "it's about an order) and I'll do what I can, or say so and I'll pass you to a person "
            "on our team."
        )

    def _nothing_pending(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft("Thanks! There's nothing waiting for your confirmation. What can I help with?")

    def _declined(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        return Draft("OK, I've left everything as it is. Is there anything else I can help with?")

    # --- humans ----------------------------------------------------------------------------------
    def _escalated(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        channel = state["message"]["channel"]
        escalation = state.get("escalation") or {}
        when = holding_time(channel, policy, utcnow())
        text = (
            "I've passed this to our support team with everything you've told us, so you won't "
            f"need to repeat yourself. A person will reply {when}."
        )
        if escalation.get("code") == "self_harm":
            text = (
                "I'm really sorry you're going through this. If you're in danger or thinking about "
                "harming yourself, please contact your local emergency number now, or in the US "
                "call or text 988 to reach the Suicide & Crisis Lifeline. " + text
            )
        elif escalation.get("code") == "refund_above_limit":
            refusal = state.get("refusal") or {}
            why = (
                refusal.get("text") or "Refunds of this size are reviewed by a person on our team."
            )
            text = f"{why} {text}"
        return Draft(text)

    def _already_escalated(self, state: dict[str, Any], policy: StorePolicy) -> Draft:
        channel = state["message"]["channel"]
        return Draft(
            "Thanks, I've added this to your case. A person from our team has it and will reply "
            f"{holding_time(channel, policy, utcnow())}."
        )


def _asked(state: dict[str, Any]) -> str:
    """The question as searched: the English view of a message in another language, or a
    follow-up with the topic it leans on; else the message itself."""
    return str(state.get("search_text") or state["message"]["text"])
