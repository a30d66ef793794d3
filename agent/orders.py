"""Order helpers for the act node: which order a message is about, and what may be offered."""

from __future__ import annotations

import re
from typing import Any

OPEN_INTENTS = frozenset({"track_order", "cancel_order", "change_address"})
DELIVERED_INTENTS = frozenset({"return_item", "exchange_item", "damaged_item", "refund_request"})
_OPEN_STATUSES = {"unfulfilled", "partially_fulfilled", "in_progress", "on_hold", "scheduled"}


def normalise_status(status: str) -> str:
    return re.sub(r"[\s\-]+", "_", status.strip().lower())


def is_open(order: dict[str, Any]) -> bool:
    """Not cancelled, and not yet fully delivered."""
    if order.get("cancelled"):
        return False
    if normalise_status(order.get("fulfillment_status", "")) in _OPEN_STATUSES:
        return True
    tracking = order.get("tracking") or {}
    return bool(tracking) and tracking.get("status") != "delivered"


def is_delivered(order: dict[str, Any]) -> bool:
    tracking = order.get("tracking") or {}
    return not order.get("cancelled") and tracking.get("status") == "delivered"


def candidates(orders: list[dict[str, Any]], intent: str) -> list[dict[str, Any]]:
    """The orders a message with `intent` is likely about, newest first."""
    if intent in OPEN_INTENTS:
        return [o for o in orders if is_open(o)]
    if intent in DELIVERED_INTENTS:
        return [o for o in orders if is_delivered(o)]
    return [o for o in orders if not o.get("cancelled")]


def mentioned_lines(
    lines: list[dict[str, Any]], items: list[str], text: str
) -> list[dict[str, Any]]:
    """Lines the customer named (by catalogue match or a word of the line's title)."""
    wanted = [item.lower() for item in items]
    lowered = text.lower()
    chosen = []
    for line in lines:
        name = str(line.get("name", "")).lower()
        title = name.split(" - ")[0]
        words = [w for w in re.findall(r"[a-z]{4,}", title)]
        if any(w in name or name in w for w in wanted) or any(
            re.search(rf"\b{re.escape(word)}s?\b", lowered) for word in words
        ):
            chosen.append(line)
    return chosen


def fulfillment_allowed(order: dict[str, Any], allowed: list[str]) -> bool:
    return normalise_status(order.get("fulfillment_status", "")) in {
        normalise_status(status) for status in allowed
    }


def describe_lines(lines: list[dict[str, Any]]) -> str:
    names = [f"{line.get('quantity', 1)} x {line.get('name')}" for line in lines]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
