"""The outbox worker: sends due rows through their provider's adapter, with backoff.

A row is due when it is `pending` or `failed` and its `next_attempt_at` has come. It is claimed
with a lease first (several processes may share the table, none sends a row twice at once),
then its adapter is called. A failure worth retrying waits 1, 2, 4, … times the backoff (at most
an hour) and the row is `failed` meanwhile; after `max_attempts`, or when the provider refuses
the message for good, the row is `dead` and stays in the table with its last error, so nothing
is lost and a person can see it in `GET /v1/outbox`. Rows without an adapter here (no provider,
or a provider that is not configured) are left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, update
from sqlmodel import Session, col, select

from agent.delivery.adapters import Adapter, Sent, Window
from inbox.conversations import as_utc
from inbox.models import Direction, Message, OutboxMessage, OutboxStatus, utcnow

logger = logging.getLogger("threadline.outbox")

MAX_BACKOFF_SECONDS = 3600.0
DUE = (OutboxStatus.pending, OutboxStatus.failed)


class OutboxWorker:
    """Delivers due outbox rows on a worker thread (started by `start`)."""

    def __init__(
        self,
        engine: Engine,
        adapters: Mapping[str, Adapter],
        *,
        max_attempts: int = 6,
        backoff_seconds: float = 5.0,
        poll_seconds: float = 1.0,
        lease_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.adapters = dict(adapters)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.lease_seconds)

    def wake(self) -> None:
        """Look for due rows now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # a bug or a database outage must not end the worker
                logger.exception("outbox delivery pass failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def deliver_due(self, limit: int = 50) -> int:
        """One pass: try every due row this process can claim; how many were tried."""
        if not self.adapters:
            return 0
        now = utcnow()
        with Session(self.engine) as session:
            ids = session.exec(
                select(OutboxMessage.id)
                .where(
                    col(OutboxMessage.status).in_(DUE),
                    col(OutboxMessage.provider).in_(list(self.adapters)),
                    col(OutboxMessage.next_attempt_at) <= now,
                    or_(
                        col(OutboxMessage.lease_until).is_(None),
                        col(OutboxMessage.lease_until) < now,
                    ),
                )
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(limit)
            ).all()
        tried = 0
        for row_id in ids:
            if self._stop.is_set():
                break
            row = self._claim(row_id)
            if row is not None:
                self._attempt(row)
                tried += 1
        return tried

    def _claim(self, row_id: str) -> OutboxMessage | None:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            claimed = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == row_id,
                    col(OutboxMessage.status).in_(DUE),
                    or_(
                        col(OutboxMessage.lease_until).is_(None),
                        col(OutboxMessage.lease_until) < now,
                    ),
                )
                .values(lease_until=now + timedelta(seconds=self.lease_seconds))
            )
            session.commit()
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(OutboxMessage, row_id)

    def _window(self, row: OutboxMessage) -> Window:
        if row.customer_id is None:
            return Window(last_inbound_age_seconds=None)
        with Session(self.engine) as session:
            last = session.exec(
                select(func.max(Message.sent_at)).where(
                    Message.customer_id == row.customer_id,
                    Message.channel == row.channel,
                    Message.direction == Direction.inbound,
                )
            ).one()
        if last is None:
            return Window(last_inbound_age_seconds=None)
        return Window(last_inbound_age_seconds=(utcnow() - as_utc(last)).total_seconds())

    def _attempt(self, row: OutboxMessage) -> None:
        adapter = self.adapters[str(row.provider)]
        try:
            result = adapter.send(row, self._window(row))
        except Exception as exc:  # an adapter bug is a failed attempt, not a lost message
            logger.exception("outbox adapter %s failed on %s", row.provider, row.id)
            result = Sent(ok=False, retry=True, error=f"{type(exc).__name__} in the adapter")
        attempts = row.attempts + 1
        now = utcnow()
        values: dict[str, Any] = {
            "attempts": attempts,
            "lease_until": None,
            "last_error": (result.error or "")[:300] or None,
        }
        if result.progress:
            values["meta"] = {**row.meta, **result.progress}
        if result.ok:
            values.update(
                status=OutboxStatus.sent,
                sent_at=now,
                provider_message_id=result.provider_message_id,
                last_error=None,
            )
        elif result.status is not None:
            values["status"] = result.status
        elif result.retry and attempts < self.max_attempts:
            wait = min(self.backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
            values.update(status=OutboxStatus.failed, next_attempt_at=now + timedelta(seconds=wait))
        else:
            values["status"] = OutboxStatus.dead
        with Session(self.engine) as session:
            session.execute(
                update(OutboxMessage).where(col(OutboxMessage.id) == row.id).values(**values)
            )
            session.commit()
        logger.info(
            "outbox %s (%s/%s) attempt %d: %s",
            row.id,
            row.channel,
            row.provider,
            attempts,
            values.get("status", "?"),
        )
