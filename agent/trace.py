"""The per-message trace: which nodes ran, how long each took, and what each decided."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar


@dataclass
class TraceRecorder:
    """Collects one run's steps; lives in the run's context, never in checkpointed state."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, value: Any) -> None:
        """Record a decision or input under `key` (intent scores, passages, tool calls, gate)."""
        self.details[key] = value

    def append(self, key: str, value: Any) -> None:
        self.details.setdefault(key, []).append(value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": [step["node"] for step in self.steps],
            "steps": self.steps,
            "total_ms": round(sum(step["ms"] for step in self.steps), 2),
            **self.details,
        }


F = TypeVar("F", bound=Callable[..., Any])


def traced(name: str) -> Callable[[F], F]:
    """Time a node and add it to the run's trace (its `runtime.context.trace`)."""

    def decorate(node: F) -> F:
        @functools.wraps(node)
        def wrapper(state: Any, runtime: Any) -> Any:
            started = time.perf_counter()
            try:
                return node(state, runtime)
            finally:
                runtime.context.trace.steps.append(
                    {"node": name, "ms": round((time.perf_counter() - started) * 1000, 2)}
                )

        return wrapper  # type: ignore[return-value]

    return decorate
