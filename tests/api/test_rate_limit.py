"""Per-key rate limits: a token bucket per API key, 429 with `Retry-After` when it is empty."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.ratelimit import RateLimiter
from api.settings import Settings
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role
from tests.api.conftest import Api

BURST = 3


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Api]:
    """The app on SQLite with a tiny limit: 3 requests at once, then one a second."""
    url = f"sqlite:///{tmp_path}/threadline.db"
    settings = Settings(
        data_dir=tmp_path, database_url=url, rate_limit_per_minute=60, rate_limit_burst=BURST
    )
    engine = make_engine(url)
    upgrade(engine)
    keys = {}
    with session_scope(engine) as session:
        keys["first"], _ = create_key(session, Role.helpdesk, "first")
        keys["second"], _ = create_key(session, Role.helpdesk, "second")
    with TestClient(create_app(settings, engine)) as client:
        yield Api(client, engine, keys)
    engine.dispose()


def test_a_key_over_its_limit_gets_429_with_retry_after_and_recovers(limited: Api) -> None:
    first = limited.headers("first")
    for _ in range(BURST):
        assert limited.client.get("/v1/escalations", headers=first).status_code == 200
    refused = limited.client.get("/v1/escalations", headers=first)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1
    # Another key has its own bucket; callers without a key are refused, not counted.
    assert (
        limited.client.get("/v1/escalations", headers=limited.headers("second")).status_code == 200
    )
    assert limited.client.get("/v1/escalations").status_code == 401
    time.sleep(1.1)  # one request a second refills
    assert limited.client.get("/v1/escalations", headers=first).status_code == 200
    assert limited.client.get("/v1/escalations", headers=first).status_code == 429


def test_public_routes_are_not_limited(limited: Api) -> None:
    for _ in range(BURST + 2):
        assert limited.client.get("/healthz", headers=limited.headers("first")).status_code == 200
    assert (
        limited.client.get("/v1/escalations", headers=limited.headers("first")).status_code == 200
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_admits_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=120, burst=2, clock=clock)  # two a second
    assert [limiter.acquire("key_a") for _ in range(3)] == [0, 0, 1]
    assert limiter.acquire("key_b") == 0  # buckets are per key
    clock.now += 0.5  # half a second: one token back
    assert limiter.acquire("key_a") == 0
    assert limiter.acquire("key_a") == 1
    clock.now += 60  # a long pause refills only up to the burst
    assert [limiter.acquire("key_a") for _ in range(3)] == [0, 0, 1]


def test_retry_after_is_whole_seconds_until_the_next_token() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=6, burst=1, clock=clock)  # one every ten seconds
    assert limiter.acquire("key") == 0
    assert limiter.acquire("key") == 10
    clock.now += 9.5
    assert limiter.acquire("key") == 1  # half a second left: rounded up, never 0
    clock.now += 0.5
    assert limiter.acquire("key") == 0


@pytest.mark.parametrize(("per_minute", "burst"), [(0, 60), (600, 0)])
def test_zero_disables_the_limit(per_minute: int, burst: int) -> None:
    limiter = RateLimiter(per_minute=per_minute, burst=burst, clock=FakeClock())
    assert all(limiter.acquire("key") == 0 for _ in range(1000))


def test_the_settings_default_to_3000_a_minute_with_bursts_of_300() -> None:
    settings = Settings()
    assert (settings.rate_limit_per_minute, settings.rate_limit_burst) == (3000, 300)
