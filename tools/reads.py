"""Read tools (`lookup_orders`, `get_order`, `lookup_customer`) and the shared order fetch.

Every read checks ownership: an order that is not the identified customer's is reported exactly
like one that does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from tools.client import ShopifyClient
from tools.errors import ShopifyError
from tools.identity import CustomerIdentity
from tools.policy import StorePolicy
from tools.queries import CUSTOMERS_SEARCH, ORDER_BY_ID, ORDERS_SEARCH
from tools.results import (
    NOT_FOUND_SENTENCE,
    Reason,
    ToolResult,
    done,
    failed,
    refused,
)
from tools.rules import REFUSAL_SENTENCES, return_eligibility
from tools.summaries import Json, brief, summarize_order

logger = logging.getLogger(__name__)

UNAVAILABLE_SENTENCE = "The store system isn't answering right now, so I've passed this on."
ERROR_SENTENCE = "Something went wrong on the store system, so I've passed this on."


def order_query(reference: str) -> tuple[str, str] | None:
    """(`id`, gid) or (`query`, search) for an order reference; None if it cannot be one.

    `#1042` and `1042` search `name:#1042`; names with a store prefix (`NW1042`) are searched as
    written. Quotes, colons, wildcards and spaces never reach the search string.
    """
    text = reference.strip()
    if text.startswith("gid://shopify/Order/"):
        return "id", text
    name = text.lstrip("#").strip()
    if not name or any(ch.isspace() or ch in "\"'\\:()*" for ch in name):
        return None
    return "query", f"name:#{name}" if name.isdigit() else f"name:{name}"


class OrderNotVisible(Exception):
    """The order does not exist or is not the customer's: refuse with the same sentence."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class OrderReader:
    """Reads over one shop, under one store policy."""

    def __init__(self, client: ShopifyClient, policy: StorePolicy) -> None:
        self.client = client
        self.policy = policy

    # ---- shared helpers ------------------------------------------------------------------
    def _check_identity(self, tool: str, customer: CustomerIdentity) -> ToolResult | None:
        if customer.empty and self.policy.verification.require_identity_match:
            return refused(
                tool, Reason.IDENTITY_REQUIRED, REFUSAL_SENTENCES[Reason.IDENTITY_REQUIRED]
            )
        return None

    def fetch_order(self, customer: CustomerIdentity, reference: str) -> Json:
        """The full GraphQL order, if it exists and is the customer's; else `OrderNotVisible`."""
        lookup = order_query(reference)
        if lookup is None:
            raise OrderNotVisible(Reason.ORDER_NOT_FOUND)
        kind, value = lookup
        if kind == "id":
            order = self.client.execute(ORDER_BY_ID, {"id": value}).get("order")
        else:
            found = self.client.execute(ORDERS_SEARCH, {"query": value, "first": 1})
            order = next(iter((found.get("orders") or {}).get("nodes") or []), None)
        if not order:
            raise OrderNotVisible(Reason.ORDER_NOT_FOUND)
        if self.policy.verification.require_identity_match and not customer.owns(order):
            logger.info(
                "order lookup refused: %s does not match the identified customer", order.get("name")
            )
            raise OrderNotVisible(Reason.NOT_OWNER)
        return dict(order)

    def refetch(self, order_id: str) -> Json:
        return dict(self.client.execute(ORDER_BY_ID, {"id": order_id}).get("order") or {})

    def _guard(
        self, tool: str, customer: CustomerIdentity, action: Callable[[], ToolResult]
    ) -> ToolResult:
        """Identity check first; shop failures and hidden orders become results, not raises."""
        missing = self._check_identity(tool, customer)
        if missing is not None:
            return missing
        try:
            return action()
        except OrderNotVisible as hidden:
            return refused(tool, hidden.reason, NOT_FOUND_SENTENCE)
        except ShopifyError as error:
            logger.warning("%s failed: %s (%s)", tool, error.code, error)
            sentence = UNAVAILABLE_SENTENCE if error.retryable else ERROR_SENTENCE
            return failed(tool, error.code, sentence, error=str(error), retryable=error.retryable)

    # ---- tools ---------------------------------------------------------------------------
    def lookup_orders(
        self, customer: CustomerIdentity, order_name: str | None = None, limit: int = 10
    ) -> ToolResult:
        """The customer's orders, newest first (or just `order_name` if it is theirs)."""

        def run() -> ToolResult:
            if order_name:
                order = self.fetch_order(customer, order_name)
                return done("lookup_orders", f"Found order {order['name']}.", orders=[brief(order)])
            queries = [f"email:{e}" for e in sorted(customer.emails)]
            queries += [f"phone:{p}" for p in sorted(customer.phones)]
            if customer.shopify_customer_id:
                queries.append(f"customer_id:{customer.shopify_customer_id}")
            seen: dict[str, Json] = {}
            for query in queries:
                result = self.client.execute(ORDERS_SEARCH, {"query": query, "first": limit})
                for order in (result.get("orders") or {}).get("nodes") or []:
                    if customer.owns(order) or not self.policy.verification.require_identity_match:
                        seen.setdefault(order["id"], order)
            orders = sorted(seen.values(), key=lambda o: o.get("createdAt") or "", reverse=True)
            orders = orders[:limit]
            if not orders:
                return done(
                    "lookup_orders", "I couldn't find any orders for your account.", orders=[]
                )
            return done(
                "lookup_orders", f"Found {len(orders)} order(s).", orders=[brief(o) for o in orders]
            )

        return self._guard("lookup_orders", customer, run)

    def get_order(
        self, customer: CustomerIdentity, order: str, today: date | None = None
    ) -> ToolResult:
        """Status, items, totals, refunds, returns and tracking of one of the customer's orders.

        With `today`, each line also says whether and until when it can be returned.
        """

        def run() -> ToolResult:
            raw = self.fetch_order(customer, order)
            summary = summarize_order(raw)
            data: Json = {"order": summary.to_json(), "matched": customer.matching(raw)}
            if today is not None:
                data["returns_eligibility"] = [
                    e.to_json() for e in return_eligibility(raw, self.policy, today)
                ]
            return done(
                "get_order",
                f"Order {summary.name} is {summary.fulfillment_status}"
                f" and {summary.financial_status}.",
                **data,
            )

        return self._guard("get_order", customer, run)

    def lookup_customer(self, customer: CustomerIdentity) -> ToolResult:
        """The shop's customer record(s) for the verified email/phone/customer id."""

        def run() -> ToolResult:
            queries = [f"email:{e}" for e in sorted(customer.emails)]
            queries += [f"phone:{p}" for p in sorted(customer.phones)]
            if customer.shopify_customer_id:
                queries.append(f"id:{customer.shopify_customer_id}")
            found: dict[str, Json] = {}
            for query in queries:
                result = self.client.execute(CUSTOMERS_SEARCH, {"query": query, "first": 5})
                for node in (result.get("customers") or {}).get("nodes") or []:
                    found.setdefault(node["id"], node)
            if not found:
                return refused(
                    "lookup_customer",
                    Reason.CUSTOMER_NOT_FOUND,
                    "I couldn't find a customer account with those details.",
                )
            customers = [
                {
                    "id": c["id"],
                    "name": c.get("displayName"),
                    "email": c.get("email"),
                    "phone": c.get("phone"),
                    "orders_count": int(c.get("numberOfOrders") or 0),
                    "amount_spent": (c.get("amountSpent") or {}).get("amount"),
                    "created_at": c.get("createdAt"),
                }
                for c in found.values()
            ]
            return done(
                "lookup_customer",
                f"Found {len(customers)} customer record(s).",
                customer=customers[0],
                customers=customers,
            )

        if customer.empty:
            return refused(
                "lookup_customer",
                Reason.IDENTITY_REQUIRED,
                REFUSAL_SENTENCES[Reason.IDENTITY_REQUIRED],
            )
        return self._guard("lookup_customer", customer, run)
