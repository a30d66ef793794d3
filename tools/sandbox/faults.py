"""Fault injection for the sandbox store: make the next requests slow, throttled or failing.

Tests queue faults through `SandboxServer.faults` (or `POST /_sandbox/faults`); each fault applies
to the next `times` GraphQL requests that match its `operation` and is then used up.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

Operation = Literal["any", "query", "mutation"]


@dataclass
class Fault:
    """What to do to a matching request instead of (or after) answering it normally."""

    times: int = 1
    """How many matching requests this fault affects."""
    operation: Operation = "any"
    """Only queries, only mutations, or any request."""
    delay: float = 0.0
    """Seconds to wait before answering (latency; longer than the client's timeout = timeout)."""
    status: int | None = None
    """Answer with this HTTP status (429, 500, 502, 503, ...) instead of the result."""
    retry_after: float | None = None
    """`Retry-After` header (seconds) sent with `status`."""
    throttled: bool = False
    """Answer 200 with a GraphQL `THROTTLED` error and a drained cost bucket."""
    after_execute: bool = False
    """Run the operation first, then wait `delay` and/or fail with `status`: the change happens
    but the answer is late or lost."""

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Fault:
        known = {k: v for k, v in payload.items() if k in cls.__dataclass_fields__}
        unknown = set(payload) - set(known)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultQueue:
    """Thread-safe queue of pending faults; `take` consumes one use of the first match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault | None = None, **fields: Any) -> Fault:
        """Queue a fault (`add(status=503, times=2)` or `add(Fault(...))`)."""
        chosen = fault or Fault(**fields)
        with self._lock:
            self._faults.append(chosen)
        return chosen

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.operation in ("any", operation):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
