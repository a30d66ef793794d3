"""Proposals: which lines a return or refund would cover, or why none can be offered."""

from __future__ import annotations

from typing import Any

from agent.nodes.turn import Turn
from agent.orders import (
    describe_lines,
    mentioned_lines,
)
from tools.inputs import RefundItem
from tools.results import Reason, Status
from tools.rules import REFUSAL_SENTENCES


def propose_return(
    turn: Turn, order: dict[str, Any], eligibility: list[dict[str, Any]]
) -> dict[str, Any]:
    returnable = [e for e in eligibility if int(e.get("returnable_quantity", 0)) > 0]
    named = mentioned_lines(
        [{**e, "name": e.get("name", "")} for e in eligibility],
        turn.entities.get("items") or [],
        turn.state["message"]["text"],
    )
    if named:
        blocked = [e for e in named if int(e.get("returnable_quantity", 0)) == 0]
        if blocked and len(blocked) == len(named):
            return refuse_return(turn, blocked, eligibility)
        returnable = [e for e in named if int(e.get("returnable_quantity", 0)) > 0]
    if not returnable:
        return refuse_return(turn, eligibility, eligibility)
    items = [
        {"line_item_id": e["line_item_id"], "quantity": int(e["returnable_quantity"])}
        for e in returnable
    ]
    lines = [{"name": e.get("name"), "quantity": e["returnable_quantity"]} for e in returnable]
    reason = "DEFECTIVE" if turn.intent == "damaged_item" else "UNKNOWN"
    summary = f"start a return for {describe_lines(lines)} from order {order['name']}"
    return turn.propose(
        "create_return", {"order": order["name"], "items": items, "reason": reason}, summary
    )


RETURN_REASONS = (
    "final_sale",
    "outside_return_window",
    "already_returned",
    "already_refunded",
    "order_cancelled",
    "not_fulfilled",
)
"""Why lines can't be returned, most telling first: the reply explains the first that applies."""


def refuse_return(
    turn: Turn, blocked: list[dict[str, Any]], eligibility: list[dict[str, Any]]
) -> dict[str, Any]:
    reasons = {str(line.get("reason")) for line in blocked}
    reason = next((r for r in RETURN_REASONS if r in reasons), "not_fulfilled")
    lines = [line for line in blocked if str(line.get("reason")) == reason]
    turn.update["actions"].append(
        {
            "tool": "create_return",
            "args": {"order": (turn.update.get("order") or {}).get("name")},
            "status": "refused",
            "detail": REFUSAL_SENTENCES[Reason(reason)],
            "reason": reason,
        }
    )
    return turn.refuse(
        "return_not_allowed",
        reason,
        "create_return",
        lines=lines,
        blocked=blocked,
        eligibility=eligibility,
    )


def propose_refund(
    turn: Turn, order: dict[str, Any], eligibility: list[dict[str, Any]]
) -> dict[str, Any]:
    lines = [line for line in order.get("lines", []) if int(line.get("refundable_quantity", 0)) > 0]
    named = mentioned_lines(lines, turn.entities.get("items") or [], turn.state["message"]["text"])
    if not named and turn.intent == "damaged_item":
        issue_item = str(dict(turn.state.get("open_issue") or {}).get("item") or "")
        if issue_item:
            named = mentioned_lines(lines, [issue_item], issue_item)
    chosen = named or lines
    if turn.intent == "damaged_item" and len(chosen) > 1 and not named:
        return turn.situation("ask_which_item", ask="item")
    if not chosen:
        turn.update["actions"].append(
            {
                "tool": "refund",
                "args": {"order": order["name"]},
                "status": "refused",
                "detail": "Everything on this order has already been refunded.",
                "reason": "already_refunded",
            }
        )
        return turn.refuse("nothing_to_refund", "already_refunded", "refund")
    items = [
        {"line_item_id": line["id"], "quantity": int(line["refundable_quantity"])}
        for line in chosen
    ]
    identity = turn.identity_for(order["name"])
    preview = turn.call(
        "refund",
        {"order": order["name"], "items": items, "preview": True},
        lambda: turn.tools.preview_refund(
            identity, order["name"], [RefundItem(i["line_item_id"], i["quantity"]) for i in items]
        ),
    )
    if preview.status is Status.FAILED:
        return turn.failure(preview)
    if preview.status is Status.REFUSED:
        if preview.reason == "above_auto_approve_limit":
            turn.explain(str(preview.reason), "refund", facts=preview.data)
            return turn.escalate(
                "refund_above_limit",
                f"A refund of {preview.data.get('currency', '')} {preview.data.get('amount')} on "
                f"order {order['name']} is above the automatic limit of "
                f"{preview.data.get('limit')}.",
            )
        return turn.refuse(
            "action_refused",
            str(preview.reason),
            "refund",
            facts=preview.data,
            tool_result=preview.to_dict(),
        )
    turn.update["actions"] = [a for a in turn.update["actions"] if not a["args"].get("preview")]
    amount = f"{preview.data.get('currency', order['currency'])} {preview.data['amount']}"
    summary = f"refund {amount} for {describe_lines(chosen)} on order {order['name']}"
    return turn.propose(
        "refund",
        {"order": order["name"], "items": items, "amount": preview.data["amount"]},
        summary,
    )
