"""`threadline serve --demo` really serves: a subprocess, a real port, real HTTP."""

import re
from pathlib import Path

import httpx
import pytest

from api.cli.serve import _print_demo_key
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import authenticate
from tests.api.servers import serve


def test_serve_demo_starts_migrates_and_prints_a_working_key(tmp_path: Path) -> None:
    with serve(tmp_path / "data", keys="helpdesk:ci-helpdesk-key-0123456789") as server:
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        assert ready.json()["checks"]["database"] == "ok"
        bootstrap = httpx.get(
            f"{server.url}/v1/customers/none",
            headers={"Authorization": "Bearer ci-helpdesk-key-0123456789"},
        )
        assert bootstrap.status_code == 404  # authenticated, no such customer
    assert (tmp_path / "data" / "threadline.db").exists()
    # the bootstrap key exists, so no demo key was minted
    assert "Demo admin API key" not in server.stderr
    assert "ci-helpdesk-key-0123456789" not in server.stderr  # secrets never reach the logs


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
