"""Fault injection for the sandbox store: make the next requests slow, throttled or failing.

Tests queue faults through `SandboxServer.faults` (or `POST /_sandbox/faults`); each fault applies
to the next `times` GraphQL requests that match its `operation` and is then used up. A fault with a
`rate` below 1 strikes only that share of matching requests, drawn per request from a seeded
random stream, so a run with "20% errors" is the same run every time.
"""

from __future__ import annotations

import random
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
    rate: float = 1.0
    """Share of matching requests this fault strikes (0-1). The rates of the queued faults with a
    rate below 1 add up: one draw per request picks at most one of them."""

    def __post_init__(self) -> None:
        if not 0 < self.rate <= 1:
            raise ValueError(f"a fault's rate is a share between 0 and 1, not {self.rate}")

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

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random = random.Random(seed)
        self.struck = 0
        """How many requests a fault has struck so far."""

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
            draw, share = self._random.random(), 0.0
            for fault in self._faults:
                if fault.operation not in ("any", operation):
                    continue
                if fault.rate < 1:
                    share += fault.rate
                    if draw >= share:
                        continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                self.struck += 1
                return fault
        return None
