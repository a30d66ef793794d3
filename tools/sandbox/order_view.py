"""The sandbox's `Order` object: every field the tools and a merchant's own scripts read."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tools.sandbox import ledger
from tools.sandbox.order_parts import (
    fulfillment_view,
    refund_view,
    return_view,
    suggested_refund_view,
    transaction_view,
)
from tools.sandbox.values import Json, iso_utc, split_tags, to_decimal
from tools.sandbox.views import (
    address_view,
    connection,
    customer_view,
    gid,
    gid_id,
    line_view,
    listing,
    money_bag,
)

if TYPE_CHECKING:
    from tools.sandbox.store import SandboxStore


def order_view(store: SandboxStore, order: Json) -> Json:
    """One REST order as a GraphQL `Order`, built from the live state."""
    currency = order.get("currency") or store.shop.get("currency", "USD")

    def node(_info: Any = None) -> Json:
        return order_view(store, order)

    received = ledger.total_received(order)
    refunded = ledger.total_refunded(order)
    total = to_decimal(order.get("total_price"))
    shipping = ledger.shipping_total(order)
    embedded = order.get("customer") or {}
    # an export may hold orders of customers missing from customers.json: use the order's copy
    customer = store.customers.get(str(embedded.get("id"))) or (
        embedded if embedded.get("id") is not None else None
    )
    shipping_line = (order.get("shipping_lines") or [None])[0]
    outstanding = Decimal(0)
    if order.get("financial_status") in ("pending", "authorized", "partially_paid"):
        outstanding = max(total - received, Decimal(0))

    def suggested_refund(
        _info: Any = None,
        refundLineItems: list[Json] | None = None,
        refundShipping: bool | None = None,
        shippingAmount: str | None = None,
        suggestFullRefund: bool | None = None,
    ) -> Json:
        lines: list[tuple[Json, int]] = []
        if suggestFullRefund:
            lines = [(li, ledger.refundable_quantity(order, li)) for li in order["line_items"]]
        for item in refundLineItems or []:
            line = store.order_for_line(order, gid_id(item["lineItemId"], "LineItem") or "")
            if line is not None:
                lines.append((line, int(item["quantity"])))
        amount = to_decimal(shippingAmount) if shippingAmount is not None else None
        quote = store.quote_refund(order, lines, bool(refundShipping or suggestFullRefund), amount)
        return suggested_refund_view(store, order, quote)

    return {
        "__typename": "Order",
        "id": gid("Order", order["id"]),
        "legacyResourceId": str(order["id"]),
        "name": order.get("name") or f"#{order.get('order_number', order['id'])}",
        "email": order.get("email"),
        "phone": order.get("phone"),
        "note": order.get("note"),
        "tags": split_tags(order.get("tags")),
        "createdAt": iso_utc(order.get("created_at")),
        "processedAt": iso_utc(order.get("processed_at") or order.get("created_at")),
        "updatedAt": iso_utc(order.get("updated_at") or order.get("created_at")),
        "closed": bool(order.get("closed_at")),
        "closedAt": iso_utc(order.get("closed_at")),
        "cancelledAt": iso_utc(order.get("cancelled_at")),
        "cancelReason": (
            str(order["cancel_reason"]).upper() if order.get("cancel_reason") else None
        ),
        "confirmed": bool(order.get("confirmed", True)),
        "test": bool(order.get("test", False)),
        "currencyCode": currency,
        "displayFinancialStatus": ledger.display_financial_status(order),
        "displayFulfillmentStatus": ledger.display_fulfillment_status(order),
        "fullyPaid": received >= total and total > 0,
        "refundable": received - refunded > 0,
        "customer": customer_view(store, customer) if customer else None,
        "shippingAddress": address_view(order.get("shipping_address"), order["id"]),
        "billingAddress": address_view(order.get("billing_address"), order["id"]),
        "shippingLine": (
            {
                "id": gid("ShippingLine", shipping_line.get("id")),
                "title": shipping_line.get("title", "Shipping"),
                "code": shipping_line.get("code"),
                "originalPriceSet": money_bag(shipping_line.get("price"), currency),
            }
            if shipping_line
            else None
        ),
        "subtotalPriceSet": money_bag(order.get("subtotal_price"), currency),
        "totalPriceSet": money_bag(total, currency),
        "totalTaxSet": money_bag(order.get("total_tax"), currency),
        "totalDiscountsSet": money_bag(order.get("total_discounts"), currency),
        "totalShippingPriceSet": money_bag(shipping, currency),
        "totalRefundedSet": money_bag(refunded, currency),
        "totalReceivedSet": money_bag(received, currency),
        "netPaymentSet": money_bag(received - refunded, currency),
        "currentTotalPriceSet": money_bag(max(total - refunded, Decimal(0)), currency),
        "totalOutstandingSet": money_bag(outstanding, currency),
        "lineItems": connection([line_view(store, order, li) for li in order["line_items"]]),
        "fulfillments": listing(
            [fulfillment_view(store, order, f, node) for f in order.get("fulfillments") or []]
        ),
        "refunds": listing(
            [refund_view(store, order, r, node) for r in order.get("refunds") or []]
        ),
        "returns": connection(
            [return_view(store, order, r, node) for r in order.get("returns") or []]
        ),
        "transactions": listing(
            [transaction_view(t, currency) for t in ledger.sale_transactions(order)]
            + [
                transaction_view(t, currency)
                for r in order.get("refunds") or []
                for t in r.get("transactions") or []
            ]
        ),
        "suggestedRefund": suggested_refund,
    }
