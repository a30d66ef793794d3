"""Write tools against the demo sandbox: every done path and every refusal reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.tools.conftest import TODAY, demo_orders, owner_of, pick, sandbox_order
from tools import (
    CustomerIdentity,
    Reason,
    RefundItem,
    ReturnItem,
    ShippingAddress,
    ShopifyClient,
    ShopifyTools,
    Status,
    StorePolicy,
)
from tools.sandbox import SandboxServer

NEW_ADDRESS = ShippingAddress(
    "88 Juniper Pl", "Bend", "97701", "US", province_code="OR", first_name="Sam", last_name="Lee"
)


def line_total(line: dict) -> Decimal:
    tax = sum(Decimal(t["price"]) for t in line["tax_lines"])
    return Decimal(line["price"]) * line["quantity"] - Decimal(line["total_discount"]) + tax


def gid_line(line: dict) -> str:
    return f"gid://shopify/LineItem/{line['id']}"


# ---- cancel_order -----------------------------------------------------------------------------
def test_cancel_unfulfilled_order(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("unfulfilled")
    result = tools.cancel_order(owner_of(name), name, idempotency_key="c-1")
    assert result.status is Status.DONE, result
    state = sandbox_order(sandbox, name)
    assert state["cancelled_at"] and state["cancel_reason"] == "customer"
    assert state["financial_status"] == "refunded"
    assert result.data["order"]["cancelled_at"]
    assert result.data["order"]["refunded"] == state["total_price"]


def test_a_cancellation_refunding_more_than_the_limit_is_left_to_a_person(
    demo_tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    limit = demo_tools.policy.refunds.auto_approve_limit
    name = pick("unfulfilled", lambda o: float(o["total_price"]) > limit)
    result = demo_tools.cancel_order(owner_of(name), name, idempotency_key="c-limit")
    assert result.reason == Reason.ABOVE_AUTO_APPROVE_LIMIT
    assert float(result.data["amount"]) > limit and float(result.data["limit"]) == limit
    assert not sandbox_order(sandbox, name)["cancelled_at"]  # nothing cancelled, nothing refunded
    within = pick("unfulfilled", lambda o: float(o["total_price"]) <= limit)
    assert demo_tools.cancel_order(owner_of(within), within, idempotency_key="c-in").ok


def test_cancel_refused_when_already_cancelled(tools: ShopifyTools) -> None:
    name = pick("cancelled")
    result = tools.cancel_order(owner_of(name), name, idempotency_key="c-2")
    assert result.reason == Reason.ALREADY_CANCELLED


@pytest.mark.parametrize("scenario", ["in_transit", "partially_fulfilled", "delivered_recent"])
def test_cancel_refused_after_fulfillment(
    tools: ShopifyTools, sandbox: SandboxServer, scenario: str
) -> None:
    name = pick(scenario)
    result = tools.cancel_order(owner_of(name), name, idempotency_key=f"c-{scenario}")
    assert result.reason == Reason.FULFILLMENT_STATUS_NOT_ALLOWED
    assert sandbox_order(sandbox, name)["cancelled_at"] is None
    assert [r["operation"] for r in sandbox.requests].count("mutation") == 0


def test_cancel_someone_elses_order_changes_nothing(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled")
    stranger = CustomerIdentity.of(email="mallory@example.com")
    result = tools.cancel_order(stranger, name, idempotency_key="c-3")
    assert result.reason == Reason.NOT_OWNER and result.data == {}
    assert sandbox_order(sandbox, name)["cancelled_at"] is None


def test_shop_user_errors_become_a_refusal(client: ShopifyClient, sandbox: SandboxServer) -> None:
    lenient = StorePolicy.model_validate(
        {
            "cancellations": {
                "allowed_fulfillment_statuses": ["unfulfilled", "fulfilled"],
                "refund_over_limit": "allow",
            }
        }
    )
    name = pick("delivered_recent")
    result = ShopifyTools(client, lenient).cancel_order(owner_of(name), name, idempotency_key="c-4")
    assert result.reason == Reason.SHOP_REFUSED
    assert "fulfillments" in result.data["shop_errors"][0]


# ---- create_return ----------------------------------------------------------------------------
def test_return_every_returnable_line(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("delivered_recent", lambda o: len(o["line_items"]) > 1)
    result = tools.create_return(
        owner_of(name), name, today=TODAY, idempotency_key="r-1", reason="SIZE_TOO_SMALL"
    )
    assert result.ok, result
    assert result.data["return"]["status"] == "open"
    returns = sandbox_order(sandbox, name)["returns"]
    assert len(returns) == 1
    assert sum(i["quantity"] for i in returns[0]["return_line_items"]) == sum(
        li["quantity"] for li in demo_orders()[name]["line_items"]
    )
    assert returns[0]["return_line_items"][0]["return_reason"] == "SIZE_TOO_SMALL"


def test_return_chosen_line_and_quantity(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("delivered_recent", lambda o: any(li["quantity"] > 1 for li in o["line_items"]))
    line = next(li for li in demo_orders()[name]["line_items"] if li["quantity"] > 1)
    result = tools.create_return(
        owner_of(name), name, [ReturnItem(gid_line(line), 1)], today=TODAY, idempotency_key="r-2"
    )
    assert result.ok
    items = sandbox_order(sandbox, name)["returns"][0]["return_line_items"]
    assert [i["quantity"] for i in items] == [1]
    too_many = tools.create_return(
        owner_of(name),
        name,
        [ReturnItem(gid_line(line), line["quantity"])],
        today=TODAY,
        idempotency_key="r-3",
    )
    assert too_many.reason == Reason.INVALID_ITEMS
    assert "can be returned" in too_many.detail


def test_return_refused_outside_the_window(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick(
        "delivered_outside_window",
        lambda o: all("final-sale" not in li["name"].lower() for li in o["line_items"]),
    )
    result = tools.create_return(owner_of(name), name, today=TODAY, idempotency_key="r-4")
    assert result.reason == Reason.OUTSIDE_RETURN_WINDOW
    assert "returns" not in sandbox_order(sandbox, name)


def test_return_window_counts_from_delivery(tools: ShopifyTools) -> None:
    name = pick("delivered_recent")
    deadline = tools.get_order(owner_of(name), name, today=TODAY).data["returns_eligibility"][0][
        "return_deadline"
    ]
    from datetime import date, timedelta

    late = date.fromisoformat(deadline) + timedelta(days=1)
    assert (
        tools.create_return(owner_of(name), name, today=late, idempotency_key="r-5").reason
        == Reason.OUTSIDE_RETURN_WINDOW
    )
    assert tools.create_return(
        owner_of(name), name, today=date.fromisoformat(deadline), idempotency_key="r-6"
    ).ok


def test_return_refused_for_final_sale(tools: ShopifyTools) -> None:
    name = pick("final_sale_delivered")
    final = demo_orders()[name]["line_items"][0]
    result = tools.create_return(
        owner_of(name), name, [ReturnItem(gid_line(final))], today=TODAY, idempotency_key="r-7"
    )
    assert result.reason == Reason.FINAL_SALE
    only_final = pick("final_sale_delivered", lambda o: len(o["line_items"]) == 1)
    assert (
        tools.create_return(
            owner_of(only_final), only_final, today=TODAY, idempotency_key="r-8"
        ).reason
        == Reason.FINAL_SALE
    )


def test_return_refused_for_unshipped_item(tools: ShopifyTools) -> None:
    name = pick("partially_fulfilled")
    waiting = next(li for li in demo_orders()[name]["line_items"] if li["fulfillable_quantity"])
    result = tools.create_return(
        owner_of(name), name, [ReturnItem(gid_line(waiting))], today=TODAY, idempotency_key="r-9"
    )
    assert result.reason == Reason.NOT_FULFILLED
    unfulfilled = pick("unfulfilled")
    assert (
        tools.create_return(
            owner_of(unfulfilled), unfulfilled, today=TODAY, idempotency_key="r-10"
        ).reason
        == Reason.NOT_FULFILLED
    )


def test_second_return_for_the_same_items_is_refused(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("delivered_recent")
    assert tools.create_return(owner_of(name), name, today=TODAY, idempotency_key="r-11").ok
    again = tools.create_return(owner_of(name), name, today=TODAY, idempotency_key="r-12")
    assert again.reason == Reason.ALREADY_RETURNED
    assert len(sandbox_order(sandbox, name)["returns"]) == 1


def test_return_refused_on_cancelled_order_and_unknown_items(tools: ShopifyTools) -> None:
    name = pick("cancelled")
    assert (
        tools.create_return(owner_of(name), name, today=TODAY, idempotency_key="r-13").reason
        == Reason.ORDER_CANCELLED
    )
    other = pick("delivered_recent")
    result = tools.create_return(
        owner_of(other),
        other,
        [ReturnItem("gid://shopify/LineItem/1")],
        today=TODAY,
        idempotency_key="r-14",
    )
    assert result.reason == Reason.INVALID_ITEMS


def test_return_reason_must_be_a_shopify_reason(tools: ShopifyTools) -> None:
    with pytest.raises(ValueError, match="return reason"):
        tools.create_return(
            owner_of("#1001"), "#1001", today=TODAY, idempotency_key="r-15", reason="BORED"
        )


# ---- refund -----------------------------------------------------------------------------------
def small_line_order() -> tuple[str, dict]:
    name = pick("delivered_recent", lambda o: any(line_total(li) < 60 for li in o["line_items"]))
    line = next(li for li in demo_orders()[name]["line_items"] if line_total(li) < 60)
    return name, line


def test_refund_one_line_previews_then_refunds(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name, line = small_line_order()
    result = tools.refund(
        owner_of(name),
        name,
        [RefundItem(gid_line(line), line["quantity"])],
        idempotency_key="f-1",
        note="Damaged on arrival",
    )
    assert result.ok, result
    assert Decimal(result.data["refund"]["amount"]) == line_total(line)
    state = sandbox_order(sandbox, name)
    assert len(state["refunds"]) == 1
    assert state["refunds"][0]["note"] == "Damaged on arrival"
    assert Decimal(state["refunds"][0]["transactions"][0]["amount"]) == line_total(line)
    assert state["financial_status"] in ("partially_refunded", "refunded")


def test_refund_the_same_line_twice_is_refused(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name, line = small_line_order()
    item = [RefundItem(gid_line(line), line["quantity"])]
    assert tools.refund(owner_of(name), name, item, idempotency_key="f-2").ok
    again = tools.refund(owner_of(name), name, item, idempotency_key="f-3")
    assert again.reason == Reason.ALREADY_REFUNDED
    assert len(sandbox_order(sandbox, name)["refunds"]) == 1


def test_refund_above_the_auto_approve_limit_is_refused(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("high_value_delivered")
    result = tools.refund(owner_of(name), name, idempotency_key="f-4")
    assert result.reason == Reason.ABOVE_AUTO_APPROVE_LIMIT
    assert Decimal(result.data["amount"]) > Decimal(result.data["limit"]) == Decimal("100.00")
    assert sandbox_order(sandbox, name)["refunds"] == []


def test_refund_more_than_paid_is_refused(tools: ShopifyTools) -> None:
    name = pick("delivered_recent")
    paid = Decimal(demo_orders()[name]["total_price"])
    result = tools.refund(
        owner_of(name), name, amount=paid + Decimal("0.01"), idempotency_key="f-5"
    )
    assert result.reason == Reason.EXCEEDS_PAID
    assert Decimal(result.data["refundable"]) == paid


def test_refund_of_a_fully_refunded_order_is_refused(tools: ShopifyTools) -> None:
    name = pick("refunded", lambda o: o["financial_status"] == "refunded")
    assert (
        tools.refund(owner_of(name), name, idempotency_key="f-6").reason == Reason.ALREADY_REFUNDED
    )


def test_refund_of_an_already_refunded_line_is_refused(tools: ShopifyTools) -> None:
    name = pick("partially_refunded")
    refunded_line = demo_orders()[name]["refunds"][0]["refund_line_items"][0]["line_item_id"]
    result = tools.refund(
        owner_of(name),
        name,
        [RefundItem(f"gid://shopify/LineItem/{refunded_line}")],
        idempotency_key="f-7",
    )
    assert result.reason == Reason.ALREADY_REFUNDED


def test_refund_of_an_unpaid_order_is_refused(tools: ShopifyTools) -> None:
    name = pick("unfulfilled_payment_pending")
    assert tools.refund(owner_of(name), name, idempotency_key="f-8").reason == Reason.NOT_PAID


def test_refund_of_zero_is_refused(tools: ShopifyTools) -> None:
    name = pick("delivered_recent")
    result = tools.refund(owner_of(name), name, amount="0", idempotency_key="f-9")
    assert result.reason == Reason.NOTHING_TO_REFUND


def test_goodwill_amount_refund(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("delivered_recent")
    result = tools.refund(owner_of(name), name, amount="12.50", idempotency_key="f-10")
    assert result.ok and result.data["refund"]["amount"] == "12.50"
    assert sandbox_order(sandbox, name)["refunds"][0]["refund_line_items"] == []


def test_refund_unknown_line_is_refused(tools: ShopifyTools) -> None:
    name = pick("delivered_recent")
    result = tools.refund(
        owner_of(name), name, [RefundItem("gid://shopify/LineItem/42")], idempotency_key="f-11"
    )
    assert result.reason == Reason.INVALID_ITEMS


# ---- update_shipping_address ------------------------------------------------------------------
def test_update_address_of_unfulfilled_order(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("unfulfilled")
    result = tools.update_shipping_address(owner_of(name), name, NEW_ADDRESS, idempotency_key="a-1")
    assert result.ok and result.data["changed"] is True
    state = sandbox_order(sandbox, name)["shipping_address"]
    assert (state["address1"], state["city"], state["zip"]) == ("88 Juniper Pl", "Bend", "97701")
    assert state["name"] == "Sam Lee"


def test_update_to_the_same_address_changes_nothing(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled")
    current = demo_orders()[name]["shipping_address"]
    same = ShippingAddress(
        current["address1"],
        current["city"],
        current["zip"],
        current["country_code"],
        address2=current["address2"],
        province_code=current["province_code"],
    )
    result = tools.update_shipping_address(owner_of(name), name, same, idempotency_key="a-2")
    assert result.ok and result.data["changed"] is False
    assert [r["operation"] for r in sandbox.requests].count("mutation") == 0


def test_update_address_refusals(tools: ShopifyTools) -> None:
    shipped = pick("in_transit")
    assert (
        tools.update_shipping_address(
            owner_of(shipped), shipped, NEW_ADDRESS, idempotency_key="a-3"
        ).reason
        == Reason.FULFILLMENT_STATUS_NOT_ALLOWED
    )
    cancelled = pick("cancelled")
    assert (
        tools.update_shipping_address(
            owner_of(cancelled), cancelled, NEW_ADDRESS, idempotency_key="a-4"
        ).reason
        == Reason.ORDER_CANCELLED
    )
    open_order = pick("unfulfilled")
    incomplete = ShippingAddress("", "Bend", "97701", "US")
    assert (
        tools.update_shipping_address(
            owner_of(open_order), open_order, incomplete, idempotency_key="a-5"
        ).reason
        == Reason.INVALID_ADDRESS
    )
    assert (
        tools.update_shipping_address(
            CustomerIdentity.of(email="x@example.com"),
            open_order,
            NEW_ADDRESS,
            idempotency_key="a-6",
        ).reason
        == Reason.NOT_OWNER
    )


def test_every_refusal_reason_is_exercised() -> None:
    """Keep this list in step with `Reason`: each code has a test above, in test_reads or (for
    the agent's own refusals) in tests/agent."""
    covered = {
        "identity_required",
        "order_not_found",
        "not_owner",
        "customer_not_found",
        "fulfillment_status_not_allowed",
        "already_cancelled",
        "order_cancelled",
        "not_fulfilled",
        "outside_return_window",
        "final_sale",
        "already_returned",
        "invalid_items",
        "invalid_address",
        "not_paid",
        "above_auto_approve_limit",
        "exceeds_paid",
        "already_refunded",
        "nothing_to_refund",
        "shop_refused",
        "partial_order",  # the agent's refusal: tests/agent/test_order_parts.py
    }
    assert covered == {reason.value for reason in Reason}


# ---- preview_refund ---------------------------------------------------------------------------
def test_preview_refund_quotes_without_changing_anything(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name, line = small_line_order()
    items = [RefundItem(gid_line(line), line["quantity"])]
    preview = tools.preview_refund(owner_of(name), name, items)
    assert preview.ok and preview.tool == "refund" and preview.data["preview"] is True
    assert Decimal(preview.data["amount"]) == line_total(line)
    assert preview.data["limit"] == "100.00" and preview.data["currency"] == "USD"
    assert preview.data["line_items"] == [
        {"line_item_id": gid_line(line), "quantity": line["quantity"]}
    ]
    assert mutations_in(sandbox) == 0 and sandbox_order(sandbox, name)["refunds"] == []
    refund = tools.refund(owner_of(name), name, items, idempotency_key="f-12")
    assert refund.data["refund"]["amount"] == preview.data["amount"]


def test_preview_refund_gives_the_same_refusals(tools: ShopifyTools) -> None:
    big = pick("high_value_delivered")
    result = tools.preview_refund(owner_of(big), big)
    assert result.reason == Reason.ABOVE_AUTO_APPROVE_LIMIT and result.data["limit"] == "100.00"
    stranger = CustomerIdentity.of(email="eve@example.com")
    assert tools.preview_refund(stranger, big).reason == Reason.NOT_OWNER


def mutations_in(server: SandboxServer) -> int:
    return [r["operation"] for r in server.requests].count("mutation")


def test_address_change_keeps_the_recipient_and_needs_a_state(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled", lambda o: o["shipping_address"]["country_code"] == "US")
    before = demo_orders()[name]["shipping_address"]
    street_only = ShippingAddress("500 Elm St", "Madison", "53703", "US", province_code="WI")
    assert tools.update_shipping_address(
        owner_of(name), name, street_only, idempotency_key="a-7"
    ).ok
    after = sandbox_order(sandbox, name)["shipping_address"]
    assert (after["first_name"], after["last_name"]) == (before["first_name"], before["last_name"])
    assert after["province_code"] == "WI"
    no_state = ShippingAddress("500 Elm St", "Madison", "53703", "US")
    assert (
        tools.update_shipping_address(owner_of(name), name, no_state, idempotency_key="a-8").reason
        == Reason.INVALID_ADDRESS
    )
