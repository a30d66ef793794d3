"""A mixed concurrent load for real `threadline serve` processes, and what it must leave behind.

`script_load(n)` writes conversations that add up to `n` messages on the demo store: its customers
asking about their own orders by email and cancelling the cancellable ones (a second "yes" comes
as a new message, to try for a second action), anonymous chat visitors asking policy questions,
and visitors claiming an order by its number and email. About one message in ten is delivered
twice at once (to the other process where there are two). `drive` sends each conversation in
order and many conversations at once, redelivering after a 409 as a helpdesk would; `Ledger`
reads what the database holds afterwards.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import Session, select

from inbox.db import make_engine
from inbox.models import Author, Direction, Message, ToolCall
from tests.agent.demo import ORDERS, owner_email
from tests.api.servers import Server

QUESTIONS = [
    "what's your return policy?",
    "how long does shipping usually take",
    "do you ship to canada?",
    "can i swap for another size",
    "Do you price match?",
    "how do gift cards work",
    "is there a warranty on jackets?",
    "when will i get my refund after a return",
]
ORDER_ASKS = [
    "Hi, where is my order {name}?",
    "Has {name} shipped yet? Thanks",
    "could you tell me what's in order {name}",
]


def _cancellable(order: dict[str, Any]) -> bool:
    return (
        not order.get("cancelled_at")
        and order.get("fulfillment_status") is None
        and order.get("financial_status") == "paid"
    )


@dataclass
class Delivery:
    body: dict[str, Any]
    twice: bool = False
    """Delivered twice at once (a helpdesk's retry racing the original)."""


@dataclass
class Script:
    """One customer's conversation: sent in order, one message after the other's answer."""

    deliveries: list[Delivery]

    @property
    def external_ids(self) -> list[str]:
        return [d.body["external_id"] for d in self.deliveries]


def script_load(messages: int, *, claims: float = 0.2, seed: int = 1) -> list[Script]:
    """Conversations adding up to `messages` deliveries (duplicates not counted); `claims` is the
    share of visitors who claim an order (each claim is an order lookup in the shop)."""
    rng = random.Random(seed)
    by_owner: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in ORDERS:
        if owner := owner_email(order):
            by_owner[owner].append(order)
    scripts: list[Script] = []
    for n, (email, orders) in enumerate(sorted(by_owner.items())):
        texts = [rng.choice(ORDER_ASKS).format(name=orders[0]["name"]), rng.choice(QUESTIONS)]
        cheapest = sorted(filter(_cancellable, orders), key=lambda o: float(o["total_price"]))
        if cancellable := next(iter(cheapest), None):
            texts += [f"Please cancel order {cancellable['name']}.", "YES", "yes, cancel it"]
        scripts.append(_script(rng, f"owner{n}", "email", {"email": email}, texts))
    n = 0
    while sum(len(s.deliveries) for s in scripts) < messages:
        n += 1
        if rng.random() < claims:
            order = rng.choice(ORDERS)
            claim = f"order {order['name']}, email {owner_email(order)}: has it shipped?"
            texts = [claim, rng.choice(QUESTIONS)]
        else:
            texts = rng.sample(QUESTIONS, rng.randint(1, 3))
        scripts.append(_script(rng, f"visitor{n}", "chat", {"handle": f"load-visitor-{n}"}, texts))
    rng.shuffle(scripts)
    return _trimmed(scripts, messages)


def _script(
    rng: random.Random, who: str, channel: str, customer: dict[str, str], texts: list[str]
) -> Script:
    return Script(
        [
            Delivery(
                {
                    "channel": channel,
                    "external_id": f"{who}-{i}",
                    "customer": customer,
                    "text": text,
                },
                twice=rng.random() < 0.1,
            )
            for i, text in enumerate(texts)
        ]
    )


def _trimmed(scripts: list[Script], messages: int) -> list[Script]:
    """Shorten or drop scripts from the end until the total is `messages`: visitors' first, and
    customers' only when the run is smaller than their conversations."""
    while (excess := sum(len(s.deliveries) for s in scripts) - messages) > 0:
        visitors = [i for i, s in enumerate(scripts) if s.deliveries[0].body["channel"] == "chat"]
        last = visitors[-1] if visitors else len(scripts) - 1
        if len(scripts[last].deliveries) > excess:
            scripts[last].deliveries = scripts[last].deliveries[:-excess]
        else:
            scripts.pop(last)
    return scripts


@dataclass
class Run:
    """What the senders saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    """Every HTTP status received (redeliveries included); -1 for a dropped connection."""
    transport_errors: Counter[str] = field(default_factory=Counter)
    """Dropped connections and timeouts by kind (redelivered, like any helpdesk would)."""
    conflict_seconds: list[float] = field(default_factory=list)
    """How long each 409 took to come back (it must come at once, never after a queued wait)."""
    latencies: list[float] = field(default_factory=list)
    """Seconds to each 200."""
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The answer per external id."""
    unanswered: list[str] = field(default_factory=list)
    differing_duplicates: list[str] = field(default_factory=list)
    """External ids whose two simultaneous deliveries got different answers."""
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[-1] if len(self.latencies) > 1 else 0.0

    def summary(self, label: str) -> str:
        sent = len(self.responses) + len(self.unanswered)
        return (
            f"{label}: {sent} messages in {self.seconds:.0f}s, statuses {dict(self.statuses)}, "
            f"p50 {statistics.median(self.latencies):.2f}s p95 {self.p95():.2f}s, "
            f"slowest 409 {max(self.conflict_seconds, default=0):.2f}s, "
            f"slowest 200 {max(self.latencies, default=0):.1f}s, "
            f"transport errors {dict(self.transport_errors)}"
        )


def drive(servers: list[Server], scripts: list[Script], concurrency: int) -> Run:
    """Send every script, `concurrency` at a time, spread over `servers` like a load balancer."""
    run = Run()
    started = time.monotonic()

    def deliver(server: Server, body: dict[str, Any]) -> dict[str, Any] | None:
        for _ in range(300):
            sent = time.monotonic()
            try:
                response = server.post(body, timeout=300)
            except httpx.TransportError as error:
                with run._lock:
                    run.statuses[-1] += 1
                    run.transport_errors[type(error).__name__] += 1
                time.sleep(0.5)
                continue
            took = time.monotonic() - sent
            with run._lock:
                run.statuses[response.status_code] += 1
                if response.status_code == 409:
                    run.conflict_seconds.append(took)
                elif response.status_code == 200:
                    run.latencies.append(took)
            if response.status_code != 409:
                return dict(response.json()) if response.status_code == 200 else None
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return None

    def play(index: int, script: Script) -> None:
        primary = servers[index % len(servers)]
        other = servers[(index + 1) % len(servers)]
        for delivery in script.deliveries:
            external_id = delivery.body["external_id"]
            if delivery.twice:
                with ThreadPoolExecutor(2) as pair:
                    first, second = pair.map(deliver, (primary, other), [delivery.body] * 2)
                if first != second:
                    run.differing_duplicates.append(external_id)
            else:
                first = deliver(primary, delivery.body)
            if first is None:
                run.unanswered.append(external_id)
            else:
                run.responses[external_id] = first

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda pair: play(*pair), enumerate(scripts)))
    run.seconds = time.monotonic() - started
    return run


