"""Money and quantity arithmetic over one REST-shaped order: what was paid, refunded, returned.

Pure functions, shared by the sandbox's views (what an order reports) and its mutations (what a
refund or return may still take).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tools.sandbox.values import Json, to_decimal

_PAID_STATUSES = {"paid", "partially_refunded", "refunded", "partially_paid"}


def line_discounted_total(line: Json) -> Decimal:
    return to_decimal(line.get("price")) * int(line.get("quantity") or 0) - to_decimal(
        line.get("total_discount")
    )


def line_tax(line: Json) -> Decimal:
    return sum((to_decimal(t.get("price")) for t in line.get("tax_lines") or []), Decimal(0))


def refunded_quantity(order: Json, line_id: Any) -> int:
    return sum(
        int(rli.get("quantity") or 0)
        for refund in order.get("refunds") or []
        for rli in refund.get("refund_line_items") or []
        if str(rli.get("line_item_id")) == str(line_id)
    )


def refundable_quantity(order: Json, line: Json) -> int:
    return max(int(line.get("quantity") or 0) - refunded_quantity(order, line["id"]), 0)


def fulfilled_quantity(order: Json, line_id: Any) -> int:
    return sum(
        int(item.get("quantity") or 0)
        for fulfillment in order.get("fulfillments") or []
        if fulfillment.get("status", "success") == "success"
        for item in fulfillment.get("line_items") or []
        if str(item.get("id")) == str(line_id)
    )


def unfulfilled_quantity(order: Json, line: Json) -> int:
    if order.get("cancelled_at"):
        return 0
    return max(
        int(line.get("quantity") or 0)
        - fulfilled_quantity(order, line["id"])
        - refunded_quantity(order, line["id"]),
        0,
    )


def sale_transactions(order: Json) -> list[Json]:
    """The order's captured payments; REST exports without `transactions` get one synthetic sale."""
    if order.get("transactions"):
        return [
            t
            for t in order["transactions"]
            if t.get("kind") in ("sale", "capture") and t.get("status", "success") == "success"
        ]
    if order.get("financial_status") not in _PAID_STATUSES:
        return []
    gateway = order.get("gateway") or (order.get("payment_gateway_names") or ["manual"])[0]
    return [
        {
            "id": int(order["id"]) + 9_000_000_000_000,
            "kind": "sale",
            "status": "success",
            "gateway": gateway,
            "amount": order.get("total_price"),
            "created_at": order.get("processed_at") or order.get("created_at"),
        }
    ]


def total_received(order: Json) -> Decimal:
    return sum((to_decimal(t.get("amount")) for t in sale_transactions(order)), Decimal(0))


def total_refunded(order: Json) -> Decimal:
    return sum(
        (
            to_decimal(t.get("amount"))
            for refund in order.get("refunds") or []
            for t in refund.get("transactions") or []
            if t.get("kind") == "refund" and t.get("status", "success") == "success"
        ),
        Decimal(0),
    )


def shipping_total(order: Json) -> Decimal:
    return sum((to_decimal(s.get("price")) for s in order.get("shipping_lines") or []), Decimal(0))


def shipping_refunded(order: Json) -> Decimal:
    return -sum(
        (
            to_decimal(adj.get("amount"))
            for refund in order.get("refunds") or []
            for adj in refund.get("order_adjustments") or []
            if adj.get("kind") == "shipping_refund"
        ),
        Decimal(0),
    )


def returned_quantity(order: Json, fulfillment_line_item_id: str) -> int:
    """Units of one fulfillment line already on a return that is not cancelled or declined."""
    return sum(
        int(item["quantity"])
        for ret in order.get("returns") or []
        if ret.get("status") not in ("CANCELED", "DECLINED")
        for item in ret.get("return_line_items") or []
        if str(item["fulfillment_line_item_id"]) == str(fulfillment_line_item_id)
    )


def display_financial_status(order: Json) -> str | None:
    status = order.get("financial_status")
    return str(status).upper() if status else None


def display_fulfillment_status(order: Json) -> str:
    status = order.get("fulfillment_status")
    return {
        None: "UNFULFILLED",
        "partial": "PARTIALLY_FULFILLED",
        "fulfilled": "FULFILLED",
        "restocked": "RESTOCKED",
    }.get(status, str(status).upper())
