"""Delivering events to the integrator's webhook: signed, retried with backoff, logged.

One subscription (`THREADLINE_EVENTS_WEBHOOK_URL`) receives every event type it subscribes to as
`POST {"id", "type", "created_at", "data"}` with the escalation webhook's signature scheme:
`X-Threadline-Signature: sha256=<hex>` is the HMAC-SHA256 of `<X-Threadline-Timestamp>.<body>`.
`X-Threadline-Event` names the type and `X-Threadline-Delivery` the event id, the same on every
retry, so a receiver drops repeats by it. A 2xx answer delivers; 408, 429 and 5xx answers and
network errors are retried after 1, 2, 4, … times the backoff; any other answer, or the last
attempt failing, marks the event `failed`. Rows are claimed with a lease, so several processes
can run workers on one database without sending an event twice at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from agent.escalation_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from inbox.models import EventStatus, OutboundEvent, utcnow
from inbox.outbound_events import utc_text

logger = logging.getLogger("threadline.events")

RETRYABLE = {408, 425, 429}
MAX_BACKOFF_SECONDS = 3600.0


def envelope(row: OutboundEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "created_at": utc_text(row.created_at),
        "data": row.data,
    }


class EventDispatcher:
    """Delivers due events from `outbound_events` on a worker thread (started by `start`)."""

    def __init__(
        self,
        engine: Engine,
        url: str,
        secret: str,
        *,
        max_attempts: int = 8,
        backoff_seconds: float = 2.0,
        timeout_seconds: float = 5.0,
        poll_seconds: float = 0.5,
    ) -> None:
        self.engine = engine
        self.url = url
        self.secret = secret
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._worker: threading.Thread | None = None
        self._client = httpx.Client(timeout=timeout_seconds)

    def start(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._stop.clear()
            self._worker = threading.Thread(target=self._run, name="event-webhook", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout=self.timeout_seconds + 5)
        self._client.close()

    def wake(self) -> None:
        """Look for due events now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # a bug or a database outage must not end the worker
                logger.exception("event delivery pass failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def deliver_due(self, limit: int = 50) -> int:
        """One pass: deliver (or retry) every due event this process can claim; how many tried."""
        now = utcnow()
        with Session(self.engine) as session:
            ids = session.exec(
                select(OutboundEvent.id)
                .where(
                    OutboundEvent.status == EventStatus.pending,
                    col(OutboundEvent.next_attempt_at) <= now,
                    or_(
                        col(OutboundEvent.lease_until).is_(None),
                        col(OutboundEvent.lease_until) < now,
                    ),
                )
                .order_by(col(OutboundEvent.created_at), col(OutboundEvent.id))
                .limit(limit)
            ).all()
        tried = 0
        for event_id in ids:
            if self._stop.is_set():
                break
            row = self._claim(event_id)
            if row is not None:
                self._attempt(row)
                tried += 1
        return tried

    def _claim(self, event_id: str) -> OutboundEvent | None:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            claimed = session.execute(
                update(OutboundEvent)
                .where(
                    col(OutboundEvent.id) == event_id,
                    col(OutboundEvent.status) == EventStatus.pending,
                    or_(
                        col(OutboundEvent.lease_until).is_(None),
                        col(OutboundEvent.lease_until) < now,
                    ),
                )
                .values(lease_until=now + timedelta(seconds=self.timeout_seconds * 2 + 5))
            )
            session.commit()
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(OutboundEvent, event_id)

    def _attempt(self, row: OutboundEvent) -> None:
        body = json.dumps(envelope(row), sort_keys=True, default=str).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Threadline-Events/1",
            "X-Threadline-Event": row.type,
            "X-Threadline-Delivery": row.id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        code: int | None = None
        error: str | None = None
        try:
            response = self._client.post(self.url, content=body, headers=headers)
            code = response.status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        attempts = row.attempts + 1
        now = utcnow()
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": code,
            "last_error": error or (None if code is None or code < 300 else f"HTTP {code}"),
            "lease_until": None,
        }
        if code is not None and 200 <= code < 300:
            values.update(status=EventStatus.delivered, delivered_at=now)
        elif attempts >= self.max_attempts or not (
            code is None or code in RETRYABLE or code >= 500
        ):
            values["status"] = EventStatus.failed
        else:
            wait = min(self.backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
            values["next_attempt_at"] = now + timedelta(seconds=wait)
        with Session(self.engine) as session:
            session.execute(
                update(OutboundEvent).where(col(OutboundEvent.id) == row.id).values(**values)
            )
            session.commit()
        logger.info(
            "event %s (%s) attempt %d: %s",
            row.id,
            row.type,
            attempts,
            values.get("status", "retry scheduled"),
        )
