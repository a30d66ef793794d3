"""The explicit yes: run the proposed cancel, return or refund, once (idempotency key)."""

from __future__ import annotations

from typing import Any

from agent.nodes.turn import Turn
from agent.proof import customer_identity
from tools.inputs import RefundItem, ReturnItem
from tools.results import Status


def execute_pending(turn: Turn) -> dict[str, Any]:
    pending = turn.state["pending_action"]
    assert pending is not None
    identity = customer_identity(turn.identity)
    args = dict(pending["args"])
    key = f"{turn.state['customer_id']}:{pending['id']}"
    tools = turn.tools
    order = args["order"]
    if pending["tool"] == "cancel_order":
        result = turn.call(
            "cancel_order", args, lambda: tools.cancel_order(identity, order, idempotency_key=key)
        )
    elif pending["tool"] == "create_return":
        items = [ReturnItem(i["line_item_id"], int(i["quantity"])) for i in args.get("items", [])]
        result = turn.call(
            "create_return",
            args,
            lambda: tools.create_return(
                identity,
                order,
                items or None,
                today=turn.services.today(),
                idempotency_key=key,
                reason=args.get("reason", "UNKNOWN"),
            ),
        )
    else:
        refund_items = [
            RefundItem(i["line_item_id"], int(i["quantity"])) for i in args.get("items", [])
        ]
        result = turn.call(
            "refund",
            args,
            lambda: tools.refund(identity, order, refund_items or None, idempotency_key=key),
        )
    turn.update["pending_action"] = None
    if result.status is Status.FAILED:
        return turn.failure(result)
    if result.status is Status.REFUSED:
        if result.reason == "above_auto_approve_limit":
            turn.explain(str(result.reason), result.tool, facts=result.data)
            return turn.escalate("refund_above_limit", "The refund is above the automatic limit.")
        return turn.refuse(
            "action_refused",
            str(result.reason),
            result.tool,
            facts=result.data,
            tool_result=result.to_dict(),
        )
    if order_data := result.data.get("order"):
        turn.remember_order(order_data)
    turn.update["open_issue"] = None
    return turn.situation(f"{pending['tool']}_done", tool_result=result.to_dict())
