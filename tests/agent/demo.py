"""Pick demo-store records by what they are (open, delivered, refundable…), not by their numbers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from api.settings import DEMO_STORE_DIR
from tools.policy import load_policy

SANDBOX = DEMO_STORE_DIR / "sandbox"
ORDERS: list[dict[str, Any]] = json.loads((SANDBOX / "orders.json").read_text())["orders"]
CUSTOMERS: list[dict[str, Any]] = json.loads((SANDBOX / "customers.json").read_text())["customers"]
PRODUCTS = {p["id"]: p for p in json.loads((SANDBOX / "products.json").read_text())["products"]}
REFUND_LIMIT = Decimal(str(load_policy(DEMO_STORE_DIR / "policy.yaml").refunds.auto_approve_limit))
TODAY = date.fromisoformat(json.loads((SANDBOX / "store.json").read_text())["today"])


def shipments(order: dict[str, Any]) -> list[str]:
    return [f.get("shipment_status") or "confirmed" for f in order.get("fulfillments") or []]


def is_open(order: dict[str, Any]) -> bool:
    if order.get("cancelled_at"):
        return False
    if order.get("fulfillment_status") in (None, "partial"):
        return True
    return any(s != "delivered" for s in shipments(order))


def delivered_days_ago(order: dict[str, Any]) -> int | None:
    done = [f for f in order.get("fulfillments") or [] if f.get("shipment_status") == "delivered"]
    if not done or order.get("cancelled_at"):
        return None
    latest = max(datetime.fromisoformat(f["updated_at"]).date() for f in done)
    return (TODAY - latest).days


def final_sale(line: dict[str, Any]) -> bool:
    product = PRODUCTS.get(line.get("product_id"), {})
    return "final-sale" in str(product.get("tags", ""))


def owner_email(order: dict[str, Any]) -> str | None:
    return order.get("email") or (order.get("customer") or {}).get("email")


def owner_phone(order: dict[str, Any]) -> str | None:
    return order.get("phone") or (order.get("customer") or {}).get("phone")


def refunded(order: dict[str, Any]) -> bool:
    return bool(order.get("refunds")) or order.get("financial_status") != "paid"


def line_total(line: dict[str, Any]) -> Decimal:
    tax = sum(Decimal(t["price"]) for t in line.get("tax_lines") or [])
    return (
        Decimal(line["price"]) * line["quantity"] - Decimal(line.get("total_discount") or 0) + tax
    )


def pick(predicate: Callable[[dict[str, Any]], bool], used: set[str]) -> dict[str, Any]:
    """The first order matching `predicate` that no other test in the module took."""
    for order in ORDERS:
        if order["name"] not in used and predicate(order):
            used.add(order["name"])
            return order
    raise LookupError("the demo store has no order of that kind")


def orders_of(customer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for order in ORDERS:
        if (order.get("customer") or {}).get("id") == customer["id"]:
            yield order


def within_refund_limit(order: dict[str, Any], limit: Decimal = REFUND_LIMIT) -> bool:
    """Cancelling it refunds no more than the automatic limit (else a person decides)."""
    return Decimal(order["total_price"]) <= limit


def cancellable(order: dict[str, Any]) -> bool:
    """Paid, not shipped, not cancelled, with an email on it, refund within the limit."""
    return (
        is_open(order)
        and order.get("fulfillment_status") is None
        and order.get("financial_status") == "paid"
        and bool(owner_email(order))
        and within_refund_limit(order)
    )
