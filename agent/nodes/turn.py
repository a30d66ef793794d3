"""One act step's bookkeeping: tool calls, the situation, proposals, refusals explained."""

from __future__ import annotations

import uuid
from typing import Any, cast

from langgraph.runtime import Runtime

from agent.context import Context, OrderTools
from agent.nodes.retrieve import passage_state
from agent.proof import customer_identity
from agent.refusals import explain_refusal
from agent.state import AgentState
from agent.verification import mask, send_code
from tools.identity import CustomerIdentity
from tools.results import Status, ToolResult

SHOP_TROUBLE = {
    "shopify_unavailable": "the store was unreachable (it failed or did not answer on every try)",
    "shopify_timeout": "the store was unreachable (it did not answer in time)",
    "shopify_throttled": "the store was unreachable (it kept throttling our requests)",
    "shopify_auth": "the store refused the access token (check the app's credentials)",
}
"""What a failed call's reason means, for the person taking the case over."""

PROPOSALS = ("cancel_order", "create_return", "refund")


def action_record(result: ToolResult, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "tool": result.tool,
        "args": args,
        "status": result.status.value,
        "detail": result.detail,
        "reason": result.reason,
    }


class Turn:
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
        self.claim_access: dict[str, dict[str, list[str]]] = {}
        """Orders this turn opened by a claim: name to the claimed identifiers that matched."""

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
        trouble = SHOP_TROUBLE.get(
            result.reason or "", f"it answered with an error ({result.reason})"
        )
        return self.escalate(
            "tool_failure", f"The shop could not complete {result.tool}: {trouble}.", "high"
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

    # --- proof -----------------------------------------------------------------------------
    def grant_for(self, reference: str) -> dict[str, list[str]]:
        """The claimed identifiers that opened `reference` before (empty when none did)."""
        grants = {**(self.state.get("order_grants") or {}), **self.claim_access}
        wanted = _order_key(reference)
        return next((g for name, g in grants.items() if _order_key(name) == wanted), {})

    def identity_for(self, order: str) -> CustomerIdentity:
        """Who may read `order`: the proven identity, plus a claim that opened this order."""
        grant = self.grant_for(order)
        return customer_identity(
            self.identity,
            extra_emails=grant.get("emails") or [],
            extra_phones=grant.get("phones") or [],
        )

    def grant_order(self, name: str, matched: dict[str, list[str]]) -> None:
        """A claim opened order `name` for reading; kept in the session unless anyone claiming
        the same identifier would share that session."""
        self.claim_access[name] = matched
        self.runtime.context.trace.note(
            "order_access", {"order": name, "by": "claim", "kinds": _kinds(matched)}
        )
        if self.state["message"].get("claim_keyed"):
            return
        grants = dict(self.state.get("order_grants") or {})
        grants[name] = matched
        self.update["order_grants"] = grants

    def propose(self, tool: str, args: dict[str, Any], summary: str) -> dict[str, Any]:
        """Propose a write; on an order opened by a claim, the yes must be a one-time code."""
        pending: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "tool": tool,
            "args": args,
            "summary": summary,
            "channel": self.state["message"]["channel"],
            "proposed_at": self.state["message"]["sent_at"],
        }
        grant = self.claim_access.get(str(args.get("order")))
        if grant is not None:
            if self.services.policy.verification.writes == "proven":
                pending["proof"] = self._send_code(grant)
            else:
                pending["grant"] = grant
        self.update["pending_action"] = pending
        return self.situation(f"confirm_{tool}", ask="confirm")

    def _send_code(self, grant: dict[str, list[str]]) -> dict[str, str]:
        kind, value = (
            ("email", grant["emails"][0])
            if grant.get("emails")
            else (
                "phone",
                grant["phones"][0],
            )
        )
        code_id = send_code(
            self.services.engine,
            self.services.codes,
            customer_id=self.identity["customer_id"],
            kind=kind,
            value=value,
            store_name=self.services.policy.store.name,
            channel=self.state["message"]["channel"],
        )
        return {"code_id": code_id, "kind": kind, "masked": mask(kind, value)}


def _order_key(reference: str) -> str:
    return reference.strip().lstrip("#").lower()


def _kinds(matched: dict[str, list[str]]) -> list[str]:
    return [kind for kind in ("emails", "phones") if matched.get(kind)]
