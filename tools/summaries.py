"""Turn the GraphQL `Order` the tools fetch into facts the agent can explain.

`OrderSummary.to_json()` is what goes into `ToolResult.data["order"]`: statuses in lower case
(`unfulfilled`, `partially_refunded`), money as decimal strings, tracking per shipment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

Json = dict[str, Any]


def amount(money_bag: Json | None) -> Decimal:
    """`{shopMoney {amount}}` as a Decimal (missing = 0)."""
    value = ((money_bag or {}).get("shopMoney") or {}).get("amount")
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def nodes(connection: Json | list[Json] | None) -> list[Json]:
    """Items of a connection (`nodes`) or of a plain list field."""
    if connection is None:
        return []
    if isinstance(connection, list):
        return connection
    return list(connection.get("nodes") or [])


@dataclass(frozen=True)
class Shipment:
    """One fulfillment: carrier tracking and where the parcel is."""

    name: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    status: str
    """`in_transit`, `out_for_delivery`, `delivered`, `failure`, `confirmed`, ..."""
    shipped_at: str | None
    delivered_at: str | None
    line_item_ids: list[str]


@dataclass(frozen=True)
class LineSummary:
    id: str
    name: str
    sku: str | None
    quantity: int
    refundable_quantity: int
    unfulfilled_quantity: int
    unit_price: str
    total: str
    tags: list[str]


@dataclass(frozen=True)
class OrderSummary:
    """What the agent may tell the order's owner."""

    id: str
    name: str
    created_at: str | None
    financial_status: str
    fulfillment_status: str
    cancelled_at: str | None
    currency: str
    total: str
    subtotal: str
    tax: str
    shipping: str
    refunded: str
    paid: str
    lines: list[LineSummary]
    shipments: list[Shipment]
    shipping_address: list[str]
    returns: list[Json] = field(default_factory=list)
    refunds: list[Json] = field(default_factory=list)

    def to_json(self) -> Json:
        return asdict(self)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def delivery_state(fulfillment: Json) -> str:
    status = fulfillment.get("displayStatus") or fulfillment.get("status") or "fulfilled"
    return str(status).lower()


def summarize_order(order: Json) -> OrderSummary:
    lines = [
        LineSummary(
            id=line["id"],
            name=line.get("name") or line.get("title") or "",
            sku=line.get("sku"),
            quantity=int(line.get("quantity") or 0),
            refundable_quantity=int(line.get("refundableQuantity") or 0),
            unfulfilled_quantity=int(line.get("unfulfilledQuantity") or 0),
            unit_price=_money(amount(line.get("originalUnitPriceSet"))),
            total=_money(amount(line.get("discountedTotalSet"))),
            tags=list((line.get("product") or {}).get("tags") or []),
        )
        for line in nodes(order.get("lineItems"))
    ]
    shipments = []
    for fulfillment in nodes(order.get("fulfillments")):
        tracking = (fulfillment.get("trackingInfo") or [{}])[0] or {}
        shipments.append(
            Shipment(
                name=fulfillment.get("name") or "",
                carrier=tracking.get("company"),
                tracking_number=tracking.get("number"),
                tracking_url=tracking.get("url"),
                status=delivery_state(fulfillment),
                shipped_at=fulfillment.get("createdAt"),
                delivered_at=fulfillment.get("deliveredAt"),
                line_item_ids=[
                    item["lineItem"]["id"]
                    for item in nodes(fulfillment.get("fulfillmentLineItems"))
                ],
            )
        )
    returns = [
        {
            "id": ret["id"],
            "name": ret.get("name"),
            "status": str(ret.get("status")).lower(),
            "items": [
                {
                    "line_item_id": (
                        (item.get("fulfillmentLineItem") or {}).get("lineItem") or {}
                    ).get("id"),
                    "quantity": item.get("quantity"),
                }
                for item in nodes(ret.get("returnLineItems"))
            ],
        }
        for ret in nodes(order.get("returns"))
    ]
    refunds = [
        {
            "id": refund["id"],
            "created_at": refund.get("createdAt"),
            "amount": _money(amount(refund.get("totalRefundedSet"))),
            "note": refund.get("note"),
        }
        for refund in nodes(order.get("refunds"))
    ]
    return OrderSummary(
        id=order["id"],
        name=order.get("name") or "",
        created_at=order.get("createdAt"),
        financial_status=str(order.get("displayFinancialStatus") or "unknown").lower(),
        fulfillment_status=str(order.get("displayFulfillmentStatus") or "unfulfilled").lower(),
        cancelled_at=order.get("cancelledAt"),
        currency=order.get("currencyCode") or "USD",
        total=_money(amount(order.get("totalPriceSet"))),
        subtotal=_money(amount(order.get("subtotalPriceSet"))),
        tax=_money(amount(order.get("totalTaxSet"))),
        shipping=_money(amount(order.get("totalShippingPriceSet"))),
        refunded=_money(amount(order.get("totalRefundedSet"))),
        paid=_money(amount(order.get("totalReceivedSet"))),
        lines=lines,
        shipments=shipments,
        shipping_address=list((order.get("shippingAddress") or {}).get("formatted") or []),
        returns=returns,
        refunds=refunds,
    )


def brief(order: Json) -> Json:
    """A one-line view for lists: name, date, statuses, total and latest tracking."""
    summary = summarize_order(order)
    latest = summary.shipments[-1] if summary.shipments else None
    return {
        "id": summary.id,
        "name": summary.name,
        "created_at": summary.created_at,
        "financial_status": summary.financial_status,
        "fulfillment_status": summary.fulfillment_status,
        "cancelled": summary.cancelled_at is not None,
        "total": summary.total,
        "currency": summary.currency,
        "items": [line.name for line in summary.lines],
        "tracking": asdict(latest) if latest else None,
    }


def date_in(moment: datetime, timezone: str) -> date:
    """The calendar date of `moment` in the store's time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return moment.astimezone(ZoneInfo(timezone)).date()
    except ZoneInfoNotFoundError:
        return moment.date()
