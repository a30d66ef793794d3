"""`threadline serve --demo` really serves: a subprocess, a real port, real HTTP."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.cli.serve import _print_demo_key
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import authenticate


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_demo_starts_migrates_and_prints_a_working_key(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "THREADLINE_DATA_DIR": str(tmp_path / "data"),
        "THREADLINE_BOOTSTRAP_API_KEYS": "helpdesk:ci-helpdesk-key-0123456789",
    }
    env.pop("THREADLINE_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.3)
        assert ready.json()["checks"]["database"] == "ok"
        bootstrap = httpx.get(
            f"http://127.0.0.1:{port}/v1/customers/none",
            headers={"Authorization": "Bearer ci-helpdesk-key-0123456789"},
        )
        assert bootstrap.status_code == 404  # authenticated, no such customer
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert (tmp_path / "data" / "threadline.db").exists()
    # the bootstrap key exists, so no demo key was minted
    assert "Demo admin API key" not in stderr
    assert "ci-helpdesk-key-0123456789" not in stderr  # secrets never reach the logs


def test_serve_demo_on_a_fresh_database_mints_an_admin_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    upgrade(engine)
    _print_demo_key(engine)
    minted = re.findall(r"tl_[A-Za-z0-9_\-]+", capsys.readouterr().err)
    assert len(minted) == 1
    with session_scope(engine) as session:
        key = authenticate(session, minted[0])
        assert key is not None and key.role == "admin"
    _print_demo_key(engine)
    assert "tl_" not in capsys.readouterr().err  # only on a database with no keys
