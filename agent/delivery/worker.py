"""The outbox worker: sends due rows through their provider's adapter, with backoff.

A row is due when it is `pending` or `failed` and its `next_attempt_at` has come. It is claimed
with a lease first (several processes may share the table, none sends a row twice at once),
then its adapter is called. A failure worth retrying waits 1, 2, 4, … times the backoff (at most
an hour) and the row is `failed` meanwhile; after `max_attempts`, or when the provider refuses
the message for good, the row is `dead` and stays in the table with its last error, so nothing
is lost and a person can see it in `GET /v1/outbox`. A row whose `meta["after"]` names another
waits until that one is sent or dead (a hand-off note after the holding reply). Rows without an
adapter here (no provider, or a provider that is not configured) are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, func
from sqlmodel import Session, col, select

from agent.delivery.adapters import Adapter, Sent, Window
from agent.leased_worker import LeasedWorker, backoff
from inbox.conversations import as_utc
from inbox.models import Direction, Message, OutboxMessage, OutboxStatus, utcnow
from inbox.outbox import AFTER

logger = logging.getLogger("threadline.outbox")

DUE = (OutboxStatus.pending, OutboxStatus.failed)


class OutboxWorker(LeasedWorker):
    """Delivers due outbox rows on a worker thread (started by `start`)."""

    model = OutboxMessage
    thread_name = "outbox"

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
        super().__init__(
            engine,
            poll_seconds=poll_seconds,
            lease_seconds=lease_seconds,
            join_seconds=lease_seconds,
        )
        self.adapters = dict(adapters)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds

    def waiting(self) -> Sequence[ColumnElement[bool]]:
        return [
            col(OutboxMessage.status).in_(DUE),
            col(OutboxMessage.provider).in_(list(self.adapters)),
        ]

    def deliver_due(self, limit: int = 50) -> int:
        return super().deliver_due(limit) if self.adapters else 0

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

    def _waits_for(self, row: OutboxMessage) -> OutboxMessage | None:
        """The row that must go first (`meta["after"]`) while it has not been sent yet."""
        before_id = (row.meta or {}).get(AFTER)
        if not before_id:
            return None
        with Session(self.engine) as session:
            before = session.get(OutboxMessage, before_id)
        return before if before is not None and before.status in DUE else None

    def attempt(self, row: OutboxMessage) -> None:
        before = self._waits_for(row)
        if before is not None:  # not an attempt: due again once the one before it is
            later = max(as_utc(before.next_attempt_at), utcnow()) + timedelta(milliseconds=50)
            self.record(row.id, {"lease_until": None, "next_attempt_at": later})
            return
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
            values.update(
                status=OutboxStatus.failed,
                next_attempt_at=now + backoff(self.backoff_seconds, attempts),
            )
        else:
            values["status"] = OutboxStatus.dead
        self.record(row.id, values)
        logger.info(
            "outbox %s (%s/%s) attempt %d: %s",
            row.id,
            row.channel,
            row.provider,
            attempts,
            values.get("status", "?"),
        )
