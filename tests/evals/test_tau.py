"""The τ²-bench retail store and suite: the converted store serves, the suite is well formed.

The τ² data lives outside the project; tests that need it skip cleanly when it is absent.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agent.escalation import REASON_CODES
from agent.understanding.confirm import is_confirmation
from evals.tau import dataset
from evals.tau.convert import write_store
from evals.tau.expectations import HANDOVER_REASONS, WRITE_TOOLS, expectation
from evals.tau.fixtures import TODAY
from evals.tau.suite import build_suite, hand_annotations, hand_turns
from tools.client import ShopifyClient
from tools.identity import CustomerIdentity
from tools.policy import load_policy
from tools.results import Status
from tools.sandbox.fixtures import load_fixtures
from tools.sandbox.server import SandboxServer
from tools.toolkit import ShopifyTools

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "evals" / "harness" / "suite.schema.json"
ORDER_NAME = re.compile(r"#W\d{7}\b")


@pytest.fixture(scope="module")
def tau() -> dataset.TauRetail:
    try:
        return dataset.load()
    except FileNotFoundError as exc:
        pytest.skip(f"τ²-bench retail data absent: {exc}")


@pytest.fixture(scope="module")
def store(tau: dataset.TauRetail, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_store(tmp_path_factory.mktemp("tau-store"))


@pytest.fixture(scope="module")
def suite(store: Path) -> dict[str, Any]:
    return build_suite(store)


@pytest.fixture(scope="module")
def tools(store: Path) -> Iterator[tuple[ShopifyTools, SandboxServer]]:
    server = SandboxServer(store / "sandbox", "tau-token")
    url = server.start()
    try:
        yield (
            ShopifyTools(ShopifyClient(url, "tau-token"), load_policy(store / "policy.yaml")),
            server,
        )
    finally:
        server.stop()


def _first(tau: dataset.TauRetail, status: str) -> dict[str, Any]:
    return next(o for o in tau.orders.values() if o["status"] == status)


# ---- the store --------------------------------------------------------------------------------
def test_the_store_loads_with_every_record(tau: dataset.TauRetail, store: Path) -> None:
    data = load_fixtures(store / "sandbox")
    assert (len(data.customers), len(data.orders), len(data.products)) == (
        len(tau.users),
        len(tau.orders),
        len(tau.products),
    )
    assert data.today == TODAY
    variants = sum(len(p["variants"]) for p in tau.products.values())
    assert sum(len(p["variants"]) for p in data.products) == variants
    assert {o["name"] for o in data.orders} == set(tau.orders)


def test_the_policy_loads_and_keeps_tau_rules(store: Path) -> None:
    policy = load_policy(store / "policy.yaml")
    assert policy.store.currency == "USD"
    assert policy.cancellations.allowed_fulfillment_statuses == ["unfulfilled"]
    assert policy.cancellations.refund_over_limit == "allow"
    assert policy.address_changes.allowed_fulfillment_statuses == ["unfulfilled"]
    assert all(channel.stage == "autonomous" for channel in policy.channels.values())


def test_knowledge_is_markdown_with_headings(store: Path) -> None:
    files = sorted((store / "knowledge").glob("*.md"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# ") and "\n## " in text, path.name


def test_a_pending_order_is_unfulfilled_and_cancellable(
    tau: dataset.TauRetail, tools: tuple[ShopifyTools, SandboxServer]
) -> None:
    shop, server = tools
    order = _first(tau, "pending")
    owner = CustomerIdentity.of(email=tau.user_of_order(order["order_id"])["email"])
    result = shop.get_order(owner, order["order_id"], server.today)
    assert result.status is Status.DONE
    summary = result.data["order"]
    assert summary["fulfillment_status"] == "unfulfilled"
    assert summary["financial_status"] == "paid"
    assert summary["shipments"] == []
    assert {e["reason"] for e in result.data["returns_eligibility"]} == {"not_fulfilled"}


def test_a_delivered_order_has_a_delivered_shipment_inside_the_window(
    tau: dataset.TauRetail, tools: tuple[ShopifyTools, SandboxServer]
) -> None:
    shop, server = tools
    order = _first(tau, "delivered")
    owner = CustomerIdentity.of(email=tau.user_of_order(order["order_id"])["email"])
    result = shop.get_order(owner, order["order_id"], server.today)
    summary = result.data["order"]
    assert summary["fulfillment_status"] == "fulfilled"
    [shipment] = summary["shipments"]
    assert shipment["status"] == "delivered"
    assert shipment["tracking_number"] == order["fulfillments"][0]["tracking_id"][0]
    assert all(e["returnable_quantity"] == 1 for e in result.data["returns_eligibility"])


def test_processed_and_cancelled_orders(
    tau: dataset.TauRetail, tools: tuple[ShopifyTools, SandboxServer]
) -> None:
    shop, server = tools
    for status in ("processed", "cancelled"):
        order = _first(tau, status)
        owner = CustomerIdentity.of(email=tau.user_of_order(order["order_id"])["email"])
        summary = shop.get_order(owner, order["order_id"], server.today).data["order"]
        if status == "processed":
            assert summary["fulfillment_status"] == "fulfilled"
            assert [s["status"] for s in summary["shipments"]] == ["in_transit"]
        else:
            assert summary["cancelled_at"] and summary["refunded"] == summary["paid"]


def test_another_customer_cannot_read_an_order(
    tau: dataset.TauRetail, tools: tuple[ShopifyTools, SandboxServer]
) -> None:
    shop, server = tools
    order = _first(tau, "pending")
    stranger = CustomerIdentity.of(email="someone.else@example.com")
    assert shop.get_order(stranger, order["order_id"], server.today).status is Status.REFUSED


def test_every_delivery_is_inside_the_return_window(store: Path) -> None:
    window = load_policy(store / "policy.yaml").returns.window_days
    orders = json.loads((store / "sandbox" / "orders.json").read_text("utf-8"))["orders"]
    for order in orders:
        for shipment in order["fulfillments"]:
            when = shipment["updated_at"][:10]
            assert when < TODAY.isoformat(), order["name"]
            if shipment["shipment_status"] == "delivered":
                assert when >= (TODAY - timedelta(days=window)).isoformat(), order["name"]


def test_conversion_is_deterministic_and_fast(
    tau: dataset.TauRetail, tmp_path: Path, store: Path
) -> None:
    started = time.perf_counter()
    again = write_store(tmp_path / "again")
    assert time.perf_counter() - started < 5
    files = sorted(p.relative_to(store) for p in store.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (store / name).read_bytes() == (again / name).read_bytes(), name


# ---- the suite ----------------------------------------------------------------------------------
def test_the_suite_validates_against_the_schema(
    tau: dataset.TauRetail, suite: dict[str, Any], store: Path
) -> None:
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text("utf-8"))).validate(suite)
    assert suite["store"] == str(store.resolve())
    assert [c["id"] for c in suite["cases"]] == [f"tau-{i}" for i in tau.splits["test"]]
    assert len(suite["cases"]) == 40


def test_unsupported_cases_need_a_handover(suite: dict[str, Any]) -> None:
    for case in suite["cases"]:
        expect = case["expect"]
        assert "refund" in expect["tools_not_run"], case["id"]
        if "tau:unsupported" in case["tags"]:
            assert case["needs"], case["id"]
            assert expect["escalation"] == list(HANDOVER_REASONS), case["id"]
        else:
            assert "tau:supported" in case["tags"] and not case.get("needs"), case["id"]
            assert expect.get("orders") or expect.get("unchanged"), case["id"]


def test_both_kinds_of_case_and_both_channels_are_present(suite: dict[str, Any]) -> None:
    tags = [tag for case in suite["cases"] for tag in case["tags"]]
    assert {"tau:supported", "tau:unsupported", "channel:email", "channel:chat"} <= set(tags)
    for case in suite["cases"]:
        tagged = next(t for t in case["tags"] if t.startswith("channel:")).removeprefix("channel:")
        channels = {turn["channel"] for turn in case["turns"]}
        assert channels == {tagged}, case["id"]
        if tagged == "chat":
            assert case["customer"]["verified"] == ["email"]


def test_every_order_a_case_names_is_its_customers(
    tau: dataset.TauRetail, suite: dict[str, Any]
) -> None:
    for case in suite["cases"]:
        email = case["customer"]["email"]
        named = {n for turn in case["turns"] for n in ORDER_NAME.findall(turn["text"])}
        named |= set(case["expect"].get("orders") or {})
        for name in named:
            assert name in tau.orders, (case["id"], name)
            assert tau.user_of_order(name)["email"] == email, (case["id"], name)


def test_hand_turns_read_as_intended(tau: dataset.TauRetail) -> None:
    """Only the scripted confirmations read as an explicit yes, and annotations name real tasks."""
    turns = hand_turns()
    assert set(tau.splits["test"]) <= set(turns)
    for task_id, texts in turns.items():
        assert texts and all(text.strip() for text in texts), task_id
        for text in texts:
            assert is_confirmation(text) == text.lower().startswith("yes"), (task_id, text)
    assert set(hand_annotations()) <= set(turns)


# ---- without the data, and the mapping's edges --------------------------------------------------
def test_without_the_data_both_entry_points_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(FileNotFoundError, match="τ²-bench retail data not found"):
        write_store(tmp_path / "store", dataset_dir=tmp_path / "absent")
    with pytest.raises(FileNotFoundError):
        build_suite(tmp_path / "store", dataset_dir=tmp_path / "absent")
    monkeypatch.setenv(dataset.SHARED_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        dataset.dataset_dir()


def test_the_default_data_path_is_beside_the_checkout() -> None:
    expected = ROOT.parent / "shared" / "datasets" / "taubench-retail" / "tau2-bench"
    assert expected == dataset.DEFAULT_DIR


def test_handover_reasons_are_the_agents_own_codes() -> None:
    assert set(HANDOVER_REASONS) <= set(REASON_CODES)
    assert not {"legal", "chargeback", "self_harm", "harassment"} & set(HANDOVER_REASONS)


def test_an_unknown_tau_action_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown τ² action"):
        expectation([{"name": "teleport_order", "arguments": {"order_id": "#W0000001"}}])


def test_mapping_of_a_mixed_task() -> None:
    expected = expectation(
        [
            {"name": "get_order_details", "arguments": {"order_id": "#W1"}},
            {"name": "cancel_pending_order", "arguments": {"order_id": "#W1"}},
            {"name": "modify_pending_order_items", "arguments": {"order_id": "#W2"}},
            {"name": "modify_pending_order_address", "arguments": {"order_id": "#W3"}},
        ],
        ["address_from_profile"],
    )
    assert expected.needs == ["address_from_profile", "modify_items"]
    assert expected.orders == {"#W1": {"cancelled": True}}
    assert expected.untouched == ["#W2", "#W3"]
    assert expected.tools == {"cancel_order"} and set(WRITE_TOOLS) > expected.tools
