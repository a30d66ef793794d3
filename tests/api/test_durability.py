"""Durability under load and crashes, against real `threadline serve` processes (issue 9).

Bounded so CI runs them: fifty deliveries of one confirmation, and a server killed with SIGKILL
in the middle of a burst that includes a confirmed cancellation. Mixed load at concurrency 32 on
one and on two processes, and a failing shop, are in `test_load.py`.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from api.settings import DEMO_STORE_DIR
from inbox.db import make_engine
from inbox.models import Direction, Message, ToolCall
from tests.api.servers import Server, serve

pytestmark = pytest.mark.load

ORDERS: list[dict[str, Any]] = json.loads((DEMO_STORE_DIR / "sandbox" / "orders.json").read_text())[
    "orders"
]
CUSTOMERS: list[dict[str, Any]] = json.loads(
    (DEMO_STORE_DIR / "sandbox" / "customers.json").read_text()
)["customers"]


def _serve(data_dir: Path) -> AbstractContextManager[Server]:
    """A server whose leases run out after 3 s and whose recovery sweep runs every second."""
    return serve(
        data_dir, message_lease_seconds="3", recovery_interval_seconds="1", log_level="WARNING"
    )


def _question(n: int) -> dict[str, Any]:
    topics = [
        "what's your return policy?",
        "how long does shipping take?",
        "do you ship to Canada?",
        "can I exchange for another size?",
    ]
    return {
        "channel": "chat",
        "external_id": f"burst-{n}",
        "customer": {"handle": f"burst-visitor-{n}"},
        "text": topics[n % len(topics)],
    }


def _deliver_until_answered(server: Server, body: dict[str, Any]) -> dict[str, Any]:
    """Redeliver like a helpdesk: on 409 wait as told, on a dropped connection try again."""
    for _ in range(200):
        try:
            response = server.post(body)
        except httpx.TransportError:
            time.sleep(0.5)
            continue
        if response.status_code == 409:
            time.sleep(float(response.headers.get("Retry-After", "1")) / 4)
            continue
        assert response.status_code == 200, response.text
        return dict(response.json())
    raise AssertionError(f"{body['external_id']} was never answered")


def _answers(data_dir: Path) -> tuple[dict[str, int], Counter[str]]:
    """Per inbound external id, whether it has a stored response; AI replies per inbound id."""
    engine = make_engine(f"sqlite:///{data_dir / 'threadline.db'}")
    with Session(engine) as session:
        messages = session.exec(select(Message)).all()
        calls = session.exec(select(ToolCall)).all()
    engine.dispose()
    answered = {
        str(m.external_id): 1 if m.meta.get("response") else 0
        for m in messages
        if m.direction == Direction.inbound
    }
    replies = Counter(
        str(m.meta.get("in_reply_to"))
        for m in messages
        if m.direction == Direction.outbound and m.meta.get("in_reply_to")
    )
    assert len({c.idempotency_key for c in calls}) == len(calls)
    return answered, replies


def _cancellable() -> tuple[dict[str, Any], str]:
    """An unshipped, paid order within the demo's refund limit, and its owner's email."""
    for order in ORDERS:
        email = order.get("email") or (order.get("customer") or {}).get("email")
        if (
            not order.get("cancelled_at")
            and order.get("fulfillment_status") is None
            and order.get("financial_status") == "paid"
            and float(order["total_price"]) <= 100
            and email
        ):
            return order, email
    raise LookupError("no cancellable order in the demo store")


def test_fifty_deliveries_of_one_yes_cancel_once(tmp_path: Path) -> None:
    order, email = _cancellable()
    with _serve(tmp_path) as server:
        _propose_cancel(server, order, email, "ask-cancel")
        bodies = [
            {
                "channel": "email",
                # half are redeliveries of one message, half are separate yeses
                "external_id": "yes-same" if n % 2 else f"yes-{n}",
                "customer": {"email": email},
                "text": "YES",
            }
            for n in range(50)
        ]
        with ThreadPoolExecutor(50) as pool:
            timed = list(pool.map(lambda b: _timed(server, b), bodies))
    statuses = Counter(status for status, _, _ in timed)
    assert set(statuses) <= {200, 409}, statuses
    assert all(seconds < 30 for status, seconds, _ in timed if status == 409)
    done = [
        a
        for status, _, body in timed
        if status == 200
        for a in body["actions"]
        if a["tool"] == "cancel_order" and a["status"] == "done"
    ]
    same = {json.dumps(body, sort_keys=True) for status, _, body in timed if status == 200}
    assert done, "the yes cancelled the order"
    writes = _writes(tmp_path, "cancel_order")
    assert writes == 1, f"{writes} cancellations for one yes"
    assert len(same) >= 1


def _propose_cancel(server: Server, order: dict[str, Any], email: str, external_id: str) -> None:
    """The order's owner asks, by email, to cancel it; the agent proposes and waits for a yes."""
    ask = server.post(
        {
            "channel": "email",
            "external_id": external_id,
            "customer": {"email": email},
            "text": f"Please cancel order {order['name']}.",
        }
    ).json()
    assert "YES" in ask["reply"]["text"]


def _timed(server: Server, body: dict[str, Any]) -> tuple[int, float, dict[str, Any]]:
    started = time.monotonic()
    response = server.post(body)
    payload = response.json() if response.status_code == 200 else {}
    return response.status_code, time.monotonic() - started, payload


def _writes(data_dir: Path, tool: str) -> int:
    """Successful writes of `tool` in the idempotency ledger (one row per executed write)."""
    engine = make_engine(f"sqlite:///{data_dir / 'threadline.db'}")
    with Session(engine) as session:
        rows = session.exec(select(ToolCall).where(ToolCall.tool == tool)).all()
    engine.dispose()
    return sum(1 for row in rows if row.status == "done")


def test_a_server_killed_mid_burst_answers_every_message_once_after_restart(
    tmp_path: Path,
) -> None:
    order, email = _cancellable()
    yes = {
        "channel": "email",
        "external_id": "kill-yes",
        "customer": {"email": email},
        "text": "Yes, go ahead.",
    }
    bodies = [_question(n) for n in range(40)]
    bodies.insert(20, yes)
    with _serve(tmp_path) as server:
        _propose_cancel(server, order, email, "kill-ask")
        answered_before: list[str] = []

        def send(body: dict[str, Any]) -> None:
            try:
                if server.post(body, timeout=30).status_code == 200:
                    answered_before.append(body["external_id"])
            except httpx.TransportError:
                pass  # the server died under this request

        threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        while len(answered_before) < 5 and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
        for thread in threads:
            thread.join(timeout=60)
    assert len(answered_before) < len(bodies), "the kill came too late to test anything"

    with _serve(tmp_path) as server:
        results = {body["external_id"]: _deliver_until_answered(server, body) for body in bodies}
    answered, replies = _answers(tmp_path)
    assert all(answered[body["external_id"]] == 1 for body in bodies)
    assert all(count == 1 for count in replies.values()), "a message answered twice"
    assert _writes(tmp_path, "cancel_order") <= 1
    reply = results["kill-yes"]["reply"]["text"]
    assert "cancel" in reply.lower() and order["name"] in reply
