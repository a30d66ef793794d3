"""act: find the customer's order, check they own it, and act within the store's rules.

Irreversible actions (cancel, return, refund) are only proposed here; they run when the customer
answers with an explicit yes, on any channel (`pending_action`). Every write carries an
idempotency key derived from the proposal, so a repeated yes never acts twice.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session

from agent.addresses import parse_address
from agent.context import Context
from agent.nodes.pending import execute_pending
from agent.nodes.proposals import propose_refund, propose_return
from agent.nodes.turn import Turn
from agent.orders import (
    candidates,
    describe_lines,
    fulfillment_allowed,
)
from agent.proof import customer_identity, prove_by_order
from agent.state import AgentState
from agent.trace import traced
from tools.results import Status


@traced("act")
def act_on_order(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    turn = Turn(state, runtime)
    if not turn.connected:
        return turn.escalate("tool_failure", "No shop is connected to look up orders.", "high")
    if state.get("situation") == "execute_pending":
        return execute_pending(turn)
    return _handle_order_request(turn)


def next_after_act(state: AgentState) -> str:
    """retrieve when the message also asked questions for the knowledge store, else compose."""
    if state.get("questions") and not state.get("escalation"):
        return "retrieve"
    return "compose"


def _claimed(turn: Turn) -> tuple[list[str], list[str]]:
    message = turn.state["message"]
    emails = list(turn.entities.get("emails") or [])
    phones = list(turn.entities.get("phones") or [])
    if message.get("claimed_email"):
        emails.append(message["claimed_email"])
    if message.get("claimed_phone"):
        phones.append(message["claimed_phone"])
    known = set(turn.identity.get("emails", [])) | set(turn.identity.get("phones", []))
    return [e.lower() for e in emails if e.lower() not in known], [
        p for p in phones if p not in known
    ]


def _order_reference(turn: Turn) -> str | None:
    names = turn.entities.get("order_names") or []
    if names:
        return str(names[0])
    issue: dict[str, Any] = dict(turn.state.get("open_issue") or {})
    if issue.get("order") and issue.get("intent") == turn.intent:
        return str(issue["order"])
    return turn.state.get("active_order")


def _handle_order_request(turn: Turn) -> dict[str, Any]:
    tools = turn.tools
    reference = _order_reference(turn)
    identity = customer_identity(turn.identity)
    if reference is None:
        if identity.empty:
            turn.set_issue(None)
            # A general question ("how long do I have to return?"): answer it from the
            # store's knowledge, then ask for what acting on an order would need.
            if _attach_passages(turn):
                return turn.situation("answer_then_ask_order", ask="order_number")
            return turn.situation("ask_order_number", ask="order_number")
        found = turn.call("lookup_orders", {}, lambda: tools.lookup_orders(identity))
        if found.status is Status.FAILED:
            return turn.failure(found)
        orders = found.data.get("orders") or []
        likely = candidates(orders, turn.intent)
        if len(likely) == 1 or (not likely and len(orders) == 1):
            reference = (likely or orders)[0]["name"]
        elif not orders:
            turn.set_issue(None)
            return turn.situation("no_orders_found", ask="order_number")
        else:
            turn.set_issue(None)
            return turn.situation(
                "ask_which_order", ask="which_order", orders=(likely or orders)[:5]
            )
    assert reference is not None
    turn.set_issue(reference)
    today = turn.services.today()
    result = turn.call(
        "get_order", {"order": reference}, lambda: tools.get_order(identity, reference, today)
    )
    if result.status is Status.REFUSED:
        emails, phones = _claimed(turn)
        if not (emails or phones) and identity.empty:
            # Nothing to check the order against yet: ask, without implying anything about it.
            turn.update["actions"] = []
            return turn.situation("ask_verification", ask="verification")
        if emails or phones:
            proven = customer_identity(turn.identity, extra_emails=emails, extra_phones=phones)
            retry = turn.call(
                "get_order", {"order": reference}, lambda: tools.get_order(proven, reference, today)
            )
            if retry.status is Status.FAILED:
                return turn.failure(retry)
            if retry.status is Status.DONE:
                # The first refusal only meant "not proven yet": it is not an action to report.
                turn.update["actions"] = [
                    a for a in turn.update["actions"] if a["tool"] != "get_order"
                ]
                _link_proven(turn, retry.data["order"], emails, phones)
                result = retry
        if result.status is Status.REFUSED:
            turn.update["actions"] = [a for a in turn.update["actions"] if a["tool"] != "get_order"]
            turn.update["actions"].append(
                {
                    "tool": "get_order",
                    "args": {"order": reference},
                    "status": "refused",
                    "detail": result.detail,
                    "reason": "not_verified",
                }
            )
            return turn.situation("order_not_verified", ask="verification")
    if result.status is Status.FAILED:
        return turn.failure(result)
    order = result.data["order"]
    turn.remember_order(order)
    eligibility = result.data.get("returns_eligibility") or []
    return _for_intent(turn, order, eligibility)


def _link_proven(turn: Turn, order: dict[str, Any], emails: list[str], phones: list[str]) -> None:
    """The customer knew the order number and the order's email/phone: those are now proven."""
    with Session(turn.services.engine, expire_on_commit=False) as session:
        identity, kinds = prove_by_order(
            session,
            turn.identity["customer_id"],
            order,
            emails,
            phones,
            channel=turn.state["message"]["channel"],
            region=turn.services.phone_region,
        )
    turn.identity = identity
    turn.update["identity"] = identity
    turn.runtime.context.trace.note("identity_proven", kinds)


