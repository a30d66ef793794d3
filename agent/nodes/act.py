"""act: find the customer's order, check they own it, and act within the store's rules.

Irreversible actions (cancel, return, refund) are only proposed here; they run when the customer
answers with an explicit yes, on any channel (`pending_action`). Every write carries an
idempotency key derived from the proposal, so a repeated yes never acts twice.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from langgraph.runtime import Runtime

from agent.addresses import parse_address
from agent.context import Context
from agent.dialogue import bare_numbers
from agent.nodes.pending import execute_pending
from agent.nodes.proposals import propose_refund, propose_return
from agent.nodes.turn import Turn
from agent.orders import (
    candidates,
    describe_lines,
    fulfillment_allowed,
    part_asked_for,
)
from agent.proof import customer_identity
from agent.state import AgentState
from agent.trace import traced
from tools.results import Status
from tools.rules import cancel_refund_over_limit


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


def _claimed(turn: Turn, reference: str) -> tuple[list[str], list[str]]:
    """Identifiers the sender claims that could open `reference`: typed in this message or
    given with the message, plus those that opened this order before (a grant). Knowing the
    order number is half the proof: in a session that anyone claiming the same email shares
    (`claim_keyed`), the number must be in this very message."""
    message = turn.state["message"]
    grant = turn.grant_for(reference)
    named = reference in {str(n) for n in turn.entities.get("order_names") or []}
    emails, phones = list(grant.get("emails") or []), list(grant.get("phones") or [])
    if named or not message.get("claim_keyed"):
        emails += list(turn.entities.get("emails") or [])
        phones += list(turn.entities.get("phones") or [])
        emails += [value for value in (message.get("claimed_email"),) if value]
        phones += [value for value in (message.get("claimed_phone"),) if value]
    known = set(turn.identity.get("emails", [])) | set(turn.identity.get("phones", []))
    return sorted({e.lower() for e in emails} - known), sorted(set(phones) - known)


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
        # "the status of 1043": a bare number that is one of the customer's own orders.
        numbered = set(bare_numbers(turn.state["message"]["text"]))
        mentioned = [o for o in orders if o["name"] in numbered]
        if len(mentioned) == 1:
            reference = mentioned[0]["name"]
        elif len(likely) == 1 or (not likely and len(orders) == 1):
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
        emails, phones = _claimed(turn, reference)
        if not (emails or phones) and identity.empty:
            # Nothing to check the order against yet: ask, without implying anything about it.
            turn.update["actions"] = []
            return turn.situation("ask_verification", ask="verification")
        if emails or phones:
            claimed = customer_identity(turn.identity, extra_emails=emails, extra_phones=phones)
            retry = turn.call(
                "get_order",
                {"order": reference},
                lambda: tools.get_order(claimed, reference, today),
            )
            if retry.status is Status.FAILED:
                return turn.failure(retry)
            if retry.status is Status.DONE:
                # The first refusal only meant "not proven yet": it is not an action to report.
                turn.update["actions"] = [
                    a for a in turn.update["actions"] if a["tool"] != "get_order"
                ]
                turn.grant_order(retry.data["order"]["name"], retry.data.get("matched") or {})
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
        if part := part_asked_for(order["lines"], turn.state["message"]["text"]):
            turn.update["actions"].append(
                {
                    "tool": "cancel_order",
                    "args": {"order": name},
                    "status": "refused",
                    "detail": f"Only part of the order was asked for ({part}).",
                    "reason": "partial_order",
                }
            )
            return turn.refuse(
                "cancel_not_allowed", "partial_order", "cancel_order", facts={"part": part}
            )
        if over := cancel_refund_over_limit(order, policy):
            amount, limit = over
            facts = {"amount": f"{amount:.2f}", "limit": f"{limit:.2f}"}
            turn.explain("above_auto_approve_limit", "cancel_order", facts=facts)
            return turn.escalate(
                "refund_above_limit",
                f"Cancelling order {name} would refund {order['currency']} {amount:.2f}, above "
                f"the automatic limit of {limit:.2f}.",
            )
        total = f"{order['currency']} {order['total']}"
        summary = f"cancel order {name} ({describe_lines(order['lines'])}, {total})"
        return turn.propose("cancel_order", {"order": name}, summary)
    if intent == "change_address":
        address = parse_address(turn.state["message"]["text"])
        if address is None:
            return turn.situation("ask_address", ask="address")
        if not fulfillment_allowed(order, policy.address_changes.allowed_fulfillment_statuses):
            return turn.refuse(
                "action_refused",
                "fulfillment_status_not_allowed",
                "update_shipping_address",
                lines=eligibility,
            )
        written = address.one_line()
        return turn.propose(
            "update_shipping_address",
            {"order": name, "address": dataclasses.asdict(address)},
            f"ship order {name} to {written}",
        )
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
