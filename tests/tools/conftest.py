"""Fixtures for the Shopify tools: one demo sandbox store per session, reset before each test."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tools import CustomerIdentity, RetryPolicy, ShopifyClient, ShopifyTools, load_policy
from tools.sandbox import SandboxServer

PROJECT = Path(__file__).resolve().parents[2]
DEMO_STORE = PROJECT / "stores" / "demo"
DEMO_SANDBOX = DEMO_STORE / "sandbox"
TOKEN = "test-token"
TODAY = date(2026, 11, 20)
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@cache
def demo_orders() -> dict[str, dict[str, Any]]:
    """The committed demo orders (REST shape) by name."""
    payload = json.loads((DEMO_SANDBOX / "orders.json").read_text(encoding="utf-8"))
    return {order["name"]: order for order in payload["orders"]}


@cache
def scenarios() -> dict[str, list[str]]:
    payload = json.loads((DEMO_SANDBOX / "scenarios.json").read_text(encoding="utf-8"))
    return dict(payload["orders"])


def owner_of(name: str) -> CustomerIdentity:
    """The verified identity of the customer who placed a demo order."""
    order = demo_orders()[name]
    return CustomerIdentity.of(email=order.get("email"), phone=order.get("phone"))


def pick(scenario: str, predicate: Any = None) -> str:
    """The first demo order of a scenario that satisfies `predicate(rest_order)`."""
    for name in scenarios()[scenario]:
        if predicate is None or predicate(demo_orders()[name]):
            return name
    raise LookupError(f"no {scenario} order matches")


def post_graphql(
    server: SandboxServer, query: str, variables: dict[str, Any] | None = None, token: str = TOKEN
) -> tuple[int, dict[str, Any]]:
    """A raw GraphQL request (no ShopifyAPI): (HTTP status, JSON body)."""
    request = urllib.request.Request(
        server.graphql_url(),
        json.dumps({"query": query, "variables": variables}).encode(),
        {"Content-Type": "application/json", "X-Shopify-Access-Token": token},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}")


def sandbox_order(server: SandboxServer, name: str) -> dict[str, Any]:
    """The sandbox's current REST record of an order (the state, not the API)."""
    return next(o for o in server.store.snapshot()["orders"] if o["name"] == name)


@pytest.fixture(scope="session")
def demo_server() -> Iterator[SandboxServer]:
    server = SandboxServer(DEMO_SANDBOX, TOKEN)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(demo_server: SandboxServer) -> SandboxServer:
    """The demo sandbox, back at its fixtures with no faults queued."""
    demo_server.reset()
    return demo_server


@pytest.fixture
def client(sandbox: SandboxServer) -> ShopifyClient:
    return ShopifyClient(sandbox.url, TOKEN, timeout=2.0, retry=FAST_RETRY)


@pytest.fixture
def tools(client: ShopifyClient) -> ShopifyTools:
    """The demo store's tools, except that cancellations may refund any amount (the limit rule
    has its own tests with the policy as written)."""
    policy = load_policy(DEMO_STORE / "policy.yaml")
    cancellations = policy.cancellations.model_copy(update={"refund_over_limit": "allow"})
    return ShopifyTools(client, policy.model_copy(update={"cancellations": cancellations}))


@pytest.fixture
def demo_tools(client: ShopifyClient) -> ShopifyTools:
    """The demo store's tools under its policy exactly as written."""
    return ShopifyTools(client, load_policy(DEMO_STORE / "policy.yaml"))