@dataclass
class Ledger:
    """What the database holds after a run."""

    inbound: dict[str, Message]
    """Inbound messages by external id."""
    replies: Counter[str]
    """AI replies per inbound message id (sent, or held for review on a channel in review)."""
    timelines: dict[str, list[Message]]
    """Each customer's inbound and outbound messages in the order the database gives them."""
    writes: Counter[tuple[str, str]]
    """Successful writes per (tool, order)."""

    @classmethod
    def read(cls, database_url: str) -> Ledger:
        engine = make_engine(database_url)
        with Session(engine) as session:
            messages = session.exec(
                select(Message).order_by(Message.created_at, Message.id)  # type: ignore[arg-type]
            ).all()
            calls = session.exec(select(ToolCall)).all()
        engine.dispose()
        timelines: defaultdict[str, list[Message]] = defaultdict(list)
        replies = [m for m in messages if m.author == Author.ai and m.meta.get("in_reply_to")]
        for message in messages:
            if message.direction == Direction.inbound or message in replies:
                timelines[message.customer_id].append(message)
        return cls(
            inbound={str(m.external_id): m for m in messages if m.direction == Direction.inbound},
            replies=Counter(str(m.meta["in_reply_to"]) for m in replies),
            timelines=dict(timelines),
            writes=Counter((call.tool, _order_of(call)) for call in calls if call.status == "done"),
        )

    def cancelled(self) -> set[str]:
        return {order for tool, order in self.writes if tool == "cancel_order"}

    def out_of_order(self, scripts: list[Script]) -> list[str]:
        """Scripts whose messages the timeline holds in another order than they were sent, or
        without each answer right after its message."""
        wrong = []
        for script in scripts:
            first = self.inbound.get(script.external_ids[0])
            if first is None:
                wrong.append(script.external_ids[0])
                continue
            timeline = self.timelines[first.customer_id]
            expected: list[str] = []
            for external_id in script.external_ids:
                message = self.inbound[external_id]
                expected += [message.id, f"reply:{message.id}"]
            seen = [
                m.id if m.direction == Direction.inbound else f"reply:{m.meta.get('in_reply_to')}"
                for m in timeline
            ]
            if seen != expected:
                wrong.append(script.external_ids[0])
        return wrong


def _order_of(call: ToolCall) -> str:
    order = (call.result.get("data") or {}).get("order")
    return str(order.get("name") if isinstance(order, dict) else order)
