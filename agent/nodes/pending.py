"""The explicit yes: run the proposed cancel, return or refund, once (idempotency key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from agent.nodes.turn import Turn
from agent.proof import customer_identity, link_proven
from agent.state import CodeProof
from agent.verification import CodeCheck, check_code, find_code
from tools.inputs import RefundItem, ReturnItem, ShippingAddress
from tools.results import Status


def execute_pending(turn: Turn) -> dict[str, Any]:
    pending = turn.state["pending_action"]
    assert pending is not None
    proof = pending.get("proof")
    if proof and (unproven := _check_code(turn, proof)) is not None:
        return unproven
    grant = pending.get("grant") or {}
    identity = customer_identity(
        turn.identity,
        extra_emails=grant.get("emails") or [],
        extra_phones=grant.get("phones") or [],
    )
    args = dict(pending["args"])
    key = f"{turn.state['customer_id']}:{pending['id']}"
    tools = turn.tools
    order = args["order"]
    if pending["tool"] == "update_shipping_address":
        address = ShippingAddress(**args["address"])
        result = turn.call(
            "update_shipping_address",
            args,
            lambda: tools.update_shipping_address(identity, order, address, idempotency_key=key),
        )
    elif pending["tool"] == "cancel_order":
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
    if result.status is Status.REFUSED and result.reason == "already_cancelled":
        # The order is cancelled: by this yes before a crash cut the turn short, or by someone
        # else meanwhile. Either way the customer gets the fact, with its time.
        cancelled = result.data.get("order") or {}
        if cancelled:
            turn.remember_order(cancelled)
        turn.update["open_issue"] = None
        when = _moment(cancelled.get("cancelled_at"))
        detail = f"Order {order} was cancelled{f' on {when}' if when else ''}."
        return turn.situation(
            "cancel_order_done", tool_result={**result.to_dict(), "detail": detail}
        )
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


def _check_code(turn: Turn, proof: CodeProof) -> dict[str, Any] | None:
    """None when the message carries the right code (the identifier is then proven and linked);
    otherwise the reply that asks for it, counts a wrong try, or drops an expired proposal."""
    message = turn.state["message"]
    code = find_code(message["text"])
    if code is None:
        return turn.situation("code_needed", ask="confirm", code=dict(proof))
    services = turn.services
    result = check_code(services.engine, proof["code_id"], code, channel=message["channel"])
    turn.runtime.context.trace.note("verification_code", {"outcome": result.outcome.value})
    if result.outcome is CodeCheck.WRONG:
        return turn.situation(
            "code_wrong", ask="confirm", code={**proof, "attempts_left": result.attempts_left}
        )
    if result.outcome is not CodeCheck.CORRECT:
        turn.update["pending_action"] = None
        return turn.situation("code_expired", code={**proof, "outcome": result.outcome.value})
    with Session(services.engine, expire_on_commit=False) as session:
        identity = link_proven(
            session,
            turn.identity["customer_id"],
            result.kind,
            result.value,
            channel=message["channel"],
            source="code",
            events=services.events,
        )
    turn.identity = identity
    turn.update["identity"] = identity
    turn.runtime.context.trace.note("identity_proven", [result.kind])
    return None


def _moment(value: Any) -> str:
    """ "23 November 2026 at 14:05 UTC" from an ISO timestamp ("" when there is none)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return ""
    return moment.astimezone(UTC).strftime("%-d %B %Y at %H:%M UTC")
