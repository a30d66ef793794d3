"""A worker thread that delivers rows of a queue table (the event webhook's events, the outbox)
one at a time, each claimed with a lease first, so several processes share one table without
delivering a row twice at once; and the exponential backoff both use between attempts."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Engine, or_, update
from sqlmodel import Session, col, select

from inbox.models import utcnow

MAX_BACKOFF_SECONDS = 3600.0
RETRYABLE = frozenset({408, 425, 429})
"""HTTP answers worth trying again (with every 5xx and network errors)."""


def backoff(base_seconds: float, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the base, then twice, four times it,
    and so on, at most an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS))


class LeasedWorker(ABC):
    """Subclasses name their table (`model`, with `id`, `next_attempt_at` and `lease_until`),
    which rows are due (`waiting`), and how one row is attempted (`attempt`)."""

    model: ClassVar[Any]
    thread_name: ClassVar[str]

    def __init__(
        self, engine: Engine, *, poll_seconds: float, lease_seconds: float, join_seconds: float
    ) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.join_seconds = join_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.logger = logging.getLogger(f"threadline.{self.thread_name}")

    @abstractmethod
    def waiting(self) -> Sequence[ColumnElement[bool]]:
        """What makes a row wait for an attempt (besides being due and not leased)."""

    @abstractmethod
    def attempt(self, row: Any) -> None:
        """Try to deliver a claimed row and record the outcome (clearing its lease)."""

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds)

    def wake(self) -> None:
        """Look for due rows now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # a bug or a database outage must not end the worker
                self.logger.exception("delivery pass failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _claimable(self, now: datetime) -> list[ColumnElement[bool]]:
        lease = col(self.model.lease_until)
        return [*self.waiting(), or_(lease.is_(None), lease < now)]

    def deliver_due(self, limit: int = 50) -> int:
        """One pass: attempt every due row this process can claim; how many were tried."""
        now = utcnow()
        with Session(self.engine) as session:
            ids = session.exec(
                select(self.model.id)
                .where(col(self.model.next_attempt_at) <= now, *self._claimable(now))
                .order_by(col(self.model.next_attempt_at), col(self.model.id))
                .limit(limit)
            ).all()
        tried = 0
        for row_id in ids:
            if self._stop.is_set():
                break
            row = self._claim(row_id)
            if row is not None:
                self.attempt(row)
                tried += 1
        return tried

    def _claim(self, row_id: str) -> Any:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            claimed = session.execute(
                update(self.model)
                .where(col(self.model.id) == row_id, *self._claimable(now))
                .values(lease_until=now + timedelta(seconds=self.lease_seconds))
            )
            session.commit()
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(self.model, row_id)

    def record(self, row_id: str, values: dict[str, Any]) -> None:
        """Store an attempt's outcome on the row."""
        with Session(self.engine) as session:
            session.execute(update(self.model).where(col(self.model.id) == row_id).values(**values))
            session.commit()
