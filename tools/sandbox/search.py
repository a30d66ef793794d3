"""Shopify's search syntax, the part the sandbox understands: `field:value` terms joined by AND.

Orders: `name:#1001` (or `name:1001`), `email:`, `phone:`, `customer_id:`, `id:`,
`status:open|closed|cancelled`, `financial_status:`, `fulfillment_status:`; customers: `email:`,
`phone:`, `id:`; a bare word matches names and emails. Values may be quoted.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from tools.sandbox.values import Json, parse_time


def _digits(value: object) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _terms(query: str | None) -> list[tuple[str | None, str]]:
    if not query or not query.strip():
        return []
    try:
        words = shlex.split(query)
    except ValueError:
        words = query.split()
    terms: list[tuple[str | None, str]] = []
    for word in words:
        if word.upper() in ("AND", "OR"):
            continue
        field, sep, value = word.partition(":")
        terms.append((field.lower(), value) if sep else (None, word))
    return terms


def _phone_match(stored: object, wanted: str) -> bool:
    stored_digits, wanted_digits = _digits(stored), _digits(wanted)
    return bool(stored_digits) and bool(wanted_digits) and stored_digits == wanted_digits


def _order_matches(order: Json, field: str | None, value: str) -> bool:
    customer = order.get("customer") or {}
    low = value.lower()
    if field == "name":
        return str(order.get("name", "")).lstrip("#").lower() == low.lstrip("#")
    if field == "email":
        return low in (
            str(order.get("email") or "").lower(),
            str(customer.get("email") or "").lower(),
        )
    if field == "phone":
        return _phone_match(order.get("phone"), value) or _phone_match(customer.get("phone"), value)
    if field == "customer_id":
        return str(customer.get("id")) == value.rsplit("/", 1)[-1]
    if field == "id":
        return str(order.get("id")) == value.rsplit("/", 1)[-1]
    if field == "status":
        return {
            "open": not order.get("closed_at") and not order.get("cancelled_at"),
            "closed": bool(order.get("closed_at")),
            "cancelled": bool(order.get("cancelled_at")),
        }.get(low, False)
    if field == "financial_status":
        return str(order.get("financial_status") or "").lower() == low
    if field == "fulfillment_status":
        status = order.get("fulfillment_status") or "unfulfilled"
        return {"partial": "partially_fulfilled", "shipped": "fulfilled"}.get(status, status) == {
            "partial": "partially_fulfilled",
            "shipped": "fulfilled",
        }.get(low, low)
    if field is None:
        haystack = " ".join(
            str(x or "")
            for x in (
                order.get("name"),
                order.get("email"),
                customer.get("first_name"),
                customer.get("last_name"),
            )
        ).lower()
        return low in haystack
    return False


def _customer_matches(customer: Json, field: str | None, value: str) -> bool:
    low = value.lower()
    if field == "email":
        return str(customer.get("email") or "").lower() == low
    if field == "phone":
        return _phone_match(customer.get("phone"), value)
    if field == "id":
        return str(customer.get("id")) == value.rsplit("/", 1)[-1]
    if field is None:
        haystack = " ".join(
            str(customer.get(k) or "") for k in ("first_name", "last_name", "email", "phone")
        ).lower()
        return low in haystack
    return False


def filter_orders(
    orders: Iterable[Json], query: str | None, reverse: bool = False, sort_key: str | None = None
) -> list[Json]:
    """Orders matching every term, sorted by id (or `CREATED_AT`/`PROCESSED_AT`)."""
    terms = _terms(query)
    found = [o for o in orders if all(_order_matches(o, f, v) for f, v in terms)]
    if sort_key in ("CREATED_AT", "PROCESSED_AT"):
        field = "created_at" if sort_key == "CREATED_AT" else "processed_at"

        def moment(order: Json) -> tuple[float, int]:
            stamp = parse_time(order.get(field) or order.get("created_at"))
            return (stamp.timestamp() if stamp else 0.0, int(order["id"]))

        found.sort(key=moment)
    else:
        found.sort(key=lambda o: int(o["id"]))
    return list(reversed(found)) if reverse else found


def filter_customers(
    customers: Iterable[Json], query: str | None, reverse: bool = False
) -> list[Json]:
    terms = _terms(query)
    found = sorted(
        (c for c in customers if all(_customer_matches(c, f, v) for f, v in terms)),
        key=lambda c: int(c["id"]),
    )
    return list(reversed(found)) if reverse else found
