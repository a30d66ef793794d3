"""One τ² order as a Shopify REST order: lines, shipment, payment, and a cancellation's refund.

Status mapping and ids are described in `evals.tau.fixtures`. τ² orders carry no tax and no
shipping charge, so the total is the sum of the lines, paid once by the order's payment method.
"""

from __future__ import annotations

from decimal import Decimal

from evals.tau.dataset import Json, TauRetail
from evals.tau.fixtures import (
    CURRENCY,
    FULFILLMENT_ID_BASE,
    GATEWAYS,
    LINE_ID_BASE,
    ORDER_ID_BASE,
    STATUS_TAGS,
    OrderTimes,
    address,
    all_order_times,
    customer_ids,
    money,
    order_digits,
    stamp,
)


def _line_items(order: Json, digits: int, shipped: bool) -> list[Json]:
    """One line per τ² item (τ² lists a repeated item twice, so does the order)."""
    lines = []
    for position, item in enumerate(order["items"], 1):
        variant_title = " / ".join(str(v) for v in item["options"].values())
        lines.append(
            {
                "id": LINE_ID_BASE + digits * 100 + position,
                "product_id": int(item["product_id"]),
                "variant_id": int(item["item_id"]),
                "title": item["name"],
                "variant_title": variant_title,
                "name": f"{item['name']} - {variant_title}",
                "sku": item["item_id"],
                "vendor": "Tau Retail",
                "quantity": 1,
                "fulfillable_quantity": 0 if shipped else 1,
                "fulfillment_status": "fulfilled" if shipped else None,
                "price": money(item["price"]),
                "total_discount": "0.00",
                "requires_shipping": True,
                "taxable": True,
                "gift_card": False,
                "tax_lines": [],
            }
        )
    return lines


def _fulfillments(
    order: Json, lines: list[Json], digits: int, times: OrderTimes, name: str
) -> list[Json]:
    """τ²'s shipments with their tracking numbers; each lists the lines it carried."""
    if times.shipped is None:
        return []
    delivered = times.delivered is not None
    records = []
    unused = list(lines)
    for position, shipment in enumerate(order.get("fulfillments") or [], 1):
        carried = []
        for item_id in shipment.get("item_ids") or []:
            line = next((li for li in unused if li["sku"] == item_id), None)
            if line is not None:
                unused.remove(line)
                carried.append(
                    {k: line[k] for k in ("id", "variant_id", "product_id", "name", "sku", "price")}
                    | {"quantity": line["quantity"]}
                )
        numbers = [str(n) for n in shipment.get("tracking_id") or []]
        records.append(
            {
                "id": FULFILLMENT_ID_BASE + digits * 10 + position,
                "name": f"{name}.{position}",
                "status": "success",
                "created_at": stamp(times.shipped),
                "updated_at": stamp(times.delivered or times.shipped),
                "shipment_status": "delivered" if delivered else "in_transit",
                "tracking_company": None,
                "tracking_number": numbers[0] if numbers else None,
                "tracking_numbers": numbers,
                "tracking_url": None,
                "tracking_urls": [],
                "line_items": carried,
            }
        )
    return records


def _payment_method(user: Json, method_id: str) -> Json:
    return dict((user.get("payment_methods") or {}).get(method_id) or {"source": "credit_card"})


def _transaction(kind: str, amount: str, method: Json, when: str) -> Json:
    """A sale or refund; a card's brand and last digits are kept as REST `payment_details`."""
    source = str(method.get("source") or "credit_card")
    record: Json = {
        "kind": kind,
        "status": "success",
        "amount": amount,
        "gateway": GATEWAYS.get(source, source),
        "created_at": when,
        "currency": CURRENCY,
    }
    if source == "credit_card":
        record["payment_details"] = {
            "credit_card_company": str(method.get("brand") or "card").title(),
            "credit_card_number": f"•••• •••• •••• {method.get('last_four') or '0000'}",
        }
    return record


def _cancellation_refund(lines: list[Json], total: str, method: Json, when: str) -> Json:
    return {
        "created_at": when,
        "processed_at": when,
        "note": "Order cancelled",
        "refund_line_items": [
            {"line_item_id": li["id"], "quantity": li["quantity"], "restock_type": "cancel"}
            for li in lines
        ],
        "transactions": [_transaction("refund", total, method, when)],
        "order_adjustments": [],
    }


def order_record(data: TauRetail, order: Json, times: OrderTimes, customer_id: int) -> Json:
    """The REST order for one τ² order."""
    name = str(order["order_id"])
    digits = order_digits(name)
    user = data.users[order["user_id"]]
    first, last = user["name"]["first_name"], user["name"]["last_name"]
    status = str(order["status"])
    shipped = times.shipped is not None
    lines = _line_items(order, digits, shipped)
    total = money(sum((Decimal(li["price"]) for li in lines), Decimal(0)))
    payments = [p for p in order["payment_history"] if p["transaction_type"] == "payment"]
    method = _payment_method(user, payments[0]["payment_method_id"] if payments else "")
    placed, last_change = stamp(times.placed), stamp(times.last)
    cancelled = stamp(times.cancelled) if times.cancelled else None
    ship_to = address(order["address"], first, last)
    return {
        "id": ORDER_ID_BASE + digits,
        "name": name,
        "order_number": digits,
        "email": user["email"],
        "phone": None,
        "created_at": placed,
        "processed_at": placed,
        "updated_at": last_change,
        "closed_at": cancelled,
        "cancelled_at": cancelled,
        "cancel_reason": "customer" if cancelled else None,
        "currency": CURRENCY,
        "presentment_currency": CURRENCY,
        "financial_status": "refunded" if cancelled else "paid",
        "fulfillment_status": "fulfilled" if shipped else None,
        "confirmed": True,
        "test": False,
        "gateway": GATEWAYS.get(str(method.get("source")), "manual"),
        "payment_gateway_names": [GATEWAYS.get(str(method.get("source")), "manual")],
        "subtotal_price": total,
        "total_line_items_price": total,
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "total_price": total,
        "taxes_included": False,
        "tags": STATUS_TAGS.get(status, ""),
        "note": None,
        "source_name": "web",
        "customer": {
            "id": customer_id,
            "email": user["email"],
            "first_name": first,
            "last_name": last,
        },
        "shipping_address": ship_to,
        "billing_address": address(user["address"], first, last),
        "shipping_lines": [{"title": "Standard shipping", "code": "STANDARD", "price": "0.00"}],
        "line_items": lines,
        "fulfillments": _fulfillments(order, lines, digits, times, name),
        "refunds": [_cancellation_refund(lines, total, method, cancelled)] if cancelled else [],
        "transactions": [_transaction("sale", total, method, placed)],
    }


def orders(data: TauRetail) -> list[Json]:
    """Every τ² order, in the database's order."""
    times = all_order_times(data)
    ids = customer_ids(data)
    return [
        order_record(data, order, times[order_id], ids[order["user_id"]])
        for order_id, order in data.orders.items()
    ]
