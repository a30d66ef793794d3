"""Refusals that say why, from the order's own facts, and what the customer can still do.

`explain_refusal` turns a tool's `Reason` into customer-facing sentences built only from the order
summary (`tools.summaries`), the store policy and, when a `KnowledgeLookup` is given, one quoted
sentence of the store's own knowledge (cited in `sources`). Pure: no I/O beyond that lookup.
Every `Reason` has an entry in `EXPLAINERS`; a code that is not a `Reason` is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from tools.policy import StorePolicy
from tools.results import NOT_FOUND_SENTENCE, Reason
from tools.summaries import date_in, parse_datetime

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CANNOT = {
    "cancel_order": "{it} can't be cancelled any more",
    "update_shipping_address": "{its} delivery address can't be changed any more",
    "create_return": "I can't start a return for {it}",
    "refund": "I can't refund {it}",
}
"""What a refused tool could not do, for "..., so <this>"."""
PARCEL_STATES = {
    "out_for_delivery": "it's out for delivery",
    "attempted_delivery": "the carrier has already tried to deliver it",
    "failure": "the carrier reported a delivery problem",
    "ready_for_pickup": "it's ready for pickup",
}
REFUND_ARRIVAL_QUERY = "how long does a refund take to arrive on my card"
REVIEW_TIME_QUERY = "how long does the review of a refund above the limit take"
WARRANTY_QUERY = "what does the warranty cover for defects"
NEUTRAL_ARRIVAL = "How soon it shows there depends on your bank or payment provider."
_DURATION = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|ten)\b[^.;]*?\b(?:days?|weeks?|years?|hours?)\b",
    re.I,
)


@dataclass(frozen=True)
class Explanation:
    """A refusal as the customer reads it."""

    text: str
    """Why (from the order's facts) and what can still be done next."""
    next_step: str
    """The next step in a few words, for escalation packets and summaries."""
    sources: list[dict[str, Any]] = field(default_factory=list)
    """`{"id", "title", "score"}` of each knowledge passage quoted in `text`."""


class KnowledgeLookup(Protocol):
    """The store's knowledge search: the best passage `{"id", "heading", "text", "score"}`."""

    def __call__(self, query: str) -> dict[str, Any] | None: ...


def money(currency: str, value: str | Decimal | float) -> str:
    """`$12.50` for USD, `EUR 12.50` otherwise."""
    text = f"{Decimal(str(value)):.2f}"
    return f"${text}" if currency == "USD" else f"{currency} {text}"


def join(words: Iterable[str]) -> str:
    items = list(words)
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]{3,}", text.lower())}


