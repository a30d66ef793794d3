"""Refusal explanations: every `Reason` says why from the order's facts, and what next.

Orders come from the demo sandbox through the real tools wherever the sandbox can produce the
refusal, so the summary shape cannot drift from `tools.summaries`; the rest are built with the
summary dataclasses themselves. The knowledge stand-in is the project's BM25 index over the demo
store's own knowledge files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from agent.refusals import EXPLAINERS, Explanation, explain_refusal, money
from knowledge.lexical import LexicalIndex
from knowledge.passages import load_passages
from knowledge.store import StoredPassage
from tools import (
    CustomerIdentity,
    RefundItem,
    ReturnItem,
    ShippingAddress,
    ShopifyClient,
    ShopifyTools,
    StorePolicy,
    ToolResult,
    load_policy,
)
from tools.policy import ReturnsPolicy
from tools.results import NOT_FOUND_SENTENCE, Reason, Status
from tools.sandbox import SandboxServer
from tools.summaries import LineSummary, OrderSummary, Shipment

PROJECT = Path(__file__).resolve().parents[2]
DEMO_STORE = PROJECT / "stores" / "demo"
TOKEN = "refusals-token"
TODAY = date(2026, 11, 20)
POLICY = load_policy(DEMO_STORE / "policy.yaml")
DAY_COUNT = re.compile(r"\b\d+\s*(?:to\s*\d+\s*)?(?:business\s+)?(?:days?|weeks?)\b", re.I)


# --- the demo sandbox, read through the real tools ---------------------------------------------


@cache
def demo_orders() -> dict[str, dict[str, Any]]:
    payload = json.loads((DEMO_STORE / "sandbox" / "orders.json").read_text(encoding="utf-8"))
    return {order["name"]: order for order in payload["orders"]}


def owner(name: str) -> CustomerIdentity:
    order = demo_orders()[name]
    return CustomerIdentity.of(email=order.get("email"), phone=order.get("phone"))


@pytest.fixture(scope="module")
def shop() -> Iterator[ShopifyTools]:
    server = SandboxServer(DEMO_STORE / "sandbox", TOKEN)
    server.start()
    try:
        yield ShopifyTools(ShopifyClient(server.url, TOKEN, timeout=2.0), POLICY)
    finally:
        server.stop()


def read(shop: ShopifyTools, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The order summary and per-line return eligibility, as `get_order` gives the agent."""
    result = shop.get_order(owner(name), name, TODAY)
    assert result.ok, result
    return result.data["order"], result.data["returns_eligibility"]


def explain_result(shop: ShopifyTools, name: str, result: ToolResult, **extra: Any) -> Explanation:
    """What the agent would say for a real refusal: its reason and data, the order as read."""
    assert result.status is Status.REFUSED, result
    order, lines = read(shop, name)
    return explain_refusal(
        result.reason or "",
        order=order,
        policy=POLICY,
        tool=result.tool,
        lines=extra.pop("lines", lines),
        facts=result.data,
        today=TODAY,
        **extra,
    )


def line_id(shop: ShopifyTools, name: str, title: str) -> str:
    order, _ = read(shop, name)
    return next(line["id"] for line in order["lines"] if line["name"].startswith(title))


# --- a knowledge stand-in over the demo store's own passages -----------------------------------


@cache
def demo_index() -> LexicalIndex:
    """The project's own BM25 index over the demo store's knowledge files (no model needed)."""
    folder = DEMO_STORE / "knowledge"
    passages = [p for path in sorted(folder.glob("*.md")) for p in load_passages(path, path.name)]
    return LexicalIndex(
        [StoredPassage(p.id, p.source, p.title, p.heading_path, p.text) for p in passages]
    )


def demo_knowledge(query: str) -> dict[str, Any] | None:
    """The best passage for `query`, in the shape the agent keeps passages in."""
    index = demo_index()
    scores = index.scores(query)
    best = int(scores.argmax())
    if scores[best] <= 0:
        return None
    passage = index.passages[best]
    heading = " > ".join(passage.heading_path)
    return {
        "id": passage.id,
        "heading": heading,
        "text": passage.text,
        "score": float(scores[best]),
    }


# --- summaries built with the summary dataclasses, for cases the sandbox does not hold ----------


