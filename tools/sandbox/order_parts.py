"""Parts of a sandbox `Order` with a life of their own: shipments, payments, refunds, returns."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from tools.sandbox import ledger
from tools.sandbox.values import Json, iso_utc, to_decimal
from tools.sandbox.views import connection, gid, line_view, listing, money_bag

if TYPE_CHECKING:
    from tools.sandbox.refunds import RefundQuote
    from tools.sandbox.store import SandboxStore


_DISPLAY = {
    "delivered": "DELIVERED",
    "in_transit": "IN_TRANSIT",
    "confirmed": "CONFIRMED",
    "out_for_delivery": "OUT_FOR_DELIVERY",
    "attempted_delivery": "ATTEMPTED_DELIVERY",
    "failure": "FAILURE",
    "label_printed": "LABEL_PRINTED",
    "label_purchased": "LABEL_PURCHASED",
    "ready_for_pickup": "READY_FOR_PICKUP",
    "picked_up": "PICKED_UP",
    "not_delivered": "NOT_DELIVERED",
}


def fulfillment_view(
    store: SandboxStore, order: Json, fulfillment: Json, order_node: Callable[..., Json]
) -> Json:
    shipment = fulfillment.get("shipment_status")
    numbers = fulfillment.get("tracking_numbers") or [fulfillment.get("tracking_number")]
    urls = fulfillment.get("tracking_urls") or [fulfillment.get("tracking_url")]
    tracking = [
        {
            "company": fulfillment.get("tracking_company"),
            "number": number,
            "url": urls[i] if i < len(urls) else None,
        }
        for i, number in enumerate(numbers)
        if number
    ]
    items = [
        {
            "id": gid("FulfillmentLineItem", fli_id),
            "quantity": line["quantity"],
            "lineItem": line_view(
                store, order, store.order_for_line(order, str(line["id"])) or line
            ),
        }
        for fli_id, line in store.fulfillment_line_items(order, fulfillment)
    ]
    status = str(fulfillment.get("status") or "success").upper()
    display = _DISPLAY.get(str(shipment), "FULFILLED") if status == "SUCCESS" else "CANCELED"
    return {
        "__typename": "Fulfillment",
        "id": gid("Fulfillment", fulfillment["id"]),
        "legacyResourceId": str(fulfillment["id"]),
        "name": fulfillment.get("name") or f"{order.get('name')}.1",
        "status": status if status != "CANCELLED" else "CANCELLED",
        "displayStatus": display,
        "createdAt": iso_utc(fulfillment.get("created_at")),
        "updatedAt": iso_utc(fulfillment.get("updated_at") or fulfillment.get("created_at")),
        "deliveredAt": iso_utc(fulfillment.get("updated_at")) if shipment == "delivered" else None,
        "inTransitAt": (
            iso_utc(fulfillment.get("created_at"))
            if shipment in ("in_transit", "out_for_delivery", "delivered")
            else None
        ),
        "estimatedDeliveryAt": None,
        "trackingInfo": listing(tracking),
        "fulfillmentLineItems": connection(items),
        "order": order_node,
    }


def transaction_view(txn: Json, currency: str) -> Json:
    return {
        "__typename": "OrderTransaction",
        "id": gid("OrderTransaction", txn["id"]),
        "kind": str(txn.get("kind") or "sale").upper(),
        "status": str(txn.get("status") or "success").upper(),
        "gateway": txn.get("gateway"),
        "amountSet": money_bag(txn.get("amount"), currency),
        "createdAt": iso_utc(txn.get("created_at")),
        "processedAt": iso_utc(txn.get("created_at")),
        "parentTransaction": None,
    }


def refund_view(
    store: SandboxStore, order: Json, refund: Json, order_node: Callable[..., Json]
) -> Json:
    currency = order.get("currency") or "USD"
    lines = []
    for rli in refund.get("refund_line_items") or []:
        line = store.order_for_line(order, str(rli["line_item_id"]))
        if line is None:
            continue
        lines.append(
            {
                "id": gid("RefundLineItem", rli["id"]),
                "lineItem": line_view(store, order, line),
                "quantity": int(rli.get("quantity") or 0),
                "restockType": str(rli.get("restock_type") or "no_restock").upper(),
                "restocked": rli.get("restock_type") not in (None, "no_restock"),
                "subtotalSet": money_bag(rli.get("subtotal"), currency),
                "totalTaxSet": money_bag(rli.get("total_tax"), currency),
                "priceSet": money_bag(line.get("price"), currency),
            }
        )
    transactions = refund.get("transactions") or []
    total = sum(
        (to_decimal(t.get("amount")) for t in transactions if t.get("kind") == "refund"), Decimal(0)
    )
    return {
        "__typename": "Refund",
        "id": gid("Refund", refund["id"]),
        "legacyResourceId": str(refund["id"]),
        "createdAt": iso_utc(refund.get("created_at")),
        "updatedAt": iso_utc(refund.get("processed_at") or refund.get("created_at")),
        "note": refund.get("note"),
        "totalRefundedSet": money_bag(total, currency),
        "order": order_node,
        "refundLineItems": connection(lines),
        "transactions": connection([transaction_view(t, currency) for t in transactions]),
    }


def return_view(
    store: SandboxStore, order: Json, record: Json, order_node: Callable[..., Json]
) -> Json:
    items = []
    for item in record.get("return_line_items") or []:
        line = store.find_fulfillment_line(order, str(item["fulfillment_line_item_id"]))
        full = store.order_for_line(order, str(line["id"])) if line else None
        items.append(
            {
                "id": gid("ReturnLineItem", item["id"]),
                "quantity": item["quantity"],
                "returnReason": item.get("return_reason") or "UNKNOWN",
                "returnReasonNote": item.get("return_reason_note") or "",
                "customerNote": item.get("customer_note"),
                "fulfillmentLineItem": {
                    "id": gid("FulfillmentLineItem", item["fulfillment_line_item_id"]),
                    "quantity": line["quantity"] if line else 0,
                    "lineItem": line_view(store, order, full) if full else None,
                },
            }
        )
    return {
        "__typename": "Return",
        "id": gid("Return", record["id"]),
        "name": record["name"],
        "status": record["status"],
        "createdAt": iso_utc(record.get("created_at")),
        "totalQuantity": sum(int(i["quantity"]) for i in items),
        "order": order_node,
        "returnLineItems": connection(items),
    }


def suggested_refund_view(store: SandboxStore, order: Json, quote: RefundQuote) -> Json:
    currency = order.get("currency") or "USD"
    sales = ledger.sale_transactions(order)
    remaining_shipping = ledger.shipping_total(order) - ledger.shipping_refunded(order)
    transactions = (
        [
            {
                "kind": "SUGGESTED_REFUND",
                "gateway": sales[0].get("gateway"),
                "amountSet": money_bag(quote.amount, currency),
                "maximumRefundableSet": money_bag(quote.maximum, currency),
                "parentTransaction": transaction_view(sales[0], currency),
            }
        ]
        if sales and quote.amount > 0
        else []
    )
    return {
        "amountSet": money_bag(quote.amount, currency),
        "subtotalSet": money_bag(quote.subtotal, currency),
        "discountedSubtotalSet": money_bag(quote.subtotal, currency),
        "totalTaxSet": money_bag(quote.tax, currency),
        "maximumRefundableSet": money_bag(quote.maximum, currency),
        "totalCartDiscountAmountSet": money_bag(0, currency),
        "refundLineItems": [
            {
                "lineItem": line_view(store, order, line),
                "quantity": quantity,
                "subtotalSet": money_bag(subtotal, currency),
                "totalTaxSet": money_bag(tax, currency),
            }
            for line, quantity, subtotal, tax in quote.lines
            if quantity
        ],
        "shipping": {
            "amountSet": money_bag(quote.shipping, currency),
            "maximumRefundableSet": money_bag(remaining_shipping, currency),
            "taxSet": money_bag(0, currency),
        },
        "suggestedTransactions": transactions,
    }
