"""Write tools: `cancel_order`, `create_return`, `refund`, `update_shipping_address`.

Each write (1) replays the stored result for a known idempotency key, (2) fetches the order and
checks ownership, (3) checks the store's current state and policy, refusing with a `Reason`,
(4) calls the mutation, and (5) if the shop fails mid-write (5xx, timeout), re-reads the order to
see whether the change happened before trying again (see `tools.writes`), so nothing is done
twice.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from tools.identity import CustomerIdentity
from tools.inputs import RefundItem, ReturnItem, ShippingAddress
from tools.queries import ORDER_CANCEL, ORDER_UPDATE, REFUND_CREATE, RETURN_CREATE
from tools.refunds import RefundPlanner
from tools.results import Reason, ToolResult, done, refused
from tools.rules import cancel_refund_over_limit, return_eligibility, status_allowed
from tools.summaries import Json, nodes, summarize_order
from tools.writes import parent_transaction, refuse

logger = logging.getLogger(__name__)

RETURN_REASONS = {
    "COLOR",
    "DEFECTIVE",
    "NOT_AS_DESCRIBED",
    "OTHER",
    "SIZE_TOO_LARGE",
    "SIZE_TOO_SMALL",
    "STYLE",
    "UNKNOWN",
    "UNWANTED",
    "WRONG_ITEM",
}
CANCEL_REASONS = {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"}
_NO_RETURN_PRIORITY = [
    Reason.ORDER_CANCELLED,
    Reason.OUTSIDE_RETURN_WINDOW,
    Reason.NOT_FULFILLED,
    Reason.ALREADY_RETURNED,
    Reason.ALREADY_REFUNDED,
    Reason.FINAL_SALE,
]


class ShopifyTools(RefundPlanner):
    """Every order tool over one shop, one store policy and one idempotency store."""

    # ---- cancel_order --------------------------------------------------------------------
    def cancel_order(
        self,
        customer: CustomerIdentity,
        order: str,
        *,
        idempotency_key: str,
        reason: str = "CUSTOMER",
        refund: bool = True,
        restock: bool = True,
        notify_customer: bool = True,
    ) -> ToolResult:
        """Cancel an order in an allowed fulfillment status (`orderCancel`).

        With `refund` (default) Shopify returns the payment in full, as it does for any
        cancellation of an order that never shipped; `cancellations` in the policy governs it.
        """
        tool = "cancel_order"
        if reason.upper() not in CANCEL_REASONS:
            raise ValueError(f"unknown cancel reason {reason!r}")

        def run() -> ToolResult:
            raw = self.fetch_order(customer, order)
            if raw.get("cancelledAt"):
                return refuse(tool, Reason.ALREADY_CANCELLED, order=summarize_order(raw).to_json())
            if not status_allowed(raw, self.policy.cancellations.allowed_fulfillment_statuses):
                return refuse(
                    tool,
                    Reason.FULFILLMENT_STATUS_NOT_ALLOWED,
                    fulfillment_status=str(raw["displayFulfillmentStatus"]).lower(),
                )
            if refund and (over := self._refund_over_limit(raw)) is not None:
                return over
            outcome = self._write(
                tool,
                lambda: self.client.mutate(
                    ORDER_CANCEL,
                    {
                        "orderId": raw["id"],
                        "reason": reason.upper(),
                        "refund": refund,
                        "restock": restock,
                        "notifyCustomer": notify_customer,
                        "staffNote": "Cancelled at the customer's request (Threadline).",
                    },
                    "orderCancel",
                    errors_field="orderCancelUserErrors",
                ),
                lambda: bool(self.refetch(raw["id"]).get("cancelledAt")),
            )
            if isinstance(outcome, ToolResult):
                return outcome
            summary = summarize_order(self.refetch(raw["id"]))
            refunded = (
                f" and {summary.currency} {summary.refunded} refunded"
                if (Decimal(summary.refunded) > 0)
                else ""
            )
            return done(
                tool, f"Order {summary.name} is cancelled{refunded}.", order=summary.to_json()
            )

        return self._idempotent(tool, idempotency_key, customer, run)

    # ---- create_return -------------------------------------------------------------------
    def create_return(
        self,
        customer: CustomerIdentity,
        order: str,
        items: list[ReturnItem] | None = None,
        *,
        today: date,
        idempotency_key: str,
        reason: str = "UNKNOWN",
        note: str | None = None,
    ) -> ToolResult:
        """Open a return (`returnCreate`) for chosen lines, or every returnable line if None.

        Only fulfilled units inside `returns.window_days` of delivery (else of fulfillment) on
        `today`, and never items with a `returns.exclude_tags` tag.
        """
        tool = "create_return"
        if reason.upper() not in RETURN_REASONS:
            raise ValueError(f"unknown return reason {reason!r}")

        def run() -> ToolResult:
            raw = self.fetch_order(customer, order)
            eligibility = {e.line_item_id: e for e in return_eligibility(raw, self.policy, today)}
            report = [e.to_json() for e in eligibility.values()]
            wanted: list[tuple[str, int]]
            if items is None:
                wanted = [
                    (e.line_item_id, e.returnable_quantity)
                    for e in eligibility.values()
                    if e.returnable_quantity > 0
                ]
                if not wanted:
                    reasons = {e.reason for e in eligibility.values()}
                    first = next(
                        (r for r in _NO_RETURN_PRIORITY if r in reasons), Reason.INVALID_ITEMS
                    )
                    return refuse(tool, first, items=report)
            else:
                merged: dict[str, int] = {}
                for item in items:  # the same line named twice is one request
                    merged[item.line_item_id] = merged.get(item.line_item_id, 0) + item.quantity
                wanted = list(merged.items())
            lines: list[Json] = []
            for line_id, quantity in wanted:
                line = eligibility.get(line_id)
                if line is None or quantity < 1:
                    return refuse(tool, Reason.INVALID_ITEMS, items=report)
                if line.reason is not None:
                    return refuse(tool, line.reason, items=report)
                if quantity > line.returnable_quantity:
                    return refused(
                        tool,
                        Reason.INVALID_ITEMS,
                        f"Only {line.returnable_quantity} of {line.name} can be returned.",
                        items=report,
                    )
                for unit in line.units:
                    take = min(unit.available, quantity)
                    if take:
                        lines.append(
                            {
                                "fulfillmentLineItemId": unit.fulfillment_line_item_id,
                                "quantity": take,
                                "returnReason": reason.upper(),
                                "returnReasonNote": note or "",
                            }
                        )
                    quantity -= take
            before = len(nodes(raw.get("returns")))
            outcome = self._write(
                tool,
                lambda: self.client.mutate(
                    RETURN_CREATE,
                    {
                        "returnInput": {
                            "orderId": raw["id"],
                            "returnLineItems": lines,
                            "notifyCustomer": True,
                        }
                    },
                    "returnCreate",
                ),
                lambda: len(nodes(self.refetch(raw["id"]).get("returns"))) > before,
            )
            if isinstance(outcome, ToolResult):
                return outcome
            summary = summarize_order(self.refetch(raw["id"]))
            record = outcome.get("return") or (summary.returns[-1] if summary.returns else {})
            label = f"Return {record['name']}" if record.get("name") else "A return"
            return done(
                tool,
                f"{label} is open for order {summary.name}.",
                order=summary.to_json(),
                items=report,
                returned=[{"line_item_id": i, "quantity": q} for i, q in wanted],
                **{
                    "return": {
                        "id": record.get("id"),
                        "name": record.get("name"),
                        "status": str(record.get("status", "open")).lower(),
                    }
                },
            )

        return self._idempotent(tool, idempotency_key, customer, run)

    # ---- refund ----------------------------------------------------------------------------
    def refund(
        self,
        customer: CustomerIdentity,
        order: str,
        items: list[RefundItem] | None = None,
        *,
        idempotency_key: str,
        amount: Decimal | str | None = None,
        refund_shipping: bool = False,
        note: str | None = None,
    ) -> ToolResult:
        """Refund lines (or every unrefunded line, or a set `amount`) after a `suggestedRefund`.

        Never above `refunds.auto_approve_limit` (refused for a human), never more than was
        paid, never a line twice.
        """
        tool = "refund"
        wanted_amount = Decimal(str(amount)) if amount is not None else None

        def run() -> ToolResult:
            plan = self._plan_refund(customer, order, items, wanted_amount, refund_shipping)
            if isinstance(plan, ToolResult):
                return plan
            raw, refund_lines, preview, total = plan.order, plan.lines, plan.preview, plan.total
            chosen, facts = plan.chosen, plan.facts
            parent = parent_transaction(raw, preview)
            refund_input: Json = {
                "orderId": raw["id"],
                "note": note or "Refund issued by Threadline",
                "notify": True,
                "refundLineItems": refund_lines,
                "transactions": [
                    {
                        "orderId": raw["id"],
                        "parentId": parent.get("id"),
                        "gateway": parent.get("gateway") or "manual",
                        "amount": f"{total:.2f}",
                        "kind": "REFUND",
                    }
                ],
            }
            if refund_shipping:
                refund_input["shipping"] = {"fullRefund": True}
            before = len(nodes(raw.get("refunds")))
            outcome = self._write(
                tool,
                lambda: self.client.mutate(REFUND_CREATE, {"input": refund_input}, "refundCreate"),
                lambda: len(nodes(self.refetch(raw["id"]).get("refunds"))) > before,
            )
            if isinstance(outcome, ToolResult):
                return outcome
            summary = summarize_order(self.refetch(raw["id"]))
            return done(
                tool,
                f"Refunded {summary.currency} {total:.2f} on order {summary.name}.",
                order=summary.to_json(),
                refund={
                    **facts,
                    "id": (outcome.get("refund") or {}).get("id"),
                    "line_items": [{"line_item_id": i, "quantity": q} for i, q in chosen],
                },
            )

        return self._idempotent(tool, idempotency_key, customer, run)

    def _refund_over_limit(self, raw: Json) -> ToolResult | None:
        """A cancellation's refund above the automatic limit, when the policy hands it over."""
        summary = summarize_order(raw).to_json()
        over = cancel_refund_over_limit(summary, self.policy)
        if over is None:
            return None
        amount, limit = over
        return refuse(
            "cancel_order",
            Reason.ABOVE_AUTO_APPROVE_LIMIT,
            amount=f"{amount:.2f}",
            limit=f"{limit:.2f}",
            currency=summary["currency"],
            order=summary,
        )

    # ---- update_shipping_address -----------------------------------------------------------
    def update_shipping_address(
        self,
        customer: CustomerIdentity,
        order: str,
        address: ShippingAddress,
        *,
        idempotency_key: str,
    ) -> ToolResult:
        """Change where an order ships (`orderUpdate`) while its status allows it."""
        tool = "update_shipping_address"

        def run() -> ToolResult:
            if not address.complete:
                return refuse(tool, Reason.INVALID_ADDRESS)
            raw = self.fetch_order(customer, order)
            if raw.get("cancelledAt"):
                return refuse(tool, Reason.ORDER_CANCELLED)
            if not status_allowed(raw, self.policy.address_changes.allowed_fulfillment_statuses):
                return refuse(
                    tool,
                    Reason.FULFILLMENT_STATUS_NOT_ALLOWED,
                    fulfillment_status=str(raw["displayFulfillmentStatus"]).lower(),
                )
            address_input = address.filled_from(raw.get("shippingAddress") or {}).to_input()
            if address.matches(raw.get("shippingAddress") or {}):
                return done(
                    tool,
                    f"Order {raw['name']} already ships to that address.",
                    order=summarize_order(raw).to_json(),
                    changed=False,
                )
            outcome = self._write(
                tool,
                lambda: self.client.mutate(
                    ORDER_UPDATE,
                    {"input": {"id": raw["id"], "shippingAddress": address_input}},
                    "orderUpdate",
                ),
                lambda: address.matches(self.refetch(raw["id"]).get("shippingAddress") or {}),
            )
            if isinstance(outcome, ToolResult):
                return outcome
            summary = summarize_order(self.refetch(raw["id"]))
            return done(
                tool,
                f"Order {summary.name} will now ship to {', '.join(summary.shipping_address)}.",
                order=summary.to_json(),
                changed=True,
            )

        return self._idempotent(tool, idempotency_key, customer, run)
