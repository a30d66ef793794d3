"""What every tool returns: a status the agent branches on, a reason code and a sentence.

`ToolResult` is JSON-safe (`to_dict` / `from_dict`), so an idempotency store can keep it in a
database and the API can put it in `actions[]` as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The action's outcome, as the resolution API reports it."""

    DONE = "done"
    REFUSED = "refused"
    """A policy, ownership or state rule said no; nothing was changed."""
    FAILED = "failed"
    """The shop could not be reached or refused the call; the agent escalates."""


class Reason(StrEnum):
    """Why a tool refused. Stable codes: the agent, escalation packets and evals use them."""

    IDENTITY_REQUIRED = "identity_required"
    ORDER_NOT_FOUND = "order_not_found"
    NOT_OWNER = "not_owner"
    CUSTOMER_NOT_FOUND = "customer_not_found"
    FULFILLMENT_STATUS_NOT_ALLOWED = "fulfillment_status_not_allowed"
    ALREADY_CANCELLED = "already_cancelled"
    ORDER_CANCELLED = "order_cancelled"
    NOT_FULFILLED = "not_fulfilled"
    OUTSIDE_RETURN_WINDOW = "outside_return_window"
    FINAL_SALE = "final_sale"
    ALREADY_RETURNED = "already_returned"
    INVALID_ITEMS = "invalid_items"
    INVALID_ADDRESS = "invalid_address"
    NOT_PAID = "not_paid"
    ABOVE_AUTO_APPROVE_LIMIT = "above_auto_approve_limit"
    EXCEEDS_PAID = "exceeds_paid"
    ALREADY_REFUNDED = "already_refunded"
    NOTHING_TO_REFUND = "nothing_to_refund"
    PARTIAL_ORDER = "partial_order"
    """Only part of an order was asked for; cancellations take whole orders."""
    SHOP_REFUSED = "shop_refused"
    """Shopify's own validation (`userErrors`) said no."""


NOT_FOUND_SENTENCE = "I couldn't find an order with that number for your account."
"""Used for both `order_not_found` and `not_owner`, so a refusal never confirms an order exists."""


@dataclass(frozen=True)
class ToolResult:
    """One tool call's outcome."""

    tool: str
    """The action name (`cancel_order`, ...)."""
    status: Status
    detail: str
    """One sentence a human (or the composer) can say as is."""
    reason: str | None = None
    """`Reason` code when refused; the `ShopifyError.code` when failed."""
    data: dict[str, Any] = field(default_factory=dict)
    """JSON-safe facts: `order`, `orders`, `customer`, `refund`, `return`, `items`, ..."""
    replayed: bool = False
    """True when this is the stored result of an earlier call with the same idempotency key."""

    @property
    def ok(self) -> bool:
        return self.status is Status.DONE

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "status": self.status.value,
            "reason": self.reason,
            "detail": self.detail,
            "data": self.data,
            "replayed": self.replayed,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> ToolResult:
        return cls(
            tool=payload["tool"],
            status=Status(payload["status"]),
            detail=payload["detail"],
            reason=payload.get("reason"),
            data=dict(payload.get("data") or {}),
            replayed=bool(payload.get("replayed", False)),
        )

    def as_replay(self) -> ToolResult:
        return replace(self, replayed=True)


def done(tool: str, detail: str, **data: Any) -> ToolResult:
    return ToolResult(tool, Status.DONE, detail, None, data)


def refused(tool: str, reason: Reason, detail: str, **data: Any) -> ToolResult:
    return ToolResult(tool, Status.REFUSED, detail, reason.value, data)


def failed(tool: str, code: str, detail: str, **data: Any) -> ToolResult:
    return ToolResult(tool, Status.FAILED, detail, code, data)
