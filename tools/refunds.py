"""Refund planning shared by `refund` and `preview_refund`: every check, then Shopify's quote.

A plan is what `refundCreate` would be sent: the lines, the `suggestedRefund` preview and the
amount, after ownership, payment state, already-refunded lines, what was paid and the store's
auto-approve limit were checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tools.identity import CustomerIdentity
from tools.inputs import RefundItem
from tools.queries import SUGGESTED_REFUND
from tools.results import Reason, ToolResult, done
from tools.summaries import Json, nodes
from tools.summaries import amount as money_amount
from tools.writes import GuardedWriter, amount_of, refuse

_UNPAID = {"pending", "authorized", "voided", "expired"}


@dataclass(frozen=True)
class RefundPlan:
    """A refund that passed every check, ready for `refundCreate`."""

    order: Json
    chosen: list[tuple[str, int]]
    """(line item id, quantity) refunded."""
    lines: list[Json]
    """`RefundLineItemInput`s."""
    preview: Json
    """Shopify's `suggestedRefund` for those lines."""
    total: Decimal
    facts: dict[str, Any]
    """`amount`, `currency`, `refundable` as strings, for results."""


class RefundPlanner(GuardedWriter):
    """Adds refund planning and the read-only `preview_refund` tool."""

    def _plan_refund(
        self,
        customer: CustomerIdentity,
        order: str,
        items: list[RefundItem] | None,
        wanted_amount: Decimal | None,
        refund_shipping: bool,
    ) -> RefundPlan | ToolResult:
        tool = "refund"
        raw = self.fetch_order(customer, order)
        if str(raw.get("displayFinancialStatus") or "").lower() in _UNPAID:
            return refuse(tool, Reason.NOT_PAID)
        remaining = amount_of(raw, "totalReceivedSet") - amount_of(raw, "totalRefundedSet")
        if remaining <= 0:
            return refuse(tool, Reason.ALREADY_REFUNDED)
        lines = {line["id"]: line for line in nodes(raw.get("lineItems"))}
        chosen: list[tuple[str, int]] = []
        if items is not None:
            for item in items:
                line = lines.get(item.line_item_id)
                if line is None or item.quantity < 1:
                    return refuse(tool, Reason.INVALID_ITEMS)
                if item.quantity > int(line.get("refundableQuantity") or 0):
                    return refuse(tool, Reason.ALREADY_REFUNDED, line_item_id=line["id"])
                chosen.append((line["id"], item.quantity))
        elif wanted_amount is None:
            chosen = [
                (i, int(li["refundableQuantity"]))
                for i, li in lines.items()
                if int(li.get("refundableQuantity") or 0) > 0
            ]
            if not chosen and not refund_shipping:
                return refuse(tool, Reason.ALREADY_REFUNDED)
        refund_lines = [
            {"lineItemId": i, "quantity": q, "restockType": "NO_RESTOCK"} for i, q in chosen
        ]
        preview = self.client.execute(
            SUGGESTED_REFUND, {"id": raw["id"], "lines": refund_lines, "shipping": refund_shipping}
        )["order"]["suggestedRefund"]
        quoted = {
            q["lineItem"]["id"]: int(q.get("quantity") or 0) for q in preview["refundLineItems"]
        }
        for line_id, quantity in chosen:
            if quoted.get(line_id, 0) < quantity:  # refunded meanwhile, by another request
                return refuse(tool, Reason.ALREADY_REFUNDED, line_item_id=line_id)
        maximum = money_amount(preview["maximumRefundableSet"])
        uncapped = (
            money_amount(preview["subtotalSet"])
            + money_amount(preview["totalTaxSet"])
            + money_amount(preview["shipping"]["amountSet"])
        )
        total = wanted_amount if wanted_amount is not None else money_amount(preview["amountSet"])
        facts = {
            "amount": f"{total:.2f}",
            "currency": raw.get("currencyCode"),
            "refundable": f"{maximum:.2f}",
        }
        if total > maximum or (wanted_amount is None and uncapped > maximum):
            return refuse(tool, Reason.EXCEEDS_PAID, **facts)
        if total <= 0:
            return refuse(tool, Reason.NOTHING_TO_REFUND, **facts)
        limit = Decimal(str(self.policy.refunds.auto_approve_limit))
        if total > limit:
            return refuse(tool, Reason.ABOVE_AUTO_APPROVE_LIMIT, limit=f"{limit:.2f}", **facts)
        return RefundPlan(raw, chosen, refund_lines, preview, total, facts)

    def preview_refund(
        self,
        customer: CustomerIdentity,
        order: str,
        items: list[RefundItem] | None = None,
        *,
        amount: Decimal | str | None = None,
        refund_shipping: bool = False,
    ) -> ToolResult:
        """What `refund` would do with the same arguments, changing nothing.

        `done` (tool `refund`, `data.preview` true) with `amount`, `currency`, `refundable`,
        `limit` and `line_items`, or the refusal `refund` would give.
        """
        wanted = Decimal(str(amount)) if amount is not None else None

        def run() -> ToolResult:
            plan = self._plan_refund(customer, order, items, wanted, refund_shipping)
            if isinstance(plan, ToolResult):
                return plan
            limit = Decimal(str(self.policy.refunds.auto_approve_limit))
            return done(
                "refund",
                f"A refund of {plan.facts['currency']} {plan.facts['amount']} on order "
                f"{plan.order['name']} is within policy.",
                preview=True,
                limit=f"{limit:.2f}",
                line_items=[{"line_item_id": i, "quantity": q} for i, q in plan.chosen],
                **plan.facts,
            )

        return self._guard("refund", customer, run)
