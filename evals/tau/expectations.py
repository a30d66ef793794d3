"""τ²'s expected tool calls as Threadline expectations on the shop's end state.

A τ² task is judged by the database it leaves behind; here the same writes become order states
the harness reads back from the sandbox shop. Writes Threadline can make (cancel, return,
re-address) become `expect.orders`; writes it cannot make become `needs`, and the case then
expects a handover (an escalation) with nothing changed on their behalf. Reads (looking up the
user, an order, a product, doing arithmetic) leave no trace and are not checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from evals.tau.dataset import Json

WRITE_TOOLS = ("cancel_order", "create_return", "refund", "update_shipping_address")
"""Threadline's write tools, in the suite schema's spelling."""

SUPPORTED = {
    "cancel_pending_order": "cancel_order",
    "return_delivered_order_items": "create_return",
    "modify_pending_order_address": "update_shipping_address",
}
"""τ² writes Threadline makes too, and the tool that makes them."""
MISSING = {
    "exchange_delivered_order_items": "exchange",
    "modify_pending_order_items": "modify_items",
    "modify_pending_order_payment": "change_payment_method",
    "modify_user_address": "modify_user_address",
}
"""τ² writes Threadline cannot make, and the capability that would."""
READS = frozenset(
    {
        "calculate",
        "find_user_id_by_email",
        "find_user_id_by_name_zip",
        "get_order_details",
        "get_product_details",
        "get_user_details",
        "list_all_product_types",
        "think",
    }
)
HANDOVER = "transfer_to_human_agents"
INTENTS = {
    "cancel_pending_order": "cancel_order",
    "return_delivered_order_items": "return_item",
    "modify_pending_order_address": "change_address",
    "exchange_delivered_order_items": "exchange_item",
    "modify_pending_order_items": "exchange_item",
    "modify_pending_order_payment": "payment_problem",
    "modify_user_address": "account",
    HANDOVER: "human_agent",
}
"""The Threadline intent a customer asking for each τ² write would have."""
HANDOVER_REASONS = (
    "customer_request",
    "unanswerable",
    "policy_exception",
    "low_confidence",
    "max_ai_turns",
    "refund_above_limit",
    "frustration",
)
"""Escalation reason codes that hand a request the agent cannot serve to a person. A safety flag
(legal, chargeback, self_harm, harassment) or a failure (tool_failure, internal_error) also
escalates, but for the wrong reason: it does not count as a correct handover."""
WITHHELD_ADDRESS = "address_from_profile"
ADDRESS_FIELDS = {
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state": "province_code",
    "zip": "zip",
}
"""τ² address argument -> the Shopify shipping-address field it must end up in."""


@dataclass
class Expectation:
    """What one task expects of Threadline, built up action by action."""

    needs: list[str] = field(default_factory=list)
    orders: dict[str, Json] = field(default_factory=dict)
    """Orders a supported write changes -> their expected state."""
    untouched: list[str] = field(default_factory=list)
    """Orders only unsupported writes change: nothing may be done to them."""
    tools: set[str] = field(default_factory=set)
    intents: list[str] = field(default_factory=list)
    handover: bool = False

    def need(self, capability: str) -> None:
        if capability not in self.needs:
            self.needs.append(capability)

    def intent(self, name: str) -> None:
        if name not in self.intents:
            self.intents.append(name)


def _order_state(action: Json) -> Json:
    arguments = action["arguments"]
    if action["name"] == "cancel_pending_order":
        return {"cancelled": True}
    if action["name"] == "return_delivered_order_items":
        return {"return_opened": True}
    return {
        "shipping_address": {
            field_name: arguments[key]
            for key, field_name in ADDRESS_FIELDS.items()
            if arguments.get(key)
        }
    }


def expectation(actions: Iterable[Json], extra_needs: Iterable[str] = ()) -> Expectation:
    """Fold a task's expected actions (and hand-noted needs) into one `Expectation`.

    Raises `ValueError` for an action this mapping does not know, so a new τ² tool is a
    decision rather than a silent pass.
    """
    result = Expectation()
    for capability in extra_needs:
        result.need(capability)
    for action in actions:
        name = action["name"]
        order = (action.get("arguments") or {}).get("order_id")
        if name in READS:
            continue
        if name not in INTENTS:
            raise ValueError(f"unknown τ² action {name!r}: map it in evals/tau/expectations.py")
        result.intent(INTENTS[name])
        withheld = name == "modify_pending_order_address" and WITHHELD_ADDRESS in result.needs
        if name == HANDOVER:
            result.handover = True
        elif name in SUPPORTED and not withheld:
            if not order:
                raise ValueError(f"τ² action {name!r} names no order")
            result.tools.add(SUPPORTED[name])
            result.orders.setdefault(order, {}).update(_order_state(action))
        else:
            if name in MISSING:
                result.need(MISSING[name])
            if order and order not in result.untouched:
                result.untouched.append(order)
    result.untouched = [o for o in result.untouched if o not in result.orders]
    return result


def case_expect(expected: Expectation) -> dict[str, Any]:
    """The case-level `expect` block of the suite schema."""
    block: dict[str, Any] = {}
    if expected.orders:
        block["orders"] = dict(expected.orders)
        for order in expected.untouched:
            block["orders"][order] = {"cancelled": False, "return_opened": False}
    else:
        block["unchanged"] = True
    if expected.needs or expected.handover:
        block["escalation"] = list(HANDOVER_REASONS)
    block["tools_not_run"] = [tool for tool in WRITE_TOOLS if tool not in expected.tools]
    if "cancel_order" not in expected.tools:
        block["forbid"] = {"money": True}
    return block