def summary(
    *,
    name: str = "#2001",
    lines: list[LineSummary] | None = None,
    shipments: list[Shipment] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "gid://shopify/Order/2001",
        "name": name,
        "created_at": "2026-11-10T15:00:00Z",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "cancelled_at": None,
        "currency": "USD",
        "total": "120.00",
        "subtotal": "120.00",
        "tax": "0.00",
        "shipping": "0.00",
        "refunded": "0.00",
        "paid": "120.00",
        "shipping_address": ["1 Main St", "Portland ME 04101", "United States"],
        "returns": [],
        "refunds": [],
    }
    base.update(fields)
    return OrderSummary(
        **base,
        lines=lines if lines is not None else [jacket()],
        shipments=shipments if shipments is not None else [],
    ).to_json()


def jacket(**changes: Any) -> LineSummary:
    line = LineSummary(
        id="gid://shopify/LineItem/1",
        name="Ridgeline Rain Shell - M",
        sku="RS-M",
        quantity=1,
        refundable_quantity=1,
        unfulfilled_quantity=0,
        unit_price="120.00",
        total="120.00",
        tags=["outerwear"],
    )
    return LineSummary(**{**asdict(line), **changes})


def parcel(**changes: Any) -> Shipment:
    shipment = Shipment(
        name="#2001.1",
        carrier="FedEx",
        tracking_number="778112345678",
        tracking_url="https://www.fedex.com/fedextrack/?trknbr=778112345678",
        status="in_transit",
        shipped_at="2026-11-18T16:00:00Z",
        delivered_at=None,
        line_item_ids=["gid://shopify/LineItem/1"],
    )
    return Shipment(**{**asdict(shipment), **changes})


def explain(reason: Reason | str, order: dict[str, Any] | None, **kwargs: Any) -> Explanation:
    kwargs.setdefault("policy", POLICY)
    kwargs.setdefault("tool", "cancel_order")
    kwargs.setdefault("today", TODAY)
    return explain_refusal(reason, order=order, **kwargs)


# --- every reason -------------------------------------------------------------------------------


def test_every_reason_has_an_explainer() -> None:
    assert set(EXPLAINERS) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_explains_itself_in_plain_sentences(reason: Reason) -> None:
    order = summary(shipments=[parcel()])
    result = explain(reason, order, tool="refund", facts={"amount": "150.00", "limit": "100.00"})
    assert result.text and result.next_step
    assert result.text.endswith((".", "?")), result.text
    assert not re.search(r"None|\{|\}|\s\s|\s[.,;:]", result.text), result.text
    assert result.sources == []


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_survives_an_order_with_nothing_on_it(reason: Reason) -> None:
    bare = {"name": "#3001", "lines": [], "shipments": [], "refunds": [], "returns": []}
    for order in (None, bare):
        result = explain(reason, order)
        assert result.text and "None" not in result.text


def test_a_code_that_is_not_a_reason_is_an_error() -> None:
    with pytest.raises(ValueError):
        explain("not_verified", summary())


def test_not_found_and_not_owner_say_the_same_and_nothing_about_the_order() -> None:
    order = summary(shipments=[parcel()])
    missing = explain(Reason.ORDER_NOT_FOUND, None)
    hidden = explain("not_owner", order)
    assert missing == hidden
    assert hidden.text.startswith(NOT_FOUND_SENTENCE)
    for fact in ("#2001", "FedEx", "778112345678", "Rain Shell", "120"):
        assert fact not in hidden.text


def test_not_found_and_not_owner_from_the_sandbox(shop: ShopifyTools) -> None:
    stranger = CustomerIdentity.of(email="nobody@example.com")
    not_owner = shop.get_order(stranger, "#1096")
    not_found = shop.get_order(stranger, "#9999")
    assert (not_owner.reason, not_found.reason) == ("not_owner", "order_not_found")
    texts = {
        explain(result.reason or "", None, tool="get_order").text
        for result in (not_owner, not_found)
    }
    assert len(texts) == 1


# --- fulfillment_status_not_allowed -------------------------------------------------------------


def test_cancel_after_shipping_names_carrier_date_tracking_and_what_next() -> None:
    policy = StorePolicy(returns=ReturnsPolicy(window_days=45))
    order = summary(name="#1042", shipments=[parcel()])
    result = explain("fulfillment_status_not_allowed", order, policy=policy)
    assert result.text == (
        "Order #1042 shipped with FedEx on Nov 18 (tracking 778112345678, "
        "https://www.fedex.com/fedextrack/?trknbr=778112345678), so it can't be cancelled any "
        "more. You can ask FedEx to hold or redirect it from the tracking page, and once it "
        "arrives you can return it within 45 days of delivery."
    )
    assert "FedEx" in result.next_step


