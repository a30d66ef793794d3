"""What a case runs on: its store directory, the store's sandbox shop over HTTP, and the app
served by uvicorn with a fresh database."""

from __future__ import annotations

import contextlib
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from api.store_runtime import open_knowledge
from evals.stores.second import write_second_store
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role
from knowledge.ingest import discover
from knowledge.passages import BadDocument, load_passages
from tools.sandbox.server import SandboxServer

_MIGRATING = threading.Lock()


@contextlib.contextmanager
def store_dir_of(store: str) -> Iterator[Path]:
    if store == "demo":
        yield DEMO_STORE_DIR
        return
    if store == "second":
        with tempfile.TemporaryDirectory(prefix="threadline-second-") as tmp:
            yield write_second_store(Path(tmp))
        return
    yield Path(store)


class Shop:
    """A store's sandbox shop over HTTP, owned by one worker."""

    def __init__(self, store_dir: Path) -> None:
        self.token = secrets.token_urlsafe(16)
        self.server = SandboxServer(store_dir / "sandbox", self.token)
        self.url = self.server.start()
        self.today = self.server.today
        self._http = httpx.Client(
            base_url=self.url, headers={"X-Shopify-Access-Token": self.token}, timeout=30
        )

    def reset(self) -> None:
        self._http.post("/_sandbox/reset").raise_for_status()

    def state(self) -> dict[str, Any]:
        response = self._http.get("/_sandbox/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def close(self) -> None:
        self._http.close()
        self.server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_app(
    store_dir: Path, shop: Shop | None, data_dir: Path, database: str
) -> Iterator[httpx.Client]:
    """The app on `store_dir` served by uvicorn on a free port, with a fresh database, an admin
    key and `shop` as its Shopify; yields a client already carrying the key."""
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir}/{database}.sqlite",
        store_dir=store_dir,
        shopify_url=shop.url if shop else None,
        shopify_token=shop.token if shop else None,
        today=shop.today if shop else None,
        log_level="WARNING",
        rate_limit_per_minute=1_000_000,
        rate_limit_burst=1_000_000,
    )
    engine = make_engine(settings.resolved_database_url)
    with _MIGRATING:  # Alembic's migration context is process-wide
        upgrade(engine)
    with session_scope(engine) as session:
        key, _ = create_key(session, Role.admin, "eval-harness")
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, engine, prepared=True),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"eval-app-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 300
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.02)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=300,
        ) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()
        for leftover in Path(data_dir).glob(f"{database}.sqlite*"):
            leftover.unlink(missing_ok=True)
        for leftover in Path(data_dir).glob("checkpoints.*"):
            leftover.unlink(missing_ok=True)


def passage_texts(store_dir: Path) -> dict[str, str]:
    """Every passage of a store's knowledge by id, split as ingestion splits it."""
    root = store_dir / "knowledge"
    texts: dict[str, str] = {}
    for path in discover(root) if root.is_dir() else []:
        try:
            passages = load_passages(path, path.relative_to(root).as_posix())
        except BadDocument:
            continue
        texts.update({p.id: p.text for p in passages})
    return texts


def warm_knowledge(stores: dict[str, Path], data_dir: Path) -> None:
    """Ingest each store's knowledge into a worker's index before its first case."""
    for store_dir in stores.values():
        open_knowledge(Settings(data_dir=data_dir, store_dir=store_dir), store_dir)