def _for_intent(
    turn: Turn, order: dict[str, Any], eligibility: list[dict[str, Any]]
) -> dict[str, Any]:
    policy = turn.services.policy
    intent = turn.intent
    name = order["name"]
    if intent in ("track_order", "order_details", "refund_status", "complaint"):
        turn.update["open_issue"] = None
        return turn.situation(intent if intent != "complaint" else "order_details")
    if intent == "cancel_order":
        if order.get("cancelled_at"):
            return turn.refuse("already_cancelled", "already_cancelled", "cancel_order")
        if not fulfillment_allowed(order, policy.cancellations.allowed_fulfillment_statuses):
            turn.update["actions"].append(
                {
                    "tool": "cancel_order",
                    "args": {"order": name},
                    "status": "refused",
                    "detail": "The order has already shipped, so it can no longer be cancelled.",
                    "reason": "fulfillment_status_not_allowed",
                }
            )
            return turn.refuse(
                "cancel_not_allowed",
                "fulfillment_status_not_allowed",
                "cancel_order",
                lines=eligibility,
                eligibility=eligibility,
            )
        total = f"{order['currency']} {order['total']}"
        summary = f"cancel order {name} ({describe_lines(order['lines'])}, {total})"
        return turn.propose("cancel_order", {"order": name}, summary)
    if intent == "change_address":
        address = parse_address(turn.state["message"]["text"])
        if address is None:
            return turn.situation("ask_address", ask="address")
        args = {
            "order": name,
            "address": [
                address.address1,
                address.address2,
                address.city,
                address.province_code,
                address.zip,
                address.country_code,
            ],
        }
        identity = customer_identity(turn.identity)
        key = f"{turn.state['customer_id']}:{turn.state['message']['id']}:address"
        result = turn.call(
            "update_shipping_address",
            args,
            lambda: turn.tools.update_shipping_address(
                identity, name, address, idempotency_key=key
            ),
        )
        if result.status is Status.FAILED:
            return turn.failure(result)
        if result.status is Status.DONE and result.data.get("order"):
            turn.remember_order(result.data["order"])
            turn.update["open_issue"] = None
        if result.status is Status.REFUSED:
            return turn.refuse(
                "action_refused",
                str(result.reason),
                result.tool,
                lines=eligibility,
                facts=result.data,
                tool_result=result.to_dict(),
            )
        return turn.situation("address_done", tool_result=result.to_dict())
    if intent in ("return_item", "exchange_item"):
        if intent == "exchange_item":
            _attach_passages(turn)
        return propose_return(turn, order, eligibility)
    if intent in ("refund_request", "damaged_item"):
        return propose_refund(turn, order, eligibility)
    return turn.situation("order_details")


def _attach_passages(turn: Turn) -> bool:
    """The store's own words on the topic, to quote beside an offer or a question."""
    best = turn.lookup(turn.state["message"]["text"])
    if best is None:
        return False
    turn.update["passages"] = [best]
    turn.runtime.context.trace.note(
        "retrieval",
        {"answerable": True, "passages": [{"id": best["id"], "score": best["score"]}]},
    )
    return True
