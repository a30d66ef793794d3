"""`/readyz` turns ready only when the first message would be fast: the store's models are loaded
and run once by a warm-up at start-up, while the server already listens (issue 12)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.context import Services
from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from api.store_runtime import StoreRuntime, start_store, warm_up_models
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role
from tests.api.servers import serve

MODELS = {"sentence_model", "intent_classifier", "act_classifier", "topic_matcher"}
"""What the warm-up loads (each loader logs a record with a `loaded` field)."""

QUESTION = {
    "channel": "chat",
    "customer": {"handle": "ready-visitor"},
    "text": "Hi, where is my order #1001? And how long do I have to return a jacket?",
}

WarmUp = Callable[[Services], Iterator[object]]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir for the module: the demo knowledge is embedded once."""
    return tmp_path_factory.mktemp("readiness")


@contextmanager
def demo_app(
    data_dir: Path, database: str, warm_up: WarmUp
) -> Iterator[tuple[TestClient, StoreRuntime, dict[str, str]]]:
    """The app on the demo store, started as `threadline serve` starts it: the store first (its
    warm-up in the background), then the app, which takes requests at once."""
    settings = Settings(
        data_dir=data_dir, database_url=f"sqlite:///{data_dir}/{database}.db", store_dir=None
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        key, _ = create_key(session, Role.helpdesk, "readiness")
    runtime = start_store(settings, engine, DEMO_STORE_DIR, warm_up=warm_up, background=True)
    app = create_app(settings, engine, prepared=True)
    app.state.store = runtime  # closed by the app's shutdown
    with TestClient(app) as client:
        yield client, runtime, {"Authorization": f"Bearer {key}"}
    engine.dispose()


def test_readyz_says_loading_until_the_warm_up_has_run(data_dir: Path) -> None:
    release = threading.Event()

    def held_then_real(services: Services) -> Iterator[object]:
        assert release.wait(timeout=300), "the test never released the warm-up"
        yield "released"
        yield from warm_up_models(services)

    with demo_app(data_dir, "held", held_then_real) as (client, runtime, _):
        loading = client.get("/readyz")
        assert loading.status_code == 503
        assert loading.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "knowledge": "ok", "models": "loading"},
        }
        assert client.get("/healthz").status_code == 200  # alive, just not ready
        release.set()
        assert runtime.warmup.wait(timeout=600)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": "ok", "knowledge": "ok", "models": "ok"},
        }


def test_a_failed_warm_up_keeps_readyz_at_503_but_messages_are_answered(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(services: Services) -> Iterator[object]:
        raise RuntimeError("the model files are unreadable")
        yield  # a generator, like the real warm-up

    with demo_app(data_dir, "broken", broken) as (client, runtime, headers):
        assert runtime.warmup.wait(timeout=60)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["models"] == "failed (RuntimeError)"
        answered = client.post(
            "/v1/messages", json={**QUESTION, "external_id": "r-1"}, headers=headers
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["outcome"] in {"replied", "held_for_review", "escalated"}
    assert any(
        record.levelname == "ERROR" and "warm-up failed" in record.getMessage()
        for record in caplog.records
    )


def _records(log: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines() if line.strip()]


def test_the_first_message_after_ready_loads_no_model(tmp_path: Path) -> None:
    """A fresh `threadline serve --demo` process: it answers /readyz with 503 while its models
    load, and once /readyz is 200 the first message loads nothing (no record with `loaded`)."""
    with serve(tmp_path / "data") as server:  # returns once /readyz answered 200
        started = _records(server.stderr)
        polls = [r["status"] for r in started if r.get("message", "").startswith("GET /readyz")]
        assert polls[0] == 503 and polls[-1] == 200, polls
        loaded = {r["loaded"] for r in started if "loaded" in r}
        assert loaded >= MODELS  # the warm-up did load them (so the check below can fail)
        answered = server.post({**QUESTION, "external_id": "first-after-ready"})
        assert answered.status_code == 200, answered.text
        request_id = answered.headers["X-Request-ID"]
    after = _records(server.stderr)[len(started) :]
    assert any(r["request_id"] == request_id for r in after)  # the message's own log lines
    assert [r for r in after if "loaded" in r] == []