def quote(
    knowledge: KnowledgeLookup | None, query: str, needs: tuple[str, ...], *, duration: bool
) -> tuple[str, dict[str, Any]] | None:
    """One sentence of the store's passage for `query` that mentions `needs` (and a duration)."""
    passage = knowledge(query) if knowledge else None
    if not passage:
        return None
    body = re.sub(r"^#+\s.*$", "", passage["text"], flags=re.M)
    body = re.sub(r"\s+", " ", re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", body, flags=re.M)).strip()
    asked = _words(query)
    best: tuple[int, str] | None = None
    for sentence in re.split(r"(?<=[.!?])\s+", body):
        head, colon, _ = sentence.partition(": ")  # a list after a colon: keep the claim
        sentence = f"{head}." if colon and len(head) > 40 else sentence
        lowered = sentence.lower()
        if not any(n in lowered for n in needs) or (duration and not _DURATION.search(sentence)):
            continue
        overlap = len(asked & _words(sentence))
        if best is None or overlap > best[0]:
            best = (overlap, sentence)
    if best is None:
        return None
    source = {"id": passage["id"], "title": passage["heading"], "score": passage["score"]}
    return best[1], source


@dataclass(frozen=True)
class Case:
    """One refusal's inputs, with the formatting every explainer shares."""

    reason: Reason
    order: dict[str, Any]
    policy: StorePolicy
    tool: str
    lines: list[dict[str, Any]]
    facts: dict[str, Any]
    knowledge: KnowledgeLookup | None
    today: date | None

    @property
    def name(self) -> str:
        return f"order {self.order['name']}" if self.order.get("name") else "this order"

    @property
    def cap_name(self) -> str:
        """`name` at the start of a sentence."""
        return self.name[0].upper() + self.name[1:]

    @property
    def currency(self) -> str:
        return str(
            self.facts.get("currency") or self.order.get("currency") or self.policy.store.currency
        )

    @property
    def window(self) -> int:
        return self.policy.returns.window_days

    def cannot(self, it: str = "it") -> str:
        its = {"it": "its", "them": "their"}.get(it, f"{it}'s")
        return CANNOT.get(self.tool, "{it} can't be changed any more").format(it=it, its=its)

    def money(self, value: str | Decimal | float) -> str:
        return money(self.currency, value)

    def day(self, value: str | date | None) -> date | None:
        """A timestamp's calendar date in the store's time zone (a plain date as is)."""
        if value is None or isinstance(value, date):
            return value
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = parse_datetime(value)
        return date_in(moment, self.policy.store.timezone) if moment else None

    def when(self, value: str | date | None) -> str:
        """A date as `Nov 18` (with the year when it is not this year's)."""
        day = self.day(value)
        if day is None:
            return ""
        text = f"{MONTHS[day.month - 1]} {day.day}"
        return f"{text}, {day.year}" if self.today and day.year != self.today.year else text

    def line_names(self, ids: Iterable[str]) -> list[str]:
        wanted = set(ids)
        return [str(line["name"]) for line in self.order.get("lines", []) if line["id"] in wanted]

    def affected(self) -> list[dict[str, Any]]:
        """The eligibility lines refused for this reason (all of them when none says why)."""
        named = [line for line in self.lines if line.get("reason") == self.reason.value]
        return named or self.lines

    def shipment_of(self, line_id: str | None) -> dict[str, Any] | None:
        shipments = self.order.get("shipments") or []
        return next((s for s in shipments if line_id in s.get("line_item_ids", [])), None)

    def final_sale(self) -> list[str]:
        excluded = {t.lower() for t in self.policy.returns.exclude_tags}
        return [
            str(line["name"])
            for line in self.order.get("lines", [])
            if excluded & {t.lower() for t in line.get("tags") or []}
        ]

    def return_clause(self) -> str:
        """`you can return it within N days of delivery`, naming final-sale exceptions."""
        return f"you can return it within {self.window} days of delivery{self.exceptions()}"

    def exceptions(self) -> str:
        excluded = self.final_sale()
        return f" (except the final-sale {join(excluded)})" if excluded else ""

    def still_returnable(self) -> str:
        """The order's other lines that can still be returned, and until when."""
        open_lines = [line for line in self.lines if int(line.get("returnable_quantity") or 0)]
        if not open_lines:
            return ""
        deadlines = {
            self.when(line.get("deadline") or line.get("return_deadline")) for line in open_lines
        }
        until = f" until {deadlines.pop()}" if len(deadlines) == 1 and "" not in deadlines else ""
        names = join(str(line["name"]) for line in open_lines)
        return f" The {names} can still be returned{until}, if you'd like."

    def quoted(self, query: str, needs: tuple[str, ...], *, duration: bool = True) -> Quote:
        found = quote(self.knowledge, query, needs, duration=duration)
        return Quote(*found) if found else Quote("", None)


@dataclass(frozen=True)
class Quote:
    sentence: str
    source: dict[str, Any] | None

    @property
    def sources(self) -> list[dict[str, Any]]:
        return [self.source] if self.source else []


def _parcel(case: Case, shipment: dict[str, Any], subject: str) -> str:
    """`<subject> shipped with UPS on Nov 12 (tracking 1Z..., https://...)` and where it is."""
    carrier = f" with {shipment['carrier']}" if shipment.get("carrier") else ""
    shipped = f" on {case.when(shipment['shipped_at'])}" if shipment.get("shipped_at") else ""
    delivered = shipment.get("status") == "delivered"
    tracking = [shipment.get("tracking_number")] + (
        [] if delivered else [shipment.get("tracking_url")]
    )
    shown = ", ".join(t for t in tracking if t)
    text = f"{subject} shipped{carrier}{shipped}" + (f" (tracking {shown})" if shown else "")
    if delivered and shipment.get("delivered_at"):
        text += f" and was delivered on {case.when(shipment['delivered_at'])}"
    elif state := PARCEL_STATES.get(str(shipment.get("status"))):
        text += f"; {state}"
    return text


def _shipped(case: Case) -> Explanation:
    shipments = case.order.get("shipments") or []
    if not shipments:
        status = case.facts.get("fulfillment_status") or case.order.get("fulfillment_status")
        shown = f" ({str(status).replace('_', ' ')})" if status else ""
        text = (
            f"{case.cap_name} is already being prepared for shipping{shown}, so {case.cannot()}. "
            f"Once it arrives {case.return_clause()}."
        )
        return Explanation(text, f"Return it within {case.window} days of delivery.")
    shipped_ids = {i for s in shipments for i in s.get("line_item_ids", [])}
    lines = case.order.get("lines", [])
    waiting = [  # Shopify's own count of units still to ship, per line
        str(line["name"]) if line["id"] not in shipped_ids else f"remaining {line['name']}"
        for line in lines
        if int(line.get("unfulfilled_quantity") or 0) > 0
    ]
    single = len(shipments) == 1 and not waiting
    if single:
        why = _parcel(case, shipments[0], case.cap_name) + f", so {case.cannot()}."
    else:
        parcels = "; ".join(
            _parcel(case, s, "the " + join(case.line_names(s.get("line_item_ids", []))))
            for s in shipments
        )
        if waiting:
            verb = "hasn't" if len(waiting) == 1 else "haven't"
            why = (
                f"Part of {case.name} has already shipped, so {case.cannot('the order')}: "
                f"{parcels}. The {join(waiting)} {verb} shipped yet."
            )
        else:
            why = f"{case.cap_name} shipped in parts, so {case.cannot()}: {parcels}."
    moving = [s for s in shipments if s.get("status") != "delivered"]
    if not moving:
        return _delivered_next(case, shipments, why)
    carriers = list(dict.fromkeys(s["carrier"] for s in moving if s.get("carrier")))
    page = " from the tracking page" if any(s.get("tracking_url") for s in moving) else ""
    carrier = join(carriers) if carriers else "the carrier"
    it = "the parcels" if len(moving) > 1 else "it" if single else "the parcel"
    if case.tool == "update_shipping_address":
        text = (
            f"{why} To have {it} delivered somewhere else, ask {carrier} to redirect {it}{page}; "
            f"or once it arrives {case.return_clause()}."
        )
        return Explanation(text, f"Ask {carrier} to redirect {it}.")
    hold = f"You can ask {carrier} to hold or redirect {it}{page}, and once" if carriers else "Once"
    text = f"{why} {hold} it arrives {case.return_clause()}."
    step = f"Ask {carrier} to hold or redirect {it}, or return it" if carriers else "Return it"
    return Explanation(text, f"{step} within {case.window} days of delivery.")


def _delivered_next(case: Case, shipments: list[dict[str, Any]], why: str) -> Explanation:
    """After delivery: what can still be returned (per line when known), and until when."""
    if still := case.still_returnable():
        return Explanation(why + still, "Return it before the window ends.")
    last = max((d for s in shipments if (d := case.day(s.get("delivered_at")))), default=None)
    end = last + timedelta(days=case.window) if last else None
    if end is None or case.lines or (case.today and case.today > end):
        closed = f" Its {case.window}-day return window ended on {case.when(end)}." if end else ""
        text = (
            f"{why}{closed} If something is wrong with it, I can pass it to a person on our team."
        )
        return Explanation(text, "Ask a person on our team.")
    return Explanation(
        f"{why} You can still return it until {case.when(end)} ({case.window} days from "
        f"delivery){case.exceptions()}.",
        f"Return it by {case.when(end)}.",
    )


def _faulty_next(case: Case, damaged: bool = False) -> tuple[str, list[dict[str, Any]]]:
    what = "arrived damaged or faulty" if damaged else "is faulty"
    text = f" If something {what}, tell me what's wrong and I'll pass it to a person on our team."
    warranty = case.quoted(WARRANTY_QUERY, ("warrant", "guarantee"), duration=False)
    return text + (f" {warranty.sentence}" if warranty.sentence else ""), warranty.sources


def _outside_window(case: Case) -> Explanation:
    groups: dict[tuple[str, str, str], list[str]] = {}
    for line in case.affected() or [
        {"line_item_id": line["id"], "name": line["name"]} for line in case.order.get("lines", [])
    ]:
        shipment = case.shipment_of(line.get("line_item_id")) or {}
        delivered = shipment.get("status") == "delivered" and shipment.get("delivered_at")
        start = case.day(shipment.get("delivered_at") if delivered else shipment.get("shipped_at"))
        end = case.day(line.get("deadline") or line.get("return_deadline"))
        end = end or (start + timedelta(days=case.window) if start else None)
        key = ("delivered" if delivered else "shipped", case.when(start), case.when(end))
        groups.setdefault(key, []).append(str(line["name"]))
    sentences = []
    for (verb, start_text, end_text), names in groups.items():
        subject = f"The {join(names)} from {case.name}"
        plural = "were" if len(names) > 1 else "was"
        if start_text and end_text:
            sentences.append(
                f"{subject} {plural} {verb} on {start_text}, and our {case.window}-day return "
                f"window ended on {end_text}, so {case.cannot('them' if len(names) > 1 else 'it')}."
            )
        elif end_text:
            sentences.append(f"The return window for the {join(names)} ended on {end_text}.")
        else:
            sentences.append(
                f"{subject} {plural} past our {case.window}-day return window, which counts "
                "from delivery."
            )
    next_text, sources = _faulty_next(case)
    text = " ".join(sentences) + case.still_returnable() + next_text
    return Explanation(text, "If it's faulty, ask a person on our team.", sources)


def _final_sale(case: Case) -> Explanation:
    names = [str(line["name"]) for line in case.affected() if line.get("reason") == "final_sale"]
    names = names or case.final_sale()
    excluded = {t.lower(): t for t in case.policy.returns.exclude_tags}
    tags = [
        excluded[t.lower()]
        for line in case.order.get("lines", [])
        if line["name"] in names
        for t in line.get("tags") or []
        if t.lower() in excluded
    ]
    tag = tags[0] if tags else (case.policy.returns.exclude_tags or ["final-sale"])[0]
    subject = f"The {join(names)} from {case.name}" if names else "That item"
    verb = "are" if len(names) > 1 else "is"
    text = f"{subject} {verb} marked {tag}, and {tag} items can't be returned."
    next_text, sources = _faulty_next(case, damaged=True)
    text += case.still_returnable() + next_text
    return Explanation(text, "If it's damaged or faulty, ask a person on our team.", sources)


def _above_limit(case: Case) -> Explanation:
    amount = case.facts.get("amount")
    limit = case.facts.get("limit") or case.policy.refunds.auto_approve_limit
    review = case.quoted(REVIEW_TIME_QUERY, ("review",))
    when = review.sentence or "They'll look at it and reply within one business day."
    if case.tool == "cancel_order":
        refund = f"a refund of {case.money(amount)}" if amount else "a refund"
        text = (
            f"Cancelling {case.name} means {refund}, more than the {case.money(limit)} I can "
            f"approve myself, so a person on our team decides on it. Nothing has been cancelled "
            f"or refunded yet. {when}"
        )
    else:
        what = f"A refund of {case.money(amount)}" if amount else "This refund"
        on = f" on {case.name}" if case.order.get("name") else ""
        text = (
            f"{what}{on} is more than the {case.money(limit)} I can approve myself, so a person "
            f"on our team decides on it. Nothing has been refunded yet. {when}"
        )
    step = "A person on our team reviews it" + (
        "." if review.sentence else " within one business day."
    )
    return Explanation(text, step, review.sources)


def _refund_history(case: Case) -> tuple[str, Quote]:
    """What was refunded and when (or that nothing was), and when it arrives."""
    refunds = case.order.get("refunds") or []
    if not refunds:
        if case.order.get("financial_status") == "voided":
            return " The payment was voided.", Quote("", None)
        return " No refund is recorded on it.", Quote("", None)
    parts = [
        case.money(r["amount"])
        + (f" on {case.when(r['created_at'])}" if r.get("created_at") else "")
        for r in refunds
    ]
    if len(parts) == 1:
        amount, _, on = parts[0].partition(" on ")
        text = f" {amount} was refunded to the original payment method" + (
            f" on {on}." if on else "."
        )
    else:
        total = case.order.get("refunded") or sum(Decimal(r["amount"]) for r in refunds)
        text = f" In total {case.money(total)} was refunded to the original payment method ("
        text += join(parts) + ")."
    arrival = case.quoted(REFUND_ARRIVAL_QUERY, ("refund", "card", "payment"))
    return text, arrival if arrival.sentence else Quote(NEUTRAL_ARRIVAL, None)


def _cancelled(case: Case) -> Explanation:
    when = f" on {case.when(case.order['cancelled_at'])}" if case.order.get("cancelled_at") else ""
    tail = (
        "there's nothing left to cancel"
        if case.reason is Reason.ALREADY_CANCELLED
        else case.cannot()
    )
    history, arrival = _refund_history(case)
    text = f"{case.cap_name} was cancelled{when}, so {tail}.{history}"
    text += f" {arrival.sentence}" if arrival.sentence else ""
    missing = " If you were charged and don't see a refund, I can pass it to a person on our team."
    step = (
        "Wait for the refund to show."
        if arrival.sentence
        else "Ask a person if a refund is missing."
    )
    return Explanation(text + ("" if arrival.sentence else missing), step, arrival.sources)


def _refunded(case: Case) -> Explanation:
    item = case.line_names([case.facts["line_item_id"]]) if case.facts.get("line_item_id") else []
    if item:
        why = f"The {item[0]} from {case.name} has already been refunded."
    elif case.reason is Reason.ALREADY_REFUNDED:
        why = f"Everything paid on {case.name} has already been refunded."
    else:
        why = f"There's nothing left to refund on {case.name}."
    if not case.order.get("refunds"):
        text = why + " If you think something is missing, I can pass it to a person on our team."
        return Explanation(text, "Ask a person if something is missing.")
    history, arrival = _refund_history(case)
    text = f"{why}{history} {arrival.sentence} If it hasn't shown up after that, I can pass it to "
    text += "a person on our team."
    step = "Wait for the refund to show; ask a person if it doesn't."
    return Explanation(text, step, arrival.sources)


def _not_fulfilled(case: Case) -> Explanation:
    names = [str(line["name"]) for line in case.affected() if line.get("reason") == "not_fulfilled"]
    names = names or [
        str(line["name"])
        for line in case.order.get("lines", [])
        if int(line.get("unfulfilled_quantity") or 0)
    ]
    subject = f"The {join(names)} from {case.name}" if names else case.cap_name
    verb = "haven't" if len(names) > 1 else "hasn't"
    text = f"{subject} {verb} shipped yet, so there's nothing to return yet."
    status = str(case.order.get("fulfillment_status", "")).replace("-", "_")
    allowed = {s.lower() for s in case.policy.cancellations.allowed_fulfillment_statuses}
    if status in allowed and not case.order.get("cancelled_at"):
        return Explanation(
            text + " If you no longer want it, I can cancel the order while it hasn't shipped.",
            "Cancel the order before it ships.",
        )
    return Explanation(
        text + f" Once it's delivered {case.return_clause()}.",
        f"Return it within {case.window} days of delivery.",
    )


def _already_returned(case: Case) -> Explanation:
    lines = [line for line in case.affected() if line.get("reason") == "already_returned"]
    ids = {line.get("line_item_id") for line in lines}
    names = [str(line["name"]) for line in lines]
    open_returns = [
        r
        for r in case.order.get("returns") or []
        if ids & {i.get("line_item_id") for i in r.get("items", [])}
    ]
    subject = f"the {join(names)} from {case.name}" if names else case.name
    label = join(
        f"{r['name']}, {str(r.get('status', '')).replace('_', ' ')}"
        if r.get("name")
        else str(r.get("status"))
        for r in open_returns
    )
    text = f"There's already a return for {subject}" + (f" ({label})" if label else "")
    text += ", so I can't open another one. Ask me any time and I'll tell you where it stands."
    return Explanation(text, "Ask where the existing return stands.")


def _not_paid(case: Case) -> Explanation:
    status = str(case.order.get("financial_status") or "").replace("_", " ")
    text = f"{case.cap_name} hasn't been paid yet" + (f" (payment {status})" if status else "")
    text += ", so there's nothing to refund."
    allowed = {s.lower() for s in case.policy.cancellations.allowed_fulfillment_statuses}
    if case.order.get("fulfillment_status") in allowed and not case.order.get("cancelled_at"):
        text += " If you don't want it any more, I can cancel it while it hasn't shipped."
    text += " If you think you were charged, I can pass it to a person on our team."
    return Explanation(text, "Nothing to refund; cancel it or ask a person if charged.")


def _exceeds_paid(case: Case) -> Explanation:
    refundable = case.facts.get("refundable")
    text = f"That's more than was paid on {case.name}"
    if case.order.get("paid"):
        text += f" ({case.money(case.order['paid'])} paid"
        refunded = Decimal(str(case.order.get("refunded") or 0))
        text += f", {case.money(refunded)} already refunded)" if refunded else ")"
    if refundable is None:
        text += ". Tell me a smaller amount, or I can pass it to a person on our team."
        return Explanation(text, "Ask for a smaller amount, or ask a person.")
    text += f": the most that can still be refunded is {case.money(refundable)}. I can refund up "
    text += "to that instead, or pass it to a person on our team."
    return Explanation(text, f"Refund up to {case.money(refundable)}, or ask a person.")


def _invalid_items(case: Case) -> Explanation:
    items = [f"{line.get('quantity', 1)} x {line['name']}" for line in case.order.get("lines", [])]
    has = f", which has {join(items)}" if items else ""
    text = f"I couldn't match that to an item on {case.name}{has}. Which one do you mean?"
    return Explanation(text, "Say which item.")


def _invalid_address(case: Case) -> Explanation:
    text = (
        "That address is missing something the carrier needs: the street, city, postal code, "
        f"state or province, or country, so the address on {case.name} hasn't been changed. "
        "Could you send the full new address in one message, including any apartment number?"
    )
    return Explanation(text, "Send the complete new address.")


def _shop_refused(case: Case) -> Explanation:
    text = (
        f"The store's system didn't accept this change to {case.name}, so nothing was changed. "
        "I can pass it to a person on our team to sort out."
    )
    return Explanation(text, "Ask a person on our team.")


def _identity_required(case: Case) -> Explanation:
    text = (
        "I need to confirm who you are before I can look at orders. What's the email address "
        "or phone number used on the order?"
    )
    return Explanation(text, "Give the order's email or phone.")


def _customer_not_found(case: Case) -> Explanation:
    text = (
        "I couldn't find a customer account with those details. What's the order number, and "
        "the email address or phone number used to place it?"
    )
    return Explanation(text, "Give the order number and its email or phone.")


def _partial(case: Case) -> Explanation:
    part = case.facts.get("part") or "one of its items"
    text = (
        f"I can only cancel {case.name} as a whole, not just {part}. If you like, I can cancel the "
        "whole order, or pass it to a person on our team who can change what's in it."
    )
    return Explanation(text, "Cancel the whole order, or ask a person to edit it.")


def _not_found(case: Case) -> Explanation:
    """The same words for a missing order and someone else's: nothing about the order leaks."""
    text = (
        f"{NOT_FOUND_SENTENCE} Could you double-check the number and tell me the email address "
        "or phone number used on the order?"
    )
    return Explanation(text, "Check the order number and give its email or phone.")


EXPLAINERS: dict[Reason, Callable[[Case], Explanation]] = {
    Reason.IDENTITY_REQUIRED: _identity_required,
    Reason.ORDER_NOT_FOUND: _not_found,
    Reason.NOT_OWNER: _not_found,
    Reason.CUSTOMER_NOT_FOUND: _customer_not_found,
    Reason.FULFILLMENT_STATUS_NOT_ALLOWED: _shipped,
    Reason.ALREADY_CANCELLED: _cancelled,
    Reason.ORDER_CANCELLED: _cancelled,
    Reason.NOT_FULFILLED: _not_fulfilled,
    Reason.OUTSIDE_RETURN_WINDOW: _outside_window,
    Reason.FINAL_SALE: _final_sale,
    Reason.ALREADY_RETURNED: _already_returned,
    Reason.INVALID_ITEMS: _invalid_items,
    Reason.INVALID_ADDRESS: _invalid_address,
    Reason.NOT_PAID: _not_paid,
    Reason.ABOVE_AUTO_APPROVE_LIMIT: _above_limit,
    Reason.EXCEEDS_PAID: _exceeds_paid,
    Reason.ALREADY_REFUNDED: _refunded,
    Reason.NOTHING_TO_REFUND: _refunded,
    Reason.PARTIAL_ORDER: _partial,
    Reason.SHOP_REFUSED: _shop_refused,
}
"""One explainer per `Reason`; a test fails when a new member has none."""


def explain_refusal(
    reason: Reason | str,
    *,
    order: dict[str, Any] | None,
    policy: StorePolicy,
    tool: str,
    lines: list[dict[str, Any]] | None = None,
    facts: dict[str, Any] | None = None,
    knowledge: KnowledgeLookup | None = None,
    today: date | None = None,
) -> Explanation:
    """Why `tool` refused, from `order` (an `OrderSummary.to_json()`) and `policy`, and what next.

    `lines` are the per-line return eligibility (`LineEligibility.to_json()`, `deadline` or
    `return_deadline`); `facts` the refusal's `ToolResult.data` (`amount`, `limit`,
    `refundable`, `line_item_id`, `items`, ...). Raises `ValueError` for a code that is not a
    `Reason`.
    """
    code = Reason(reason)
    facts = dict(facts or {})
    case = Case(
        reason=code,
        order=dict(order or {}),
        policy=policy,
        tool=tool,
        lines=list(lines if lines is not None else facts.get("items") or []),
        facts=facts,
        knowledge=knowledge,
        today=today,
    )
    return EXPLAINERS[code](case)
