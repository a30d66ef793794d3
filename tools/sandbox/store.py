"""The sandbox shop's state: REST-shaped records in memory, changed only by the mutations here.

Every method runs under one re-entrant lock, so concurrent HTTP requests see each change whole.
Mutations return Shopify-style user errors (field path + message) instead of raising.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from tools.sandbox import ledger
from tools.sandbox.fixtures import FixtureError, SandboxData, complete_fixtures, shop_currency
from tools.sandbox.refunds import RefundQuote, build_refund, quote_refund
from tools.sandbox.values import Json, money_str, to_decimal

FULFILLMENT_LINE_FACTOR = 1000
"""A fulfillment line item's id is `fulfillment_id * 1000 + position` (REST has no such id)."""


@dataclass
class UserErr:
    """One Shopify user error: the input path that is wrong, and why."""

    field: list[str] | None
    message: str
    code: str | None = None


class SandboxStore:
    """One shop's customers, products and orders, with the writes the Admin API allows."""

    def __init__(self, data: SandboxData, clock: Callable[[], datetime]) -> None:
        self.lock = threading.RLock()
        self._initial = copy.deepcopy(data)
        self.clock = clock
        self.reset()

    # ---- loading and indexes -------------------------------------------------------------
    def reset(self, data: SandboxData | None = None) -> None:
        """Start again from the fixtures (or from `data`), dropping every change."""
        with self.lock:
            source = copy.deepcopy(data or self._initial)
            self.today = source.today
            self.shop = source.shop
            self.customers: dict[str, Json] = {str(c["id"]): c for c in source.customers}
            self.products: dict[str, Json] = {str(p["id"]): p for p in source.products}
            self.orders: dict[str, Json] = {str(o["id"]): o for o in source.orders}
            self.variants: dict[str, Json] = {
                str(v["id"]): v for p in source.products for v in p.get("variants") or []
            }
            self._max_id = max(
                [int(x["id"]) for x in [*source.customers, *source.orders, *source.products]] + [0]
            )

    def load_state(self, path: Path) -> None:
        """Replace the state with a snapshot written by `save_state`, checked like fixtures."""
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FixtureError(f"{path}: cannot read JSON: {exc}") from exc
        collections = ("customers", "orders", "products")
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(key), list) for key in collections
        ):
            raise FixtureError(f"{path}: expected a state snapshot {{{', '.join(collections)}}}")
        records = complete_fixtures(
            payload,
            dict.fromkeys(collections, str(path)),
            shop_currency(self._initial.shop, str(path)),
        )
        self.reset(
            SandboxData(
                records["customers"],
                records["orders"],
                records["products"],
                self._initial.today,
                self._initial.shop,
            )
        )
        self._max_id = max(self._max_id, int(payload.get("max_id", 0)))

    def snapshot(self) -> Json:
        """A deep copy of the whole state in REST shape (what `save_state` writes)."""
        with self.lock:
            return copy.deepcopy(
                {
                    "customers": list(self.customers.values()),
                    "orders": list(self.orders.values()),
                    "products": list(self.products.values()),
                    "max_id": self._max_id,
                }
            )

    def save_state(self, path: Path) -> None:
        """Write the state atomically (one writer at a time: the store lock is held)."""
        with self.lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(path.suffix + ".tmp")
            temporary.write_text(json.dumps(self.snapshot(), indent=1), encoding="utf-8")
            os.replace(temporary, path)

    def new_id(self) -> int:
        with self.lock:
            self._max_id += 1
            return self._max_id

    def now(self) -> str:
        return self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    # ---- lookups -------------------------------------------------------------------------
    def order_for_line(self, order: Json, line_id: str) -> Json | None:
        return next((li for li in order["line_items"] if str(li["id"]) == line_id), None)

    def fulfillment_line_items(self, order: Json, fulfillment: Json) -> list[tuple[str, Json]]:
        """(id, line item) for each line of a fulfillment; quantity is the fulfilled quantity."""
        base = int(fulfillment["id"]) * FULFILLMENT_LINE_FACTOR
        result = []
        for position, item in enumerate(fulfillment.get("line_items") or [], start=1):
            line = self.order_for_line(order, str(item["id"])) or item
            result.append((str(base + position), {**line, "quantity": item.get("quantity")}))
        return result

    def find_fulfillment_line(self, order: Json, fli_id: str) -> Json | None:
        for fulfillment in order.get("fulfillments") or []:
            for candidate, line in self.fulfillment_line_items(order, fulfillment):
                if candidate == fli_id:
                    return line
        return None

    # ---- mutations -----------------------------------------------------------------------
    def cancel_order(
        self, order_id: str, reason: str, refund: bool, staff_note: str | None
    ) -> list[UserErr]:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return [UserErr(["orderId"], "Order does not exist", "NOT_FOUND")]
            if order.get("cancelled_at"):
                return [UserErr(["orderId"], "Order has already been cancelled", "INVALID")]
            if any(
                f.get("status", "success") == "success" for f in order.get("fulfillments") or []
            ):
                return [
                    UserErr(["orderId"], "Cannot cancel an order that has fulfillments", "INVALID")
                ]
            now = self.now()
            if refund and ledger.total_received(order) - ledger.total_refunded(order) > 0:
                lines = [(li, ledger.refundable_quantity(order, li)) for li in order["line_items"]]
                quote = self.quote_refund(order, [(li, q) for li, q in lines if q], True, None)
                sale = ledger.sale_transactions(order)[0]
                self._record_refund(
                    order,
                    quote,
                    "Order cancelled",
                    "CANCEL",
                    [{"amount": quote.amount, "gateway": sale["gateway"], "parent_id": sale["id"]}],
                )
            elif order.get("financial_status") in ("pending", "authorized"):
                order["financial_status"] = "voided"
            for line in order["line_items"]:
                line["fulfillable_quantity"] = 0
            order.update(
                cancelled_at=now, closed_at=now, cancel_reason=reason.lower(), updated_at=now
            )
            if staff_note:
                order["note"] = "\n".join(filter(None, [order.get("note"), staff_note]))
            return []

    def update_order(self, order_id: str, changes: Json) -> list[UserErr]:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return [UserErr(["id"], "Order does not exist")]
            for key in ("email", "note", "phone"):
                if changes.get(key) is not None:
                    order[key] = changes[key]
            if changes.get("tags") is not None:
                order["tags"] = ", ".join(changes["tags"])
            address = changes.get("shippingAddress")
            if address is not None:
                current = dict(order.get("shipping_address") or {})
                mapping = {
                    "address1": "address1",
                    "address2": "address2",
                    "city": "city",
                    "company": "company",
                    "countryCode": "country_code",
                    "firstName": "first_name",
                    "lastName": "last_name",
                    "phone": "phone",
                    "provinceCode": "province_code",
                    "zip": "zip",
                }
                for gql_name, rest_name in mapping.items():
                    if gql_name in address:
                        current[rest_name] = address[gql_name]
                if "countryCode" in address and address["countryCode"] != (
                    order.get("shipping_address") or {}
                ).get("country_code"):
                    current["country"] = address["countryCode"]
                if "provinceCode" in address:
                    current["province"] = address["provinceCode"]
                names = [current.get("first_name"), current.get("last_name")]
                current["name"] = " ".join(n for n in names if n)
                order["shipping_address"] = current
            order["updated_at"] = self.now()
            return []

    def create_return(
        self, order_id: str, items: list[Json], status: str
    ) -> tuple[Json | None, list[UserErr]]:
        """Open (or request) a return for fulfillment line items of one order."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return None, [
                    UserErr(["returnInput", "orderId"], "Order does not exist", "NOT_FOUND")
                ]
            if order.get("cancelled_at"):
                return None, [
                    UserErr(["returnInput", "orderId"], "Order is cancelled", "INVALID_STATE")
                ]
            if not items:
                return None, [
                    UserErr(
                        ["returnInput", "returnLineItems"],
                        "Return must have at least one line item",
                        "BLANK",
                    )
                ]
            errors, lines = [], []
            for index, item in enumerate(items):
                path = ["returnInput", "returnLineItems", str(index)]
                fli_id = str(item["fulfillmentLineItemId"])
                line = self.find_fulfillment_line(order, fli_id)
                if line is None:
                    errors.append(
                        UserErr(
                            [*path, "fulfillmentLineItemId"],
                            "Fulfillment line item does not exist",
                            "NOT_FOUND",
                        )
                    )
                    continue
                available = int(line["quantity"]) - ledger.returned_quantity(order, fli_id)
                if int(item["quantity"]) < 1 or int(item["quantity"]) > available:
                    errors.append(
                        UserErr(
                            [*path, "quantity"],
                            f"Quantity must be between 1 and {available}",
                            "LESS_THAN_OR_EQUAL_TO",
                        )
                    )
                    continue
                lines.append(
                    {
                        "id": self.new_id(),
                        "fulfillment_line_item_id": fli_id,
                        "quantity": int(item["quantity"]),
                        "return_reason": item.get("returnReason") or "UNKNOWN",
                        "return_reason_note": item.get("returnReasonNote") or "",
                        "customer_note": item.get("customerNote"),
                    }
                )
            if errors:
                return None, errors
            returns = order.setdefault("returns", [])
            record = {
                "id": self.new_id(),
                "name": f"{order['name']}-R{len(returns) + 1}",
                "status": status,
                "created_at": self.now(),
                "return_line_items": lines,
            }
            returns.append(record)
            order["updated_at"] = record["created_at"]
            return record, []

    def quote_refund(
        self,
        order: Json,
        lines: list[tuple[Json, int]],
        refund_shipping: bool,
        shipping_amount: Decimal | None,
    ) -> RefundQuote:
        """What refunding these quantities would return, capped at what is still refundable."""
        return quote_refund(order, lines, refund_shipping, shipping_amount)

    def create_refund(
        self,
        order_id: str,
        line_inputs: list[Json],
        shipping: Json | None,
        transactions: list[Json],
        note: str | None,
    ) -> tuple[Json | None, list[UserErr]]:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return None, [UserErr(["orderId"], "Order does not exist")]
            errors, lines = [], []
            for index, item in enumerate(line_inputs):
                path = ["refundLineItems", str(index)]
                line = self.order_for_line(order, str(item["lineItemId"]))
                if line is None:
                    errors.append(UserErr([*path, "lineItemId"], "Line item does not exist"))
                elif not 0 < int(item["quantity"]) <= ledger.refundable_quantity(order, line):
                    errors.append(
                        UserErr(
                            [*path, "quantity"],
                            "Quantity cannot refund more items than were purchased",
                        )
                    )
                else:
                    lines.append((line, int(item["quantity"])))
            shipping = shipping or {}
            amount = to_decimal(shipping.get("amount")) if shipping.get("amount") else None
            quote = self.quote_refund(order, lines, bool(shipping.get("fullRefund")), amount)
            money_out = sum((to_decimal(t["amount"]) for t in transactions), Decimal(0))
            if money_out > quote.maximum:
                errors.append(
                    UserErr(
                        ["transactions"],
                        f"Amount can't be greater than the refundable amount "
                        f"of {money_str(quote.maximum)}",
                    )
                )
            sales = {str(t["id"]): t for t in ledger.sale_transactions(order)}
            for index, txn in enumerate(transactions):
                if txn.get("kind") != "REFUND":
                    errors.append(
                        UserErr(
                            ["transactions", str(index), "kind"], "Transaction kind must be REFUND"
                        )
                    )
                if txn.get("parentId") and str(txn["parentId"]) not in sales:
                    errors.append(
                        UserErr(
                            ["transactions", str(index), "parentId"],
                            "Parent transaction does not exist",
                        )
                    )
            if not lines and not money_out and not quote.shipping:
                errors.append(
                    UserErr(None, "Refund must include line items, shipping or an amount")
                )
            if errors:
                return None, errors
            refund = self._record_refund(
                order,
                quote,
                note,
                "RETURN",
                [
                    {
                        "amount": to_decimal(t["amount"]),
                        "gateway": t.get("gateway"),
                        "parent_id": t.get("parentId"),
                    }
                    for t in transactions
                ],
            )
            return refund, []

    def _record_refund(
        self,
        order: Json,
        quote: RefundQuote,
        note: str | None,
        restock: str,
        transactions: list[Json],
    ) -> Json:
        return build_refund(self.new_id, self.now(), order, quote, note, restock, transactions)
