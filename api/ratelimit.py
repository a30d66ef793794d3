"""Per-key request limits: one token bucket per API key, in memory, per process."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    """Requests the key may still make at once; refills continuously up to the burst."""
    updated: float
    """The clock reading `tokens` was last brought up to date at."""


class RateLimiter:
    """Admits `per_minute` requests a minute per key, up to `burst` at once; 0 in either: no limit.

    Counts are per process: with several workers, each admits its own share. Buckets are kept
    for every key seen, which is bounded by the keys an admin has created.
    """

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.enabled = per_minute > 0 and burst > 0
        self._rate = per_minute / 60.0  # tokens per second
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key_id: str) -> int:
        """Take one request from `key_id`'s bucket: 0 if admitted, else whole seconds to wait."""
        if not self.enabled:
            return 0
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(tokens=self._burst, updated=now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            return max(1, math.ceil((1.0 - bucket.tokens) / self._rate))
