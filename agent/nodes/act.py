"""act: find the customer's order, check they own it, and act within the store's rules.

Irreversible actions (cancel, return, refund) are only proposed here; they run when the customer
answers with an explicit yes, on any channel (`pending_action`). Every write carries an
idempotency key derived from the proposal, so a repeated yes never acts twice.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from langgraph.runtime import Runtime
from sqlmodel import Session

from agent.addresses import parse_address
from agent.context import Context, OrderTools
from agent.nodes.retrieve import passage_state
from agent.orders import (
    candidates,
    describe_lines,
    fulfillment_allowed,
    mentioned_lines,
)
from agent.proof import customer_identity, prove_by_order
from agent.refusals import explain_refusal
from agent.state import AgentState
from agent.trace import traced
from tools.inputs import RefundItem, ReturnItem
from tools.results import Reason, Status, ToolResult
from tools.rules import REFUSAL_SENTENCES

PROPOSALS = ("cancel_order", "create_return", "refund")


def action_record(result: ToolResult, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "tool": result.tool,
        "args": args,
        "status": result.status.value,
        "detail": result.detail,
        "reason": result.reason,
    }


class _Turn:
    """Everything one act step decides, collected into the state update at the end."""

    def __init__(self, state: AgentState, runtime: Runtime[Context]) -> None:
        self.state = state
        self.runtime = runtime
        self.services = runtime.context.services
        self.connected = self.services.tools is not None
        self.tools = cast(OrderTools, self.services.tools)
        self.understanding = state.get("understanding") or {}
        self.entities = self.understanding.get("entities") or {}
        self.intent = state.get("intent") or self.understanding.get("intent", "")
        self.identity = state.get("identity") or {}
        self.update: dict[str, Any] = {"actions": [], "orders": []}

    # --- bookkeeping ------------------------------------------------------------------------
    def call(self, name: str, args: dict[str, Any], run: Any) -> ToolResult:
        result: ToolResult = run()
        self.runtime.context.trace.append(
            "tool_calls",
            {"tool": name, "args": args, "status": result.status.value, "reason": result.reason},
        )
        if name not in ("get_order", "lookup_orders") or result.status is not Status.DONE:
            self.update["actions"].append(action_record(result, args))
        return result

    def situation(self, name: str, **extra: Any) -> dict[str, Any]:
        self.update["situation"] = name
        self.update.update(extra)
        return self.update

    def refuse(
        self,
        situation: str,
        reason: str,
        tool: str,
        *,
        lines: list[dict[str, Any]] | None = None,
        facts: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A refusal explained from the order's own facts and what can still be done."""
        self.explain(reason, tool, lines=lines, facts=facts)
        return self.situation(situation, **extra)

    def explain(
        self,
        reason: str,
        tool: str,
        *,
        lines: list[dict[str, Any]] | None = None,
        facts: dict[str, Any] | None = None,
    ) -> None:
        order = self.update.get("order") or self.state.get("order")
        explanation = explain_refusal(
            reason,
            order=order,
            policy=self.services.policy,
            tool=tool,
            lines=lines,
            facts=facts,
            knowledge=self.lookup,
            today=self.services.today(),
        )
        self.update["refusal"] = {
            "reason": reason,
            "text": explanation.text,
            "next_step": explanation.next_step,
            "sources": explanation.sources,
        }

    def lookup(self, query: str) -> dict[str, Any] | None:
        """The store's best passage for `query`, when it is a confident one."""
        knowledge = self.services.knowledge
        if knowledge is None:
            return None
        result = knowledge.search(query, k=1)
        if not result.answerable or not result.passages:
            return None
        return passage_state(result.passages[0])

    def escalate(self, code: str, message: str, priority: str = "normal") -> dict[str, Any]:
        self.update["escalation"] = {"code": code, "message": message, "priority": priority}
        return self.situation("escalated")

    def failure(self, result: ToolResult) -> dict[str, Any]:
        return self.escalate(
            "tool_failure", f"The shop could not complete {result.tool}: {result.reason}.", "high"
        )

    def remember_order(self, order: dict[str, Any]) -> None:
        seen = dict(self.state.get("orders_seen") or {})
        seen[order["name"]] = order
        self.update["orders_seen"] = seen
        self.update["order"] = order
        self.update["active_order"] = order["name"]

    def set_issue(self, order_ref: str | None) -> None:
        issue: dict[str, Any] = dict(self.state.get("open_issue") or {})
        keep = issue.get("intent") == self.intent
        items = self.entities.get("items") or []
        self.update["open_issue"] = {
            "intent": self.intent,
            "channel": issue.get("channel") if keep else self.state["message"]["channel"],
            "order": order_ref or (issue.get("order") if keep else None),
            "item": (items[0] if items else None) or (issue.get("item") if keep else None),
            "raised_at": issue.get("raised_at") if keep else self.state["message"]["sent_at"],
        }

    def propose(self, tool: str, args: dict[str, Any], summary: str) -> dict[str, Any]:
        self.update["pending_action"] = {
            "id": uuid.uuid4().hex,
            "tool": tool,
            "args": args,
            "summary": summary,
            "channel": self.state["message"]["channel"],
            "proposed_at": self.state["message"]["sent_at"],
        }
        return self.situation(f"confirm_{tool}", ask="confirm")