def test_cancel_refused_by_the_sandbox_for_an_order_in_transit(shop: ShopifyTools) -> None:
    refusal = shop.cancel_order(owner("#1096"), "#1096", idempotency_key="refusals-1096")
    result = explain_result(shop, "#1096", refusal)
    shipment = read(shop, "#1096")[0]["shipments"][0]
    assert refusal.reason == "fulfillment_status_not_allowed"
    for fact in (shipment["carrier"], shipment["tracking_number"], shipment["tracking_url"]):
        assert fact in result.text
    assert "can't be cancelled" in result.text
    assert "within 30 days of delivery" in result.text


def test_partially_shipped_order_says_which_part_shipped(shop: ShopifyTools) -> None:
    refusal = shop.cancel_order(owner("#1087"), "#1087", idempotency_key="refusals-1087")
    result = explain_result(shop, "#1087", refusal)
    assert result.text.startswith(
        "Part of order #1087 has already shipped, so the order can't be cancelled any more: "
        "the Tamarack Beanie - Charcoal shipped with UPS on Nov 12 (tracking 1Z8560X28338875572"
    )
    assert (
        "The Switchback Hiking Shorts - S hasn't shipped yet. You can ask UPS to hold or redirect "
        "the parcel from the tracking page, and once it arrives" in result.text
    )


def test_cancel_after_delivery_gives_what_can_still_be_returned(shop: ShopifyTools) -> None:
    refusal = shop.cancel_order(owner("#1042"), "#1042", idempotency_key="refusals-1042c")
    result = explain_result(shop, "#1042", refusal)
    assert result.text == (
        "Order #1042 shipped with UPS on Oct 19 (tracking 1Z8DMSFF0127967642) and was delivered "
        "on Oct 24, so it can't be cancelled any more. The Quilted Camp Blanket - Forest and "
        "Drift 20F Sleeping Bag - Long can still be returned until Nov 23, if you'd like."
    )


def test_two_parcels_and_a_line_still_to_ship() -> None:
    boots = jacket(id="gid://shopify/LineItem/2", name="Summit Boots", quantity=2)
    boots = LineSummary(**{**asdict(boots), "unfulfilled_quantity": 1})
    first = parcel(
        carrier="DHL", tracking_url=None, status="delivered", delivered_at="2026-11-19T15:00:00Z"
    )
    second = parcel(
        name="#2001.2",
        carrier="UPS",
        tracking_number="1Z999",
        tracking_url="https://ups.example/1Z999",
        line_item_ids=["gid://shopify/LineItem/2"],
    )
    order = summary(lines=[jacket(), boots], shipments=[first, second])
    result = explain("fulfillment_status_not_allowed", order)
    assert result.text == (
        "Part of order #2001 has already shipped, so the order can't be cancelled any more: the "
        "Ridgeline Rain Shell - M shipped with DHL on Nov 18 (tracking 778112345678) and was "
        "delivered on Nov 19; the Summit Boots shipped with UPS on Nov 18 (tracking 1Z999, "
        "https://ups.example/1Z999). The remaining Summit Boots hasn't shipped yet. You can ask "
        "UPS to hold or redirect the parcel from the tracking page, and once it arrives you can "
        "return it within 30 days of delivery."
    )


def test_address_change_after_shipping_points_to_the_carrier() -> None:
    order = summary(shipments=[parcel(carrier="UPS", status="out_for_delivery")])
    result = explain("fulfillment_status_not_allowed", order, tool="update_shipping_address")
    assert "its delivery address can't be changed any more" in result.text
    assert "it's out for delivery" in result.text
    assert "ask UPS to redirect it from the tracking page" in result.text
    assert result.next_step == "Ask UPS to redirect it."


def test_no_carrier_and_no_tracking_are_left_out() -> None:
    order = summary(
        shipments=[parcel(carrier=None, tracking_number=None, tracking_url=None)],
    )
    result = explain("fulfillment_status_not_allowed", order)
    assert result.text == (
        "Order #2001 shipped on Nov 18, so it can't be cancelled any more. Once it arrives you "
        "can return it within 30 days of delivery."
    )


