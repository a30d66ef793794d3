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


_PART_CUE = (
    r"(?:just|only|remove|drop|without|take off|take out)\s+"
    r"(?:the\s+|that\s+|this\s+|my\s+|one\s+)?"
)
_SOME_ITEM = re.compile(
    rf"\b{_PART_CUE}(?:item|thing|piece|product|line)\b|\bone of the (?:items|things)\b"
    r"|\bpart of (?:the|my|this|that) order\b",
    re.IGNORECASE,
)


def part_asked_for(lines: list[dict[str, Any]], text: str) -> str | None:
    """The part of a multi-item order a request is limited to ('cancel just the headlamp',
    'remove that item'), described; None when it is about the whole order.

    Naming an item is not enough ('cancel the order with the tent' picks the order): the item
    must follow a word that singles it out.
    """
    if len(lines) < 2:
        return None
    lowered = text.lower()
    named = []
    for line in lines:
        title = str(line.get("name", "")).lower().split(" - ")[0]
        words = re.findall(r"[a-z]{4,}", title)
        if any(re.search(rf"\b{_PART_CUE}(?:[a-z-]+\s+){{0,2}}{w}s?\b", lowered) for w in words):
            named.append(line)
    if named and len(named) < len(lines):
        return " and ".join(f"the {line.get('name')}" for line in named)
    return "one of its items" if _SOME_ITEM.search(text) else None
