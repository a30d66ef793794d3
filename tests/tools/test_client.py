"""The client over the ShopifyAPI library: typed errors, bounded retries, quiet failures."""

from __future__ import annotations

import logging

import pytest

from tests.tools.conftest import TOKEN
from tools import (
    RetryPolicy,
    ShopifyAuthError,
    ShopifyClient,
    ShopifyQueryError,
    ShopifyThrottled,
    ShopifyTimeout,
    ShopifyUnavailable,
)
from tools.sandbox import SandboxServer

SHOP = "{ shop { name currencyCode } }"


class Sleeps:
    """Records the waits the client asks for, and waits for real but briefly."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(server: SandboxServer, sleeps: Sleeps, **kwargs: object) -> ShopifyClient:
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.5)
    return ShopifyClient(server.url, TOKEN, retry=retry, sleep=sleeps, **kwargs)  # type: ignore[arg-type]


def test_query_goes_through_the_library_with_the_token(sandbox: SandboxServer) -> None:
    data = make_client(sandbox, Sleeps()).execute(SHOP)
    assert data["shop"] == {"name": "Northwind Outfitters", "currencyCode": "USD"}
    assert sandbox.requests[-1] == {"version": "2025-07", "operation": "query"}


def test_api_version_is_part_of_the_path(sandbox: SandboxServer) -> None:
    make_client(sandbox, Sleeps(), api_version="2024-10").execute(SHOP)
    assert sandbox.requests[-1]["version"] == "2024-10"


def test_wrong_token_is_an_auth_error_without_retry(sandbox: SandboxServer) -> None:
    client = ShopifyClient(sandbox.url, "wrong", retry=RetryPolicy(base_delay=0.01))
    with pytest.raises(ShopifyAuthError):
        client.execute(SHOP)
    assert len(sandbox.requests) == 0


def test_throttled_then_ok_backs_off_by_the_cost_bucket(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    sandbox.inject(throttled=True, times=2)
    assert make_client(sandbox, sleeps).execute(SHOP)["shop"]["name"]
    assert len(sandbox.requests) == 3
    # bucket drained to 0 with restoreRate 100: wait cost/100 s, capped by max_delay
    assert len(sleeps.calls) == 2
    assert all(0.01 <= s <= 0.5 for s in sleeps.calls)


def test_throttling_that_never_ends_surfaces_as_typed_error(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    sandbox.inject(throttled=True, times=10)
    with pytest.raises(ShopifyThrottled):
        make_client(sandbox, sleeps).execute(SHOP)
    assert len(sandbox.requests) == 3  # max_attempts, no more
    assert len(sleeps.calls) == 2


def test_http_429_honours_retry_after(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    sandbox.inject(status=429, retry_after=0.2, times=1)
    make_client(sandbox, sleeps).execute(SHOP)
    assert sleeps.calls == [0.2]


def test_retry_after_is_capped_by_max_delay(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    sandbox.inject(status=429, retry_after=30, times=1)
    make_client(sandbox, sleeps).execute(SHOP)
    assert sleeps.calls == [0.5]


def test_5xx_retried_then_ok(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    sandbox.inject(status=502, times=2)
    assert make_client(sandbox, sleeps).execute(SHOP)
    assert sleeps.calls == [0.01, 0.02]  # exponential back-off


def test_5xx_every_time_surfaces_as_unavailable(sandbox: SandboxServer) -> None:
    sandbox.inject(status=503, times=5)
    with pytest.raises(ShopifyUnavailable):
        make_client(sandbox, Sleeps()).execute(SHOP)
    assert len(sandbox.requests) == 3


def test_mutations_are_not_blindly_retried_after_5xx(sandbox: SandboxServer) -> None:
    sandbox.inject(status=500, times=5)
    with pytest.raises(ShopifyUnavailable):
        make_client(sandbox, Sleeps()).execute(SHOP, retry_unsafe=False)
    assert len(sandbox.requests) == 1


def test_mutations_are_retried_after_throttling(sandbox: SandboxServer) -> None:
    sandbox.inject(status=429, retry_after=0, times=1)
    make_client(sandbox, Sleeps()).execute(SHOP, retry_unsafe=False)
    assert len(sandbox.requests) == 2


def test_slow_shop_times_out(sandbox: SandboxServer) -> None:
    sandbox.inject(delay=1.0, times=3)
    with pytest.raises(ShopifyTimeout):
        make_client(sandbox, Sleeps(), timeout=0.2).execute(SHOP)


def test_latency_below_timeout_is_fine(sandbox: SandboxServer) -> None:
    sandbox.inject(delay=0.1, times=1)
    assert make_client(sandbox, Sleeps(), timeout=2.0).execute(SHOP)


def test_unreachable_shop_is_unavailable() -> None:
    from tests.tools.conftest import DEMO_SANDBOX
    from tools.sandbox import SandboxServer as Server

    server = Server(DEMO_SANDBOX, TOKEN)
    url = server.url
    server.stop()  # never started: the port is released and nobody listens
    with pytest.raises(ShopifyUnavailable):
        ShopifyClient(url, TOKEN, retry=RetryPolicy(max_attempts=2, base_delay=0.01)).execute(SHOP)


def test_invalid_query_is_a_query_error(sandbox: SandboxServer) -> None:
    with pytest.raises(ShopifyQueryError, match="notAField"):
        make_client(sandbox, Sleeps()).execute("{ shop { notAField } }")


def test_failures_print_nothing_and_log_no_token(
    sandbox: SandboxServer, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.inject(status=500, times=5)
    client = make_client(sandbox, Sleeps())
    with pytest.raises(ShopifyUnavailable):
        client.execute(SHOP)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client)


def test_two_clients_for_two_shops_in_one_process(sandbox: SandboxServer, tmp_path) -> None:
    from tests.tools.test_tiny_store import write_tiny_store

    with SandboxServer(write_tiny_store(tmp_path), "other-token") as other:
        tiny = ShopifyClient(other.url, "other-token", retry=RetryPolicy(base_delay=0.01))
        demo = make_client(sandbox, Sleeps())
        assert tiny.execute(SHOP)["shop"]["name"] == "Sandbox Store"
        assert demo.execute(SHOP)["shop"]["name"] == "Northwind Outfitters"
        assert tiny.execute(SHOP)["shop"]["name"] == "Sandbox Store"


def test_real_cost_bucket_throttles_and_the_client_waits_for_it(tmp_path) -> None:
    from tests.tools.conftest import DEMO_SANDBOX
    from tools.sandbox import CostBucket

    query = "{ orders(first: 20) { nodes { id lineItems(first: 2) { nodes { id } } } } }"
    bucket = CostBucket(maximum=100.0, restore_rate=200.0, enforce=True)
    with SandboxServer(DEMO_SANDBOX, TOKEN, rate_limit=bucket) as server:
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            import time

            time.sleep(seconds)

        client = ShopifyClient(
            server.url,
            TOKEN,
            sleep=sleep,
            retry=RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=1),
        )
        for _ in range(3):
            assert len(client.execute(query)["orders"]["nodes"]) == 20
        assert sleeps, "the second query should have hit the drained bucket"
        assert all(0.001 <= s <= 0.5 for s in sleeps)  # (cost - available) / restoreRate


def test_bad_configuration_fails_fast() -> None:
    with pytest.raises(ValueError, match="version"):
        ShopifyClient("https://northwind.myshopify.com", TOKEN, api_version="latest")
    with pytest.raises(ValueError, match="http"):
        ShopifyClient("ftp://northwind.myshopify.com", TOKEN)