@traced("act")
def act_on_order(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    turn = _Turn(state, runtime)
    if not turn.connected:
        return turn.escalate("tool_failure", "No shop is connected to look up orders.", "high")
    if state.get("situation") == "execute_pending":
        return _execute_pending(turn)
    return _handle_order_request(turn)


def next_after_act(state: AgentState) -> str:
    """retrieve when the message also asked questions for the knowledge store, else compose."""
    if state.get("questions") and not state.get("escalation"):
        return "retrieve"
    return "compose"


def _execute_pending(turn: _Turn) -> dict[str, Any]:
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


def _claimed(turn: _Turn) -> tuple[list[str], list[str]]:
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


def _order_reference(turn: _Turn) -> str | None:
    names = turn.entities.get("order_names") or []
    if names:
        return str(names[0])
    issue: dict[str, Any] = dict(turn.state.get("open_issue") or {})
    if issue.get("order") and issue.get("intent") == turn.intent:
        return str(issue["order"])
    return turn.state.get("active_order")


def _handle_order_request(turn: _Turn) -> dict[str, Any]:
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


def _link_proven(turn: _Turn, order: dict[str, Any], emails: list[str], phones: list[str]) -> None:
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
    turn: _Turn, order: dict[str, Any], eligibility: list[dict[str, Any]]
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
        return _propose_return(turn, order, eligibility)
    if intent in ("refund_request", "damaged_item"):
        return _propose_refund(turn, order, eligibility)
    return turn.situation("order_details")


def _attach_passages(turn: _Turn) -> bool:
    """The store's own words on the topic, to quote beside an offer or a question."""
    knowledge = turn.services.knowledge
    if knowledge is None:
        return False
    result = knowledge.search(turn.state["message"]["text"], k=1)
    if result.answerable and result.passages:
        best = passage_state(result.passages[0])
        turn.update["passages"] = [best]
        turn.runtime.context.trace.note(
            "retrieval",
            {"answerable": True, "passages": [{"id": best["id"], "score": best["score"]}]},
        )
        return True
    return False


def _propose_return(
    turn: _Turn, order: dict[str, Any], eligibility: list[dict[str, Any]]
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
            return _refuse_return(turn, blocked, eligibility)
        returnable = [e for e in named if int(e.get("returnable_quantity", 0)) > 0]
    if not returnable:
        return _refuse_return(turn, eligibility, eligibility)
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


def _refuse_return(
    turn: _Turn, blocked: list[dict[str, Any]], eligibility: list[dict[str, Any]]
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


def _propose_refund(
    turn: _Turn, order: dict[str, Any], eligibility: list[dict[str, Any]]
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
    identity = customer_identity(turn.identity)
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
