"""Escalation webhooks against a real local HTTP receiver: signature, retries, recorded outcome."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from agent.escalation_delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EscalationNotifier,
    verify_signature,
)
from inbox.conversations import current_conversation
from inbox.db import make_engine, session_scope, upgrade
from inbox.identity import IdentityClaim, resolve_customer
from inbox.models import Escalation

SECRET = "whsec-test-0123456789"


class Receiver:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/escalations"


@pytest.fixture
def escalation(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    engine = make_engine(f"sqlite:///{tmp_path}/hooks.db")
    upgrade(engine)
    with session_scope(engine) as session:
        customer = resolve_customer(session, [IdentityClaim.of("email", "a@b.io", verified=True)])
        conversation = current_conversation(session, customer.customer.id, "email")
        row = Escalation(
            conversation_id=conversation.id,
            customer_id=customer.customer.id,
            channel="email",
            reason_code="legal",
            priority="high",
            packet={"id": "x"},
            webhook_status="pending",
        )
        session.add(row)
        session.flush()
        escalation_id = row.id
    yield engine, escalation_id
    engine.dispose()


def _row(engine: Any, escalation_id: str) -> Escalation:
    with Session(engine) as session:
        row = session.get(Escalation, escalation_id)
        assert row is not None
        return row


def test_delivers_a_signed_packet(escalation: tuple[Any, str]) -> None:
    engine, escalation_id = escalation
    receiver = Receiver([200])
    notifier = EscalationNotifier(engine, receiver.url, SECRET, sleep=lambda _: None)
    notifier.notify(escalation_id, {"id": escalation_id, "reason": {"code": "legal"}})
    assert notifier.flush(10)
    [hit] = receiver.received
    headers = {k.lower(): v for k, v in hit["headers"].items()}
    assert verify_signature(
        SECRET, headers[TIMESTAMP_HEADER.lower()], hit["body"], headers[SIGNATURE_HEADER.lower()]
    )
    assert not verify_signature(
        "wrong-secret",
        headers[TIMESTAMP_HEADER.lower()],
        hit["body"],
        headers[SIGNATURE_HEADER.lower()],
    )
    assert json.loads(hit["body"])["reason"]["code"] == "legal"
    row = _row(engine, escalation_id)
    assert (row.webhook_status, row.webhook_attempts) == ("delivered", 1)


def test_retries_server_errors_then_succeeds(escalation: tuple[Any, str]) -> None:
    engine, escalation_id = escalation
    receiver = Receiver([500, 503, 200])
    waits: list[float] = []
    notifier = EscalationNotifier(engine, receiver.url, SECRET, sleep=waits.append)
    notifier.notify(escalation_id, {"id": escalation_id})
    assert notifier.flush(10)
    assert len(receiver.received) == 3
    assert waits == [1.0, 2.0]  # exponential back-off between attempts
    assert _row(engine, escalation_id).webhook_status == "delivered"


def test_gives_up_after_bounded_attempts_and_records_it(escalation: tuple[Any, str]) -> None:
    engine, escalation_id = escalation
    receiver = Receiver([500] * 10)
    notifier = EscalationNotifier(
        engine, receiver.url, SECRET, max_attempts=3, sleep=lambda _: None
    )
    notifier.notify(escalation_id, {"id": escalation_id})
    assert notifier.flush(10)
    assert len(receiver.received) == 3
    row = _row(engine, escalation_id)
    assert (row.webhook_status, row.webhook_attempts) == ("failed", 3)


def test_a_client_error_is_not_retried(escalation: tuple[Any, str]) -> None:
    engine, escalation_id = escalation
    receiver = Receiver([400, 200])
    notifier = EscalationNotifier(engine, receiver.url, SECRET, sleep=lambda _: None)
    notifier.notify(escalation_id, {"id": escalation_id})
    assert notifier.flush(10)
    assert len(receiver.received) == 1
    assert _row(engine, escalation_id).webhook_status == "failed"


def test_undelivered_packets_are_sent_after_a_restart(escalation: tuple[Any, str]) -> None:
    engine, escalation_id = escalation  # stored as `pending`, as if the process had stopped
    receiver = Receiver([200])
    notifier = EscalationNotifier(engine, receiver.url, SECRET, sleep=lambda _: None)
    assert notifier.resume_pending() == 1
    assert notifier.flush(10)
    assert json.loads(receiver.received[0]["body"]) == {"id": "x"}
    assert _row(engine, escalation_id).webhook_status == "delivered"
    assert notifier.resume_pending() == 0