def test_delivered_order_gives_the_return_deadline_and_final_sale_exceptions() -> None:
    balm = jacket(id="gid://shopify/LineItem/2", name="Trail Lip Balm", tags=["final-sale"])
    delivered = parcel(
        status="delivered",
        delivered_at="2026-11-19T15:00:00Z",
        line_item_ids=["gid://shopify/LineItem/1", "gid://shopify/LineItem/2"],
    )
    result = explain(
        "fulfillment_status_not_allowed", summary(lines=[jacket(), balm], shipments=[delivered])
    )
    assert "and was delivered on Nov 19" in result.text
    assert (
        "return it until Dec 19 (30 days from delivery) (except the final-sale Trail Lip Balm)"
        in result.text
    )
    assert "fedextrack" not in result.text  # no tracking link for a parcel already delivered


def test_not_yet_shipped_but_past_the_allowed_status() -> None:
    order = summary(fulfillment_status="in_progress")
    result = explain("fulfillment_status_not_allowed", order)
    assert "already being prepared for shipping (in progress)" in result.text


# --- returns ------------------------------------------------------------------------------------


def test_outside_return_window_from_the_sandbox(shop: ShopifyTools) -> None:
    refusal = shop.create_return(
        owner("#1001"), "#1001", today=TODAY, idempotency_key="refusals-1001"
    )
    assert refusal.reason == "outside_return_window"
    result = explain_result(shop, "#1001", refusal)
    assert result.text.startswith(
        "The Ridgeline Rain Shell - S / Spruce and Basin Trail Runner - 11 from order #1001 "
        "were delivered on Apr 4, and our 30-day return window ended on May 4, so I can't start "
        "a return for them. If something is faulty, tell me what's wrong and I'll pass it to a "
        "person on our team."
    )
    assert "faulty" in result.text and "person on our team" in result.text


def test_outside_return_window_uses_the_lines_deadline() -> None:
    old = parcel(status="delivered", delivered_at="2026-09-01T15:00:00Z")
    lines = [
        {
            "line_item_id": "gid://shopify/LineItem/1",
            "name": "Ridgeline Rain Shell - M",
            "returnable_quantity": 0,
            "reason": "outside_return_window",
            "deadline": "2026-10-15",
        }
    ]
    result = explain(
        "outside_return_window", summary(shipments=[old]), tool="create_return", lines=lines
    )
    assert "delivered on Sep 1, and our 30-day return window ended on Oct 15" in result.text


def test_outside_return_window_quotes_the_warranty_when_knowledge_has_it() -> None:
    old = parcel(status="delivered", delivered_at="2026-09-01T15:00:00Z")
    result = explain(
        "outside_return_window",
        summary(shipments=[old]),
        tool="create_return",
        knowledge=demo_knowledge,
    )
    assert "ended on Oct 1" in result.text
    assert [s["id"].split("#")[0] for s in result.sources] == ["warranty.md"]
    assert result.text.endswith(
        "Northwind-brand products are guaranteed against defects in materials and workmanship "
        "for 2 years from delivery."
    )


def test_final_sale_from_the_sandbox(shop: ShopifyTools) -> None:
    balm = line_id(shop, "#1053", "Trail Lip Balm")
    refusal = shop.create_return(
        owner("#1053"),
        "#1053",
        [ReturnItem(balm, 1)],
        today=TODAY,
        idempotency_key="refusals-1053",
    )
    assert refusal.reason == "final_sale"
    result = explain_result(shop, "#1053", refusal)
    assert result.text.startswith(
        "The Trail Lip Balm (2-Pack) - Standard from order #1053 is marked final-sale, and "
        "final-sale items can't be returned."
    )
    assert "The Basin Trail Runner - 9 can still be returned until Nov 29" in result.text
    assert "If something arrived damaged or faulty" in result.text


def test_final_sale_names_the_stores_own_tag() -> None:
    policy = StorePolicy(returns=ReturnsPolicy(exclude_tags=["Clearance"]))
    order = summary(lines=[jacket(tags=["clearance"])])
    result = explain("final_sale", order, policy=policy, tool="create_return")
    assert "Ridgeline Rain Shell - M from order #2001 is marked Clearance" in result.text


def test_not_fulfilled_offers_to_cancel_while_unshipped() -> None:
    order = summary(fulfillment_status="unfulfilled", lines=[jacket(unfulfilled_quantity=1)])
    result = explain("not_fulfilled", order, tool="create_return")
    assert result.text == (
        "The Ridgeline Rain Shell - M from order #2001 hasn't shipped yet, so there's nothing to "
        "return yet. If you no longer want it, I can cancel the order while it hasn't shipped."
    )


