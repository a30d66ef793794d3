"""Session-wide guards: no network beyond this machine, no environment leaking between tests."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator

import pytest

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "RAGAS_DO_NOT_TRACK": "true",
    "LANGSMITH_TRACING": "false",
    "ANONYMIZED_TELEMETRY": "False",
}
os.environ.update(_OFFLINE_ENV)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(RuntimeError):
    """A test tried to reach a host that is not this machine."""


def _is_local(address: object) -> bool:
    if isinstance(address, str):  # AF_UNIX path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test starts with no THREADLINE_* settings from the developer's shell and its own data dir."""
    for name in list(os.environ):
        if name.startswith("THREADLINE_") and name != "THREADLINE_REQUIRE_POSTGRES":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THREADLINE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    yield
