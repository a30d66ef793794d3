"""Store-policy checks over a fetched order: pure functions, no I/O, no configuration reads.

The business date always comes in as `today`; the store's time zone comes from the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tools.policy import StorePolicy
from tools.results import Reason
from tools.summaries import Json, date_in, nodes, parse_datetime

_STATUS_ALIASES = {
    "partial": "partially_fulfilled",
    "shipped": "fulfilled",
    "unshipped": "unfulfilled",
}


def fulfillment_status(order: Json) -> str:
    """`unfulfilled`, `partially_fulfilled`, `fulfilled`, ... (Shopify's display status)."""
    return str(order.get("displayFulfillmentStatus") or "unfulfilled").lower()


def status_allowed(order: Json, allowed: list[str]) -> bool:
    """Is the order's fulfillment status in a policy list (REST or GraphQL spelling)?"""
    wanted = {_STATUS_ALIASES.get(s.strip().lower(), s.strip().lower()) for s in allowed}
    return fulfillment_status(order) in wanted


@dataclass(frozen=True)
class FulfilledUnits:
    """Units of one line shipped in one fulfillment, and still returnable from it."""

    fulfillment_line_item_id: str
    available: int
    deadline: date


@dataclass(frozen=True)
class LineEligibility:
    """Whether (and how much of) one line item can be returned today."""

    line_item_id: str
    name: str
    returnable_quantity: int
    reason: Reason | None
    deadline: date | None
    units: list[FulfilledUnits] = field(default_factory=list)

    def to_json(self) -> Json:
        return {
            "line_item_id": self.line_item_id,
            "name": self.name,
            "returnable_quantity": self.returnable_quantity,
            "reason": self.reason.value if self.reason else None,
            "return_deadline": self.deadline.isoformat() if self.deadline else None,
        }


def cancel_refund_over_limit(summary: Json, policy: StorePolicy) -> tuple[Decimal, Decimal] | None:
    """(amount, limit) when cancelling this order would refund more than a person must approve.

    `summary` is an order summary (`paid`, `refunded`); None when the refund is within the
    automatic limit or the policy lets cancellations refund any amount.
    """
    if policy.cancellations.refund_over_limit == "allow":
        return None
    amount = Decimal(str(summary.get("paid") or 0)) - Decimal(str(summary.get("refunded") or 0))
    limit = Decimal(str(policy.refunds.auto_approve_limit))
    return (amount, limit) if amount > limit else None


def _returned(order: Json) -> dict[str, int]:
    totals: dict[str, int] = {}
    for ret in nodes(order.get("returns")):
        if str(ret.get("status")).upper() in ("CANCELED", "DECLINED"):
            continue
        for item in nodes(ret.get("returnLineItems")):
            fli = (item.get("fulfillmentLineItem") or {}).get("id")
            if fli:
                totals[fli] = totals.get(fli, 0) + int(item.get("quantity") or 0)
    return totals


def return_eligibility(order: Json, policy: StorePolicy, today: date) -> list[LineEligibility]:
    """Per line: returnable units inside the window, or the reason there are none."""
    excluded = {t.lower() for t in policy.returns.exclude_tags}
    returned = _returned(order)
    result = []
    for line in nodes(order.get("lineItems")):
        units, outside, already = [], False, False
        for fulfillment in nodes(order.get("fulfillments")):
            if str(fulfillment.get("status")).upper() not in ("SUCCESS", "OPEN"):
                continue
            delivered = str(fulfillment.get("displayStatus")).upper() == "DELIVERED"
            start = parse_datetime(
                fulfillment.get("deliveredAt") if delivered else None
            ) or parse_datetime(fulfillment.get("createdAt"))
            if start is None:
                continue
            deadline = date_in(start, policy.store.timezone) + timedelta(
                days=policy.returns.window_days
            )
            for item in nodes(fulfillment.get("fulfillmentLineItems")):
                if item["lineItem"]["id"] != line["id"]:
                    continue
                available = int(item.get("quantity") or 0) - returned.get(item["id"], 0)
                already = already or returned.get(item["id"], 0) > 0
                if today > deadline:
                    outside = True
                elif available > 0:
                    units.append(FulfilledUnits(item["id"], available, deadline))
        deadlines = [u.deadline for u in units]
        quantity = min(sum(u.available for u in units), int(line.get("refundableQuantity") or 0))
        reason: Reason | None = None
        tags = {t.lower() for t in (line.get("product") or {}).get("tags") or []}
        if order.get("cancelledAt"):
            reason = Reason.ORDER_CANCELLED
        elif tags & excluded:
            reason = Reason.FINAL_SALE
        elif quantity <= 0:
            if int(line.get("refundableQuantity") or 0) == 0:
                reason = Reason.ALREADY_REFUNDED
            elif already:
                reason = Reason.ALREADY_RETURNED
            elif outside:
                reason = Reason.OUTSIDE_RETURN_WINDOW
            else:
                reason = Reason.NOT_FULFILLED
        result.append(
            LineEligibility(
                line_item_id=line["id"],
                name=line.get("name") or "",
                returnable_quantity=0 if reason else quantity,
                reason=reason,
                deadline=max(deadlines) if deadlines else None,
                units=[] if reason else units,
            )
        )
    return result


REFUSAL_SENTENCES: dict[Reason, str] = {
    Reason.IDENTITY_REQUIRED: "I need to confirm who you are before I can look at orders.",
    Reason.FULFILLMENT_STATUS_NOT_ALLOWED: (
        "This order has already moved past the stage where I can change it."
    ),
    Reason.ALREADY_CANCELLED: "This order was already cancelled.",
    Reason.ORDER_CANCELLED: "This order was cancelled, so it can't be changed.",
    Reason.NOT_FULFILLED: "That item hasn't shipped yet, so it can't be returned.",
    Reason.OUTSIDE_RETURN_WINDOW: "That item is outside our return window.",
    Reason.FINAL_SALE: "That item was a final-sale purchase and can't be returned.",
    Reason.ALREADY_RETURNED: "A return is already open for that item.",
    Reason.INVALID_ITEMS: "I couldn't match those items to this order.",
    Reason.INVALID_ADDRESS: (
        "That address is missing a street, city, postal code, state or country."
    ),
    Reason.NOT_PAID: "This order hasn't been paid, so there is nothing to refund.",
    Reason.ABOVE_AUTO_APPROVE_LIMIT: (
        "This refund is larger than I can approve myself; a teammate will review it."
    ),
    Reason.EXCEEDS_PAID: "That is more than was paid on this order.",
    Reason.ALREADY_REFUNDED: "That has already been refunded.",
    Reason.NOTHING_TO_REFUND: "There is nothing left to refund on this order.",
    Reason.SHOP_REFUSED: "The store system didn't accept this change.",
}