def test_not_fulfilled_part_of_a_shipped_order(shop: ShopifyTools) -> None:
    shorts = line_id(shop, "#1087", "Switchback")
    refusal = shop.create_return(
        owner("#1087"), "#1087", [ReturnItem(shorts, 1)], today=TODAY, idempotency_key="r-1087"
    )
    assert refusal.reason == "not_fulfilled"
    result = explain_result(shop, "#1087", refusal)
    assert result.text.startswith("The Switchback Hiking Shorts - S from order #1087 hasn't")
    assert "Once it's delivered you can return it within 30 days of delivery." in result.text


def test_already_returned_names_the_open_return() -> None:
    order = summary(
        shipments=[parcel(status="delivered", delivered_at="2026-11-15T15:00:00Z")],
        returns=[
            {
                "id": "gid://shopify/Return/1",
                "name": "#2001-R1",
                "status": "open",
                "items": [{"line_item_id": "gid://shopify/LineItem/1", "quantity": 1}],
            }
        ],
    )
    lines = [
        {
            "line_item_id": "gid://shopify/LineItem/1",
            "name": "Ridgeline Rain Shell - M",
            "returnable_quantity": 0,
            "reason": "already_returned",
            "return_deadline": None,
        }
    ]
    result = explain("already_returned", order, tool="create_return", lines=lines)
    assert "There's already a return for the Ridgeline Rain Shell - M" in result.text
    assert "(#2001-R1, open)" in result.text


# --- refunds ------------------------------------------------------------------------------------


def test_above_the_limit_from_the_sandbox(shop: ShopifyTools) -> None:
    refusal = shop.preview_refund(owner("#1066"), "#1066")
    assert refusal.reason == "above_auto_approve_limit"
    result = explain_result(shop, "#1066", refusal)
    amount = money("USD", refusal.data["amount"])
    assert result.text.startswith(
        f"A refund of {amount} on order #1066 is more than the $100.00 I can approve myself, so "
        "a person on our team decides on it. Nothing has been refunded yet."
    )
    assert result.text.endswith("They'll look at it and reply within one business day.")


def test_above_the_limit_quotes_the_stores_review_time() -> None:
    facts = {"amount": "150.00", "currency": "EUR", "limit": "100.00"}
    order = summary(currency="EUR")
    result = explain(
        "above_auto_approve_limit", order, tool="refund", facts=facts, knowledge=demo_knowledge
    )
    assert "A refund of EUR 150.00 on order #2001 is more than the EUR 100.00" in result.text
    assert "this review normally takes 1 to 2 business days" in result.text
    assert "one business day" not in result.text
    assert result.sources and result.sources[0]["id"] == "refunds.md#refunds-over-100"


def test_cancelled_order_from_the_sandbox_with_knowledge(shop: ShopifyTools) -> None:
    refusal = shop.cancel_order(owner("#1029"), "#1029", idempotency_key="refusals-1029")
    assert refusal.reason == "already_cancelled"
    result = explain_result(shop, "#1029", refusal, knowledge=demo_knowledge)
    assert result.text.startswith(
        "Order #1029 was cancelled on Sep 25, so there's nothing left to cancel. $68.66 was "
        "refunded to the original payment method on Sep 25."
    )
    quoted = demo_knowledge("how long does a refund take to arrive on my card")
    assert quoted is not None
    assert result.sources == [
        {"id": quoted["id"], "title": quoted["heading"], "score": quoted["score"]}
    ]
    sentence = result.text.split("Sep 25. ")[-1]
    assert sentence in quoted["text"] and DAY_COUNT.search(sentence)


def test_cancelled_order_without_knowledge_invents_no_day_count(shop: ShopifyTools) -> None:
    refusal = shop.cancel_order(owner("#1029"), "#1029", idempotency_key="refusals-1029b")
    result = explain_result(shop, "#1029", refusal)
    assert "$68.66" in result.text and "Sep 25" in result.text
    assert not DAY_COUNT.search(result.text)
    assert "depends on your bank or payment provider" in result.text
    assert result.sources == []


def test_order_cancelled_blocks_an_address_change(shop: ShopifyTools) -> None:
    address = ShippingAddress("2 New Rd", "Austin", "78704", "US", province_code="TX")
    refusal = shop.update_shipping_address(
        owner("#1029"), "#1029", address, idempotency_key="refusals-1029c"
    )
    assert refusal.reason == "order_cancelled"
    result = explain_result(shop, "#1029", refusal)
    assert result.text.startswith(
        "Order #1029 was cancelled on Sep 25, so its delivery address can't be changed any more."
    )


