"""The demo store's fixtures: believable, complete, and exactly what the generator writes."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.tools.conftest import DEMO_SANDBOX, DEMO_STORE
from tools import load_policy
from tools.sandbox import load_fixtures

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def test_generator_is_deterministic_and_output_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(
        "generate_sandbox", DEMO_STORE / "generate_sandbox.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "generate_sandbox", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (DEMO_SANDBOX / path.name).read_bytes(), path.name


def test_customers_cover_every_contact_mix() -> None:
    data = load_fixtures(DEMO_SANDBOX)
    assert len(data.customers) >= 40
    kinds = Counter((bool(c["email"]), bool(c["phone"])) for c in data.customers)
    assert kinds[(True, False)] >= 5 and kinds[(False, True)] >= 5 and kinds[(True, True)] >= 5
    assert all(E164.match(c["phone"]) for c in data.customers if c["phone"])
    assert (
        len({c["email"] for c in data.customers if c["email"]})
        == kinds[(True, False)] + kinds[(True, True)]
    )


def test_products_have_variants_and_final_sale_tags() -> None:
    data = load_fixtures(DEMO_SANDBOX)
    assert len(data.products) >= 30
    assert all(len(p["variants"]) >= 1 for p in data.products)
    assert sum(len(p["variants"]) > 1 for p in data.products) >= 20
    assert sum("final-sale" in p["tags"] for p in data.products) >= 4


def test_orders_span_every_state() -> None:
    data = load_fixtures(DEMO_SANDBOX)
    assert data.today is not None and data.today.isoformat() == "2026-11-20"
    assert len(data.orders) >= 150
    scenarios = json.loads((DEMO_SANDBOX / "scenarios.json").read_text())["orders"]
    for scenario in (
        "unfulfilled",
        "partially_fulfilled",
        "in_transit",
        "delivered_recent",
        "delivered_outside_window",
        "cancelled",
        "partially_refunded",
        "refunded",
        "final_sale_delivered",
        "multi_item",
        "international",
    ):
        assert len(scenarios[scenario]) >= 3, scenario
    statuses = Counter(o["financial_status"] for o in data.orders)
    assert {"paid", "pending", "refunded", "partially_refunded", "voided"} <= set(statuses)
    carriers = {f["tracking_company"] for o in data.orders for f in o["fulfillments"]}
    assert {"UPS", "USPS", "FedEx", "DHL Express", "Canada Post"} <= carriers
    shipments = Counter(f["shipment_status"] for o in data.orders for f in o["fulfillments"])
    assert {"delivered", "in_transit", "out_for_delivery", "failure"} <= set(shipments)
    names = [o["name"] for o in data.orders]
    assert len(set(names)) == len(names)


def test_demo_policy_loads() -> None:
    policy = load_policy(DEMO_STORE / "policy.yaml")
    assert policy.refunds.auto_approve_limit == 100.0
    assert policy.returns.exclude_tags == ["final-sale"]
