"""A second, tiny store written here in REST export shape: every tool works on it unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tools import (
    CustomerIdentity,
    RefundItem,
    RetryPolicy,
    ReturnItem,
    ShippingAddress,
    ShopifyClient,
    ShopifyTools,
    StorePolicy,
)
from tools.sandbox import SandboxServer

TODAY = date(2025, 3, 10)
ANA = CustomerIdentity.of(email="ana@tiny.example")
BEN = CustomerIdentity.of(phone="+447700900123")
CY = CustomerIdentity.of(email="cy@tiny.example")


def _line(line_id: int, product_id: int, title: str, price: str, quantity: int = 1) -> dict:
    return {
        "id": line_id,
        "product_id": product_id,
        "variant_id": product_id * 10,
        "title": title,
        "name": title,
        "sku": f"T-{line_id}",
        "quantity": quantity,
        "price": price,
        "total_discount": "0.00",
        "fulfillable_quantity": quantity,
        "tax_lines": [],
    }


def write_tiny_store(root: Path) -> Path:
    """Two customers, two products, three orders; no store.json, tags as REST strings."""
    folder = root / "tiny" / "sandbox"
    folder.mkdir(parents=True)
    customers = [
        {
            "id": 1,
            "email": "ana@tiny.example",
            "phone": None,
            "first_name": "Ana",
            "last_name": "Lopez",
            "created_at": "2024-01-01T10:00:00-05:00",
        },
        {
            "id": 2,
            "email": None,
            "phone": "+447700900123",
            "first_name": "Ben",
            "last_name": "Carter",
            "created_at": "2024-02-01T10:00:00+00:00",
        },
    ]
    products = [
        {
            "id": 11,
            "title": "Canvas Cap",
            "tags": "hats",
            "product_type": "Hats",
            "vendor": "Tiny",
            "variants": [
                {
                    "id": 110,
                    "product_id": 11,
                    "title": "Default Title",
                    "price": "25.00",
                    "sku": "CAP",
                }
            ],
        },
        {
            "id": 12,
            "title": "Mystery Box",
            "tags": "final-sale, boxes",
            "vendor": "Tiny",
            "variants": [{"id": 120, "product_id": 12, "title": "Default Title", "price": "40.00"}],
        },
    ]
    delivered = {
        "id": 501,
        "name": "#T1",
        "email": "ana@tiny.example",
        "currency": "EUR",
        "created_at": "2025-03-01T09:00:00+01:00",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "total_price": "65.00",
        "subtotal_price": "65.00",
        "customer": {"id": 1, "email": "ana@tiny.example"},
        "line_items": [
            _line(901, 11, "Canvas Cap", "25.00"),
            _line(902, 12, "Mystery Box", "40.00"),
        ],
        "fulfillments": [
            {
                "id": 71,
                "status": "success",
                "created_at": "2025-03-02T09:00:00Z",
                "updated_at": "2025-03-04T15:00:00Z",
                "shipment_status": "delivered",
                "tracking_company": "DHL Express",
                "tracking_number": "1234567890",
                "tracking_url": "https://www.dhl.com/track?id=1234567890",
                "line_items": [{"id": 901, "quantity": 1}, {"id": 902, "quantity": 1}],
            }
        ],
    }
    open_order = {
        "id": 502,
        "name": "#T2",
        "phone": "+447700900123",
        "email": None,
        "created_at": "2025-03-09T09:00:00Z",
        "financial_status": "paid",
        "fulfillment_status": None,
        "total_price": "50.00",
        "customer": {"id": 2, "phone": "+447700900123"},
        "shipping_address": {
            "first_name": "Ben",
            "last_name": "Carter",
            "address1": "1 Old Rd",
            "city": "Leeds",
            "zip": "LS1 1AA",
            "country": "United Kingdom",
            "country_code": "GB",
        },
        "line_items": [_line(903, 11, "Canvas Cap", "25.00", quantity=2)],
    }
    old = {
        **delivered,
        "id": 503,
        "name": "#T3",
        "created_at": "2024-12-01T09:00:00Z",
        "line_items": [_line(904, 11, "Canvas Cap", "25.00")],
        "total_price": "25.00",
        "fulfillments": [
            {
                "id": 72,
                "status": "success",
                "created_at": "2024-12-02T09:00:00Z",
                "updated_at": "2024-12-05T09:00:00Z",
                "shipment_status": "delivered",
                "line_items": [{"id": 904, "quantity": 1}],
            }
        ],
    }
    guest = {
        **open_order,
        "id": 504,
        "name": "#T4",
        "phone": None,
        "email": None,
        "customer": {"id": 3, "email": "cy@tiny.example", "first_name": "Cy"},
    }
    for name, key, items in (
        ("customers", "customers", customers),
        ("products", "products", products),
        ("orders", "orders", [delivered, open_order, old, guest]),
    ):
        (folder / f"{name}.json").write_text(json.dumps({key: items}), encoding="utf-8")
    return folder


@pytest.fixture
def tiny_tools(tmp_path: Path) -> Iterator[tuple[ShopifyTools, SandboxServer]]:
    with SandboxServer(write_tiny_store(tmp_path), "tiny-token") as server:
        client = ShopifyClient(server.url, "tiny-token", retry=RetryPolicy(base_delay=0.01))
        policy = StorePolicy.model_validate(
            {
                "store": {"currency": "EUR", "timezone": "Europe/Berlin"},
                "refunds": {"auto_approve_limit": 30},
            }
        )
        yield ShopifyTools(client, policy), server


def test_every_tool_on_a_store_written_in_the_test(tiny_tools) -> None:
    tools, server = tiny_tools
    assert server.today is None
    orders = tools.lookup_orders(ANA)
    assert [o["name"] for o in orders.data["orders"]] == ["#T1", "#T3"]
    assert tools.lookup_orders(BEN).data["orders"][0]["name"] == "#T2"
    assert tools.lookup_customer(BEN).data["customer"]["name"] == "Ben Carter"

    order = tools.get_order(ANA, "#T1", today=TODAY)
    assert order.data["order"]["currency"] == "EUR"
    assert order.data["order"]["shipments"][0]["carrier"] == "DHL Express"
    assert order.data["order"]["shipments"][0]["status"] == "delivered"
    eligibility = {e["name"]: e for e in order.data["returns_eligibility"]}
    assert eligibility["Mystery Box"]["reason"] == "final_sale"
    assert eligibility["Canvas Cap"]["return_deadline"] == "2025-04-03"

    assert tools.get_order(BEN, "#T1").reason == "not_owner"
    returned = tools.create_return(ANA, "#T1", today=TODAY, idempotency_key="t-1")
    assert returned.ok and returned.data["items"][0]["returnable_quantity"] == 1
    assert (
        tools.create_return(ANA, "#T3", today=TODAY, idempotency_key="t-2").reason
        == "outside_return_window"
    )
    box = tools.get_order(ANA, "#T1").data["order"]["lines"][1]["id"]
    assert (
        tools.refund(ANA, "#T1", [RefundItem(box)], idempotency_key="t-3").reason
        == "above_auto_approve_limit"
    )
    cap = tools.get_order(ANA, "#T1").data["order"]["lines"][0]["id"]
    refund = tools.refund(ANA, "#T1", [RefundItem(cap)], idempotency_key="t-4")
    assert refund.ok and refund.data["refund"]["amount"] == "25.00"
    assert refund.data["order"]["financial_status"] == "partially_refunded"

    new_home = ShippingAddress("2 New Rd", "York", "YO1 7HH", "GB", first_name="Ben")
    moved = tools.update_shipping_address(BEN, "#T2", new_home, idempotency_key="t-5")
    assert moved.ok and "2 New Rd" in moved.data["order"]["shipping_address"]
    # Cancelling refunds what was paid: above the store's 30 EUR limit a person decides...
    held = tools.cancel_order(BEN, "#T2", idempotency_key="t-6")
    assert held.reason == "above_auto_approve_limit" and held.data["amount"] > "30"
    assert not held.data["order"]["cancelled_at"]
    # ...unless the store lets cancellations refund any amount.
    cancellations = tools.policy.cancellations.model_copy(update={"refund_over_limit": "allow"})
    tools.policy = tools.policy.model_copy(update={"cancellations": cancellations})
    cancelled = tools.cancel_order(BEN, "#T2", idempotency_key="t-6b")
    assert cancelled.ok and cancelled.data["order"]["cancelled_at"]
    assert tools.create_return(
        BEN, "#T2", [ReturnItem(cap)], today=TODAY, idempotency_key="t-7"
    ).reason in ("invalid_items", "order_cancelled")


def test_orders_of_customers_missing_from_customers_json(tiny_tools) -> None:
    tools, _ = tiny_tools
    orders = tools.lookup_orders(CY)
    assert [o["name"] for o in orders.data["orders"]] == ["#T4"]
    assert tools.get_order(CY, "#T4").ok
    assert tools.lookup_customer(CY).reason == "customer_not_found"