def test_already_refunded_from_the_sandbox(shop: ShopifyTools) -> None:
    refusal = shop.refund(owner("#1017"), "#1017", idempotency_key="refusals-1017")
    assert refusal.reason == "already_refunded"
    order, _ = read(shop, "#1017")
    result = explain_result(shop, "#1017", refusal, knowledge=demo_knowledge)
    assert result.text.startswith("Everything paid on order #1017 has already been refunded.")
    assert money("USD", order["refunds"][0]["amount"]) in result.text
    assert result.sources and DAY_COUNT.search(result.text)


def test_already_refunded_line_names_the_item(shop: ShopifyTools) -> None:
    flannel = line_id(shop, "#1042", "Cascade Flannel Shirt")
    refusal = shop.refund(
        owner("#1042"), "#1042", [RefundItem(flannel, 1)], idempotency_key="refusals-1042"
    )
    assert refusal.reason == "already_refunded"
    result = explain_result(shop, "#1042", refusal)
    assert result.text.startswith(
        "The Cascade Flannel Shirt - L / Red Plaid from order #1042 has already been refunded. "
        "$71.74 was refunded to the original payment method on Oct 31."
    )
    assert not DAY_COUNT.search(result.text)


def test_several_refunds_are_listed_with_their_total() -> None:
    refunds = [
        {"id": "r1", "created_at": "2026-11-02T15:00:00Z", "amount": "20.00", "note": None},
        {"id": "r2", "created_at": "2026-11-09T15:00:00Z", "amount": "30.50", "note": None},
    ]
    order = summary(refunds=refunds, refunded="50.50", currency="CAD")
    result = explain("nothing_to_refund", order, tool="refund")
    assert result.text.startswith(
        "There's nothing left to refund on order #2001. In total CAD 50.50 was refunded to the "
        "original payment method (CAD 20.00 on Nov 2 and CAD 30.50 on Nov 9)."
    )


def test_not_paid_from_the_sandbox(shop: ShopifyTools) -> None:
    refusal = shop.refund(owner("#1141"), "#1141", idempotency_key="refusals-1141")
    assert refusal.reason == "not_paid"
    result = explain_result(shop, "#1141", refusal)
    order, _ = read(shop, "#1141")
    status = order["financial_status"].replace("_", " ")
    assert result.text.startswith(
        f"Order #1141 hasn't been paid yet (payment {status}), so there's nothing to refund. "
        "If you don't want it any more, I can cancel it while it hasn't shipped."
    )


def test_exceeds_paid_gives_what_can_still_be_refunded() -> None:
    order = summary(paid="120.00", refunded="20.00")
    result = explain("exceeds_paid", order, tool="refund", facts={"refundable": "100.00"})
    assert result.text == (
        "That's more than was paid on order #2001 ($120.00 paid, $20.00 already refunded): the "
        "most that can still be refunded is $100.00. I can refund up to that instead, or pass it "
        "to a person on our team."
    )


# --- the rest -----------------------------------------------------------------------------------


def test_invalid_items_lists_what_is_on_the_order() -> None:
    result = explain("invalid_items", summary(), tool="create_return")
    assert result.text == (
        "I couldn't match that to an item on order #2001, which has 1 x Ridgeline Rain Shell - M. "
        "Which one do you mean?"
    )


def test_invalid_address_from_the_sandbox(shop: ShopifyTools) -> None:
    incomplete = ShippingAddress("", "Asheville", "28801", "US", province_code="NC")
    refusal = shop.update_shipping_address(
        owner("#1125"), "#1125", incomplete, idempotency_key="refusals-1125"
    )
    assert refusal.reason == "invalid_address"
    result = explain_result(shop, "#1125", refusal)
    assert "the address on order #1125 hasn't been changed" in result.text


def test_identity_and_customer_and_shop_refusals() -> None:
    assert "confirm who you are" in explain("identity_required", None).text
    assert "customer account" in explain("customer_not_found", None).text
    shop_refused = explain("shop_refused", summary(), tool="update_shipping_address")
    assert shop_refused.text.startswith("The store's system didn't accept this change to order")
    assert "nothing was changed" in shop_refused.text


def test_money_and_dates() -> None:
    assert money("USD", "12.5") == "$12.50"
    assert money("EUR", Decimal("12.5")) == "EUR 12.50"
    order = summary(cancelled_at="2025-12-30T15:00:00Z")
    assert "cancelled on Dec 30, 2025" in explain("already_cancelled", order).text
    assert "2025" not in explain("already_cancelled", order, today=None).text
