"""Sandbox refunds: what a refund would return (`suggestedRefund`) and the REST record it leaves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tools.sandbox import ledger
from tools.sandbox.values import Json, money_str


@dataclass
class RefundQuote:
    """The result of `Order.suggestedRefund`, in shop money."""

    lines: list[tuple[Json, int, Decimal, Decimal]]  # (line, quantity, subtotal, tax)
    subtotal: Decimal
    tax: Decimal
    shipping: Decimal
    amount: Decimal
    maximum: Decimal


def quote_refund(
    order: Json,
    lines: list[tuple[Json, int]],
    refund_shipping: bool,
    shipping_amount: Decimal | None,
) -> RefundQuote:
    """What refunding these quantities would return, capped at what is still refundable."""
    quoted, subtotal, tax = [], Decimal(0), Decimal(0)
    for line, quantity in lines:
        quantity = min(quantity, ledger.refundable_quantity(order, line))
        units = int(line.get("quantity") or 1)
        line_subtotal = Decimal(money_str(ledger.line_discounted_total(line) * quantity / units))
        line_tax = Decimal(money_str(ledger.line_tax(line) * quantity / units))
        quoted.append((line, quantity, line_subtotal, line_tax))
        subtotal += line_subtotal
        tax += line_tax
    remaining_shipping = ledger.shipping_total(order) - ledger.shipping_refunded(order)
    shipping = Decimal(0)
    if refund_shipping:
        shipping = remaining_shipping
    elif shipping_amount is not None:
        shipping = min(shipping_amount, remaining_shipping)
    maximum = ledger.total_received(order) - ledger.total_refunded(order)
    amount = min(subtotal + tax + shipping, maximum)
    return RefundQuote(quoted, subtotal, tax, shipping, amount, maximum)


def build_refund(
    new_id: Callable[[], int],
    now: str,
    order: Json,
    quote: RefundQuote,
    note: str | None,
    restock: str,
    transactions: list[Json],
) -> Json:
    """Append a REST refund (lines, shipping adjustment, transactions) and update the status."""
    refund: Json = {
        "id": new_id(),
        "order_id": order["id"],
        "created_at": now,
        "processed_at": now,
        "note": note,
        "restock": restock != "NO_RESTOCK",
        "refund_line_items": [
            {
                "id": new_id(),
                "line_item_id": line["id"],
                "quantity": quantity,
                "restock_type": restock.lower(),
                "subtotal": money_str(subtotal),
                "total_tax": money_str(tax),
            }
            for line, quantity, subtotal, tax in quote.lines
            if quantity
        ],
        "order_adjustments": (
            [
                {
                    "id": new_id(),
                    "kind": "shipping_refund",
                    "amount": money_str(-quote.shipping),
                    "reason": "Shipping refund",
                }
            ]
            if quote.shipping
            else []
        ),
        "transactions": [
            {
                "id": new_id(),
                "order_id": order["id"],
                "kind": "refund",
                "status": "success",
                "gateway": t.get("gateway"),
                "parent_id": t.get("parent_id"),
                "amount": money_str(t["amount"]),
                "created_at": now,
            }
            for t in transactions
            if t["amount"] > 0
        ],
    }
    order.setdefault("refunds", []).append(refund)
    refunded, received = ledger.total_refunded(order), ledger.total_received(order)
    if refunded > 0:
        order["financial_status"] = "refunded" if refunded >= received else "partially_refunded"
    order["updated_at"] = now
    return refund
