"""Real `threadline serve` processes for tests: a free port, start-up until ready, shutdown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

KEY = "helpdesk-test-key-0123456789abcdef"
"""The helpdesk key every served test process installs (`THREADLINE_BOOTSTRAP_API_KEYS`)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    log: Path
    """The process's stderr (its log lines)."""
    key: str = KEY

    def post(self, body: dict[str, Any], timeout: float = 300) -> httpx.Response:
        return httpx.post(
            f"{self.url}/v1/messages",
            json=body,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=timeout,
        )

    @property
    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(data_dir: Path, *, keys: str | None = None, **settings: str) -> Iterator[Server]:
    """`threadline serve --demo` on its own port with `data_dir`, the bootstrap `keys` (default:
    the helpdesk `KEY`) and more `THREADLINE_*` settings (SQLite under `data_dir` unless
    `database_url` is one of them); stopped (or found already killed) when the block ends."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "THREADLINE_DATABASE_URL"},
        "THREADLINE_DATA_DIR": str(data_dir),
        "THREADLINE_BOOTSTRAP_API_KEYS": keys or f"helpdesk:{KEY}",
        **{f"THREADLINE_{name.upper()}": value for name, value in settings.items()},
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{port}.log"
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.3)
        yield Server(url, process, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
