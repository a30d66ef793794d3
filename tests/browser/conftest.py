"""The app served over real HTTP for a real browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from agent.understanding import understand
from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role
from tests.api.servers import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
"""Screenshots and the like, kept after the run (ignored by git)."""


def chromium_or_skip() -> str:
    """The chromium to drive; without it (or Playwright) the module is skipped, except in CI
    (`CI` set), which installs chromium and must run these tests."""
    missing = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[dev]')"
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if missing is None and path is None:
        missing = "no chromium on PATH (apt-get install chromium)"
    if missing is not None or path is None:
        reason = missing or "no chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return path


@dataclass
class ServedApp:
    url: str
    keys: dict[Role, str]

    def call(self, role: Role, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}{path}",
            headers={"Authorization": f"Bearer {self.keys[role]}"},
            timeout=300,
            **kwargs,
        )


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn on a free port in a thread, up (lifespan done) until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The app on the demo store (email replies are held for review), with a key per role."""
    tmp = tmp_path_factory.mktemp("review-page")
    settings = Settings(
        data_dir=tmp, database_url=f"sqlite:///{tmp}/db.sqlite", store_dir=DEMO_STORE_DIR
    )
    # The understanding models are trained once per process (free when an earlier test did
    # it): warmed here rather than inside the first customer message's request.
    understand("Where is my order #1001?")
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        keys = {role: create_key(session, role, f"page {role.value}")[0] for role in Role}
    with serving(create_app(settings, engine)) as url:
        yield ServedApp(url, keys)
    engine.dispose()
