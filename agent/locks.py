"""One customer's turns run one at a time: a thread lock here, and across API processes a
PostgreSQL advisory lock when the database is PostgreSQL (SQLite means one process anyway)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


class CustomerLocks:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def _thread_lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._local[key]

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold `key` for this process and, on PostgreSQL, for every process on the database."""
        with self._thread_lock(key):
            if self.engine.dialect.name != "postgresql":
                yield
                return
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"), {"k": key})
                try:
                    yield
                finally:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"), {"k": key}
                    )
                    conn.commit()
