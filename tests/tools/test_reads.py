"""Read tools: the customer's own orders only, with tracking the agent can explain."""

from __future__ import annotations

import pytest

from tests.tools.conftest import TODAY, demo_orders, owner_of, pick
from tools import NOT_FOUND_SENTENCE, CustomerIdentity, Reason, ShopifyTools, Status
from tools.sandbox import SandboxServer


def test_lookup_orders_by_email_newest_first(tools: ShopifyTools) -> None:
    name = pick("delivered_recent", lambda o: o["email"] and not o["phone"])
    result = tools.lookup_orders(CustomerIdentity.of(email=demo_orders()[name]["email"].upper()))
    assert result.status is Status.DONE
    names = [o["name"] for o in result.data["orders"]]
    assert name in names
    created = [o["created_at"] for o in result.data["orders"]]
    assert created == sorted(created, reverse=True)


def test_lookup_orders_for_a_phone_only_customer(tools: ShopifyTools) -> None:
    name = next(n for n, o in demo_orders().items() if o["phone"] and not o["email"])
    result = tools.lookup_orders(CustomerIdentity.of(phone=demo_orders()[name]["phone"]))
    assert name in [o["name"] for o in result.data["orders"]]
    expected = {n for n, o in demo_orders().items() if o["phone"] == demo_orders()[name]["phone"]}
    assert {o["name"] for o in result.data["orders"]} == expected


def test_lookup_orders_by_name_and_shopify_customer_id(tools: ShopifyTools) -> None:
    name = pick("in_transit")
    customer_id = demo_orders()[name]["customer"]["id"]
    me = CustomerIdentity.of(shopify_customer_id=f"gid://shopify/Customer/{customer_id}")
    result = tools.lookup_orders(me, order_name=name)
    assert [o["name"] for o in result.data["orders"]] == [name]
    assert result.data["orders"][0]["tracking"]["status"] in {
        "in_transit",
        "confirmed",
        "label_printed",
    }


def test_no_orders_is_done_with_an_empty_list(tools: ShopifyTools) -> None:
    result = tools.lookup_orders(CustomerIdentity.of(email="nobody@example.com"))
    assert result.ok and result.data["orders"] == []


def test_without_identity_nothing_is_shown(tools: ShopifyTools) -> None:
    assert tools.lookup_orders(CustomerIdentity()).reason == Reason.IDENTITY_REQUIRED
    assert tools.get_order(CustomerIdentity(), "#1001").reason == Reason.IDENTITY_REQUIRED
    assert tools.lookup_customer(CustomerIdentity()).reason == Reason.IDENTITY_REQUIRED


def test_someone_elses_order_looks_exactly_like_a_missing_one(tools: ShopifyTools) -> None:
    stranger = CustomerIdentity.of(email="stranger@example.com", phone="+15005550006")
    other = tools.get_order(stranger, "#1001")
    missing = tools.get_order(stranger, "#99999")
    assert other.status is missing.status is Status.REFUSED
    assert (other.reason, missing.reason) == (Reason.NOT_OWNER, Reason.ORDER_NOT_FOUND)
    assert other.detail == missing.detail == NOT_FOUND_SENTENCE
    assert other.data == missing.data == {}
    assert tools.lookup_orders(stranger, order_name="#1001").data == {}


@pytest.mark.parametrize("reference", ["#{n}", "{n}", " #{n} "])
def test_order_reference_forms(tools: ShopifyTools, reference: str) -> None:
    name = pick("unfulfilled")
    result = tools.get_order(owner_of(name), reference.format(n=name.lstrip("#")))
    assert result.ok and result.data["order"]["name"] == name


def test_order_by_gid(tools: ShopifyTools) -> None:
    name = pick("unfulfilled")
    gid = f"gid://shopify/Order/{demo_orders()[name]['id']}"
    assert tools.get_order(owner_of(name), gid).data["order"]["name"] == name


def test_injection_in_the_order_reference_finds_nothing(tools: ShopifyTools) -> None:
    me = owner_of("#1001")
    assert tools.get_order(me, '1001" OR email:*').reason == Reason.ORDER_NOT_FOUND


def test_get_order_in_transit_has_tracking(tools: ShopifyTools) -> None:
    name = pick("out_for_delivery")
    order = tools.get_order(owner_of(name), name).data["order"]
    shipment = order["shipments"][0]
    assert shipment["status"] == "out_for_delivery"
    assert shipment["carrier"] and shipment["tracking_number"] in shipment["tracking_url"]
    assert shipment["delivered_at"] is None
    assert order["fulfillment_status"] == "fulfilled"


def test_get_order_delivered_international(tools: ShopifyTools) -> None:
    name = next(
        n
        for n in pick_all("international")
        if demo_orders()[n]["fulfillments"]
        and demo_orders()[n]["fulfillments"][0]["shipment_status"] == "delivered"
    )
    order = tools.get_order(owner_of(name), name).data["order"]
    assert order["shipments"][0]["carrier"] in {"DHL Express", "Canada Post"}
    assert order["shipments"][0]["delivered_at"]
    assert order["shipping_address"][-1] != "United States"


def test_get_order_partially_fulfilled_and_refunds(tools: ShopifyTools) -> None:
    name = pick("partially_fulfilled")
    order = tools.get_order(owner_of(name), name).data["order"]
    assert order["fulfillment_status"] == "partially_fulfilled"
    assert any(line["unfulfilled_quantity"] > 0 for line in order["lines"])
    refunded = pick("partially_refunded")
    order = tools.get_order(owner_of(refunded), refunded).data["order"]
    assert order["financial_status"] == "partially_refunded"
    assert order["refunds"] and float(order["refunded"]) > 0


def test_get_order_with_today_reports_return_eligibility(tools: ShopifyTools) -> None:
    name = pick("final_sale_delivered", lambda o: len(o["line_items"]) > 1)
    result = tools.get_order(owner_of(name), name, today=TODAY)
    reasons = {e["reason"] for e in result.data["returns_eligibility"]}
    assert Reason.FINAL_SALE.value in reasons and None in reasons
    old = pick("delivered_outside_window")
    result = tools.get_order(owner_of(old), old, today=TODAY)
    assert {e["reason"] for e in result.data["returns_eligibility"]} == {
        "outside_return_window"
    } or "final_sale" in {e["reason"] for e in result.data["returns_eligibility"]}


def test_lookup_customer(tools: ShopifyTools) -> None:
    name = pick("delivered_recent")
    result = tools.lookup_customer(owner_of(name))
    customer = result.data["customer"]
    assert customer["id"] == f"gid://shopify/Customer/{demo_orders()[name]['customer']['id']}"
    assert customer["orders_count"] >= 1
    assert (
        tools.lookup_customer(CustomerIdentity.of(email="no@one.example")).reason
        == Reason.CUSTOMER_NOT_FOUND
    )


def test_reads_fail_as_results_when_the_shop_is_down(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    sandbox.inject(status=503, times=10)
    result = tools.get_order(owner_of("#1001"), "#1001")
    assert result.status is Status.FAILED
    assert result.reason == "shopify_unavailable" and result.data["retryable"] is True
    assert len(sandbox.requests) == 3


def test_throttled_reads_fail_as_throttled(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    sandbox.inject(throttled=True, times=10)
    result = tools.lookup_orders(owner_of("#1001"))
    assert (result.status, result.reason) == (Status.FAILED, "shopify_throttled")


def pick_all(scenario: str) -> list[str]:
    from tests.tools.conftest import scenarios

    return scenarios()[scenario]
