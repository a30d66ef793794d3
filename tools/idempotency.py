"""Idempotency keys for writes: the same key returns the first result and changes nothing.

The tools store `done` and `refused` results (never `failed` ones, so a failed call can be
retried with the same key). Keys are namespaced by tool: `cancel_order:<key>`.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from tools.results import ToolResult


@runtime_checkable
class IdempotencyStore(Protocol):
    """Where results of writes are kept by key; a database-backed one can replace the default."""

    def get(self, key: str) -> ToolResult | None:
        """The result stored under `key`, if any."""
        ...

    def put(self, key: str, result: ToolResult) -> None:
        """Remember `result` under `key` (the first put wins)."""
        ...


class InMemoryIdempotencyStore:
    """A process-local store: enough for one API process, tests and the CLI."""

    def __init__(self) -> None:
        self._results: dict[str, ToolResult] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> ToolResult | None:
        with self._lock:
            return self._results.get(key)

    def put(self, key: str, result: ToolResult) -> None:
        with self._lock:
            self._results.setdefault(key, result)

    def __len__(self) -> int:
        with self._lock:
            return len(self._results)
