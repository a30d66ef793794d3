"""Same key, same result, no second change; lost answers and outages never double a write."""

from __future__ import annotations

import time
from decimal import Decimal

from tests.tools.conftest import DEMO_STORE, TODAY, demo_orders, owner_of, pick, sandbox_order
from tools import (
    IdempotencyStore,
    InMemoryIdempotencyStore,
    Reason,
    RefundItem,
    ShippingAddress,
    ShopifyClient,
    ShopifyTools,
    Status,
    ToolResult,
    load_policy,
)
from tools.sandbox import SandboxServer


def mutations(server: SandboxServer) -> int:
    return [r["operation"] for r in server.requests].count("mutation")


def test_retrying_a_cancel_with_the_same_key_changes_nothing(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled")
    first = tools.cancel_order(owner_of(name), name, idempotency_key="msg-1")
    assert first.ok
    state_after_first = sandbox.store.snapshot()
    requests_after_first = len(sandbox.requests)
    second = tools.cancel_order(owner_of(name), name, idempotency_key="msg-1")
    assert second.replayed and not first.replayed
    assert second.to_dict() | {"replayed": False} == first.to_dict()
    assert sandbox.store.snapshot() == state_after_first
    assert len(sandbox.requests) == requests_after_first  # not even a read


def test_retrying_refund_and_return_with_the_same_key(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("delivered_recent", lambda o: Decimal(o["total_price"]) < 100)
    for _ in range(3):
        assert tools.refund(owner_of(name), name, amount="5.00", idempotency_key="refund-1").ok
        assert tools.create_return(owner_of(name), name, today=TODAY, idempotency_key="return-1").ok
    state = sandbox_order(sandbox, name)
    assert len(state["refunds"]) == 1 and len(state["returns"]) == 1
    assert mutations(sandbox) == 2


def test_a_refusal_is_replayed_too(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("high_value_delivered")
    first = tools.refund(owner_of(name), name, idempotency_key="big-1")
    again = tools.refund(owner_of(name), name, idempotency_key="big-1")
    assert first.reason == again.reason == Reason.ABOVE_AUTO_APPROVE_LIMIT
    assert again.replayed


def test_keys_are_per_tool(tools: ShopifyTools) -> None:
    name = pick("unfulfilled")
    address = ShippingAddress("1 Pine St", "Boise", "83702", "US", province_code="ID")
    assert tools.update_shipping_address(owner_of(name), name, address, idempotency_key="same").ok
    cancelled = tools.cancel_order(owner_of(name), name, idempotency_key="same")
    assert cancelled.ok and not cancelled.replayed


def test_a_failure_is_not_stored_so_the_same_key_can_succeed_later(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled")
    sandbox.inject(status=503, times=20)
    failed = tools.cancel_order(owner_of(name), name, idempotency_key="k")
    assert (failed.status, failed.reason) == (Status.FAILED, "shopify_unavailable")
    sandbox.faults.clear()
    later = tools.cancel_order(owner_of(name), name, idempotency_key="k")
    assert later.ok and not later.replayed


def test_lost_answer_after_cancel_is_not_cancelled_twice(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled")
    sandbox.inject(status=502, after_execute=True, operation="mutation")
    result = tools.cancel_order(owner_of(name), name, idempotency_key="lost-1")
    assert result.ok, result
    assert mutations(sandbox) == 1
    assert len(sandbox_order(sandbox, name)["refunds"]) == 1


def test_late_answer_after_refund_is_not_refunded_twice(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("delivered_recent")
    line = demo_orders()[name]["line_items"][0]
    # the refund is made at once, but its answer comes after the client's timeout
    sandbox.inject(delay=1.0, after_execute=True, operation="mutation")
    slow = ShopifyClient(sandbox.url, "test-token", timeout=0.3, retry=tools.client.retry)
    result = ShopifyTools(slow, tools.policy).refund(
        owner_of(name),
        name,
        [RefundItem(f"gid://shopify/LineItem/{line['id']}", 1)],
        amount="1.00",
        idempotency_key="lost-2",
    )
    assert result.ok, result  # the tool looked and found the refund in place
    assert len(sandbox_order(sandbox, name)["refunds"]) == 1
    assert mutations(sandbox) == 1


def test_slow_cancel_is_never_sent_twice(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("unfulfilled")
    # the shop is slow to even start the cancel: the client times out before it happens
    sandbox.inject(delay=1.5, operation="mutation")
    slow_tools = ShopifyTools(
        ShopifyClient(sandbox.url, "test-token", timeout=0.3, retry=tools.client.retry),
        tools.policy,
    )
    result = slow_tools.cancel_order(owner_of(name), name, idempotency_key="slow-cancel")
    assert (result.status, result.reason) == (Status.FAILED, "shopify_timeout")
    assert mutations(sandbox) == 1
    deadline = time.monotonic() + 5
    while sandbox_order(sandbox, name)["cancelled_at"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
    # the agent retries with the same key later: the state check sees the cancel
    again = slow_tools.cancel_order(owner_of(name), name, idempotency_key="slow-cancel")
    assert again.reason == Reason.ALREADY_CANCELLED
    assert mutations(sandbox) == 1


def test_5xx_before_the_write_is_retried_once_within_bounds(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled")
    sandbox.inject(status=503, operation="mutation", times=1)
    assert tools.cancel_order(owner_of(name), name, idempotency_key="retry-1").ok
    assert mutations(sandbox) == 2
    assert sandbox_order(sandbox, name)["cancelled_at"]


def test_write_outage_surfaces_as_failed_after_bounded_tries(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    name = pick("unfulfilled")
    sandbox.inject(status=500, operation="mutation", times=50)
    result = tools.cancel_order(owner_of(name), name, idempotency_key="down-1")
    assert (result.status, result.reason) == (Status.FAILED, "shopify_unavailable")
    assert mutations(sandbox) == tools.client.retry.max_attempts
    assert sandbox_order(sandbox, name)["cancelled_at"] is None


def test_throttled_write_is_retried_then_done(tools: ShopifyTools, sandbox: SandboxServer) -> None:
    name = pick("unfulfilled")
    sandbox.inject(throttled=True, operation="mutation", times=2)
    assert tools.cancel_order(owner_of(name), name, idempotency_key="slow-1").ok
    assert mutations(sandbox) == 3


def test_a_custom_idempotency_store_plugs_in(client: ShopifyClient) -> None:
    class DictStore:
        def __init__(self) -> None:
            self.rows: dict[str, dict] = {}

        def get(self, key: str) -> ToolResult | None:
            row = self.rows.get(key)
            return ToolResult.from_dict(row) if row else None

        def put(self, key: str, result: ToolResult) -> None:
            self.rows.setdefault(key, result.to_dict())

    store = DictStore()
    assert isinstance(store, IdempotencyStore)
    assert isinstance(InMemoryIdempotencyStore(), IdempotencyStore)
    tools = ShopifyTools(client, load_policy(DEMO_STORE / "policy.yaml"), store)
    name = pick("unfulfilled")
    first = tools.cancel_order(owner_of(name), name, idempotency_key="db-1")
    assert list(store.rows) == ["cancel_order:db-1"]
    assert tools.cancel_order(owner_of(name), name, idempotency_key="db-1").detail == first.detail


def test_concurrent_refunds_of_one_line_refund_it_once(
    tools: ShopifyTools, sandbox: SandboxServer
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    name = pick("delivered_recent", lambda o: Decimal(o["total_price"]) < 100)
    line = demo_orders()[name]["line_items"][0]
    item = [RefundItem(f"gid://shopify/LineItem/{line['id']}", line["quantity"])]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda n: tools.refund(owner_of(name), name, item, idempotency_key=f"race-{n}"),
                range(4),
            )
        )
    assert sum(r.ok for r in results) == 1
    assert {r.reason for r in results if not r.ok} <= {"already_refunded", "shop_refused"}
    assert len(sandbox_order(sandbox, name)["refunds"]) == 1
