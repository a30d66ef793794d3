"""Delivering escalation packets to the team's webhook: signed, retried, recorded.

Each POST carries `X-Threadline-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<X-Threadline-Timestamp>.<body>` under the shared secret, so the receiver can check both origin and
freshness. Delivery runs on a worker thread with bounded retries and never delays the customer's
reply; the outcome is written on the escalation row (`webhook_status`, `webhook_attempts`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from inbox.db import session_scope
from inbox.models import Escalation

logger = logging.getLogger("threadline.escalation")

SIGNATURE_HEADER = "X-Threadline-Signature"
TIMESTAMP_HEADER = "X-Threadline-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class EscalationNotifier:
    """Posts packets to `url`; with no URL it records `disabled` and sends nothing."""

    def __init__(
        self,
        engine: Engine,
        url: str | None,
        secret: str | None,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.url = url
        self.secret = secret or ""
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def notify(self, escalation_id: str, packet: dict[str, Any]) -> None:
        """Queue a packet for delivery (returns at once)."""
        if not self.enabled:
            return
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._run, name="escalation-webhook", daemon=True
                )
                self._worker.start()
        self._queue.put((escalation_id, packet))

    def resume_pending(self) -> int:
        """Queue every escalation still `pending` (e.g. the process stopped mid-delivery)."""
        if not self.enabled:
            return 0
        with Session(self.engine) as session:
            rows = session.exec(
                select(Escalation).where(Escalation.webhook_status == "pending")
            ).all()
            pending = [(row.id, dict(row.packet)) for row in rows]
        for escalation_id, packet in pending:
            self.notify(escalation_id, packet)
        if pending:
            logger.info("re-queued %d undelivered escalation(s)", len(pending))
        return len(pending)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued packet was delivered or gave up; True if the queue drained."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            except Exception:  # a bug here must not kill the worker
                logger.exception("escalation delivery crashed")
            finally:
                self._queue.task_done()

    def _deliver(self, escalation_id: str, packet: dict[str, Any]) -> None:
        body = json.dumps(packet, default=str, sort_keys=True).encode()
        status = "failed"
        attempts = 0
        with httpx.Client(timeout=self.timeout_seconds) as client:
            for attempts in range(1, self.max_attempts + 1):
                timestamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": "Threadline-Escalations/1",
                    "X-Threadline-Event": "escalation.created",
                    "X-Threadline-Delivery": escalation_id,
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: sign(self.secret, timestamp, body),
                }
                try:
                    response = client.post(self.url or "", content=body, headers=headers)
                    if response.status_code < 300:
                        status = "delivered"
                        break
                    retryable = response.status_code == 429 or response.status_code >= 500
                    logger.warning(
                        "escalation webhook answered %s (attempt %d)",
                        response.status_code,
                        attempts,
                    )
                    if not retryable:
                        break
                except httpx.HTTPError as exc:
                    logger.warning(
                        "escalation webhook unreachable: %s (attempt %d)",
                        type(exc).__name__,
                        attempts,
                    )
                if attempts < self.max_attempts:
                    self._sleep(self.backoff_seconds * 2 ** (attempts - 1))
        with session_scope(self.engine) as session:
            row = session.get(Escalation, escalation_id)
            if row is not None:
                row.webhook_status = status
                row.webhook_attempts = attempts
        logger.info("escalation %s webhook %s after %d attempt(s)", escalation_id, status, attempts)
