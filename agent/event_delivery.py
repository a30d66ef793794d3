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
import time
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import ColumnElement, Engine
from sqlmodel import col

from agent.escalation_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from agent.leased_worker import RETRYABLE, LeasedWorker, backoff
from inbox.models import EventStatus, OutboundEvent, utcnow
from inbox.outbound_events import utc_text

logger = logging.getLogger("threadline.events")


def envelope(row: OutboundEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "created_at": utc_text(row.created_at),
        "data": row.data,
    }


class EventDispatcher(LeasedWorker):
    """Delivers due events from `outbound_events` on a worker thread (started by `start`)."""

    model = OutboundEvent
    thread_name = "events"

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
        super().__init__(
            engine,
            poll_seconds=poll_seconds,
            lease_seconds=timeout_seconds * 2 + 5,
            join_seconds=timeout_seconds + 5,
        )
        self.url = url
        self.secret = secret
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._client = httpx.Client(timeout=timeout_seconds)

    def stop(self) -> None:
        super().stop()
        self._client.close()

    def waiting(self) -> Sequence[ColumnElement[bool]]:
        return [col(OutboundEvent.status) == EventStatus.pending]

    def attempt(self, row: OutboundEvent) -> None:
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
            values["next_attempt_at"] = now + backoff(self.backoff_seconds, attempts)
        self.record(row.id, values)
        logger.info(
            "event %s (%s) attempt %d: %s",
            row.id,
            row.type,
            attempts,
            values.get("status", "retry scheduled"),
        )
