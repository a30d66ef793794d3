"""Multi-turn held-out exchanges (follow-ups, clarification answers, references, corrections),
played through `POST /v1/messages` on the store they name, turn by turn as a helpdesk sends them.

A chat turn that gives the shopper's email vouches for it (`customer.verified: ["email"]`), as a
helpdesk does for a logged-in shopper; an email turn is proven by its channel. An exchange passes
when every expectation on every turn holds.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role

EXCHANGES_PATH = Path(__file__).with_name("followups.yaml")
SETS = {
    "followups": EXCHANGES_PATH,
    "fresh": Path(__file__).with_name("fresh.yaml"),
    "fresh2": Path(__file__).with_name("fresh2.yaml"),
    "fresh3": Path(__file__).with_name("fresh3.yaml"),
}
"""`followups.yaml` was written before this work and then used to find what failed (a dev set
since); `fresh.yaml` was written afterwards by another hand, measured at 0.766, and then also used
to find what failed (a second dev set); `fresh2.yaml` was written by a third hand, measured at
0.655 and then studied in turn (a third dev set); `fresh3.yaml`, written by a fourth hand, is the
test set: measured, never read for tuning."""
TEST_SET = "fresh3"
"""The set whose failures are never printed."""


@dataclass
class TurnFailure:
    turn: int
    what: str


@dataclass(frozen=True)
class Exchanged:
    """One turn as played: what the customer wrote and what came back."""

    channel: str
    text: str
    intent: str
    outcome: str
    reply: str


@dataclass
class ExchangeResult:
    id: str
    kind: str
    store: str
    cross_channel: bool
    failures: list[TurnFailure] = field(default_factory=list)
    transcript: list[Exchanged] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class ConversationReport:
    results: list[ExchangeResult]

    @property
    def accuracy(self) -> float:
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    def by(self, key: str) -> dict[str, tuple[int, int]]:
        """Passed and total per value of `key` (kind, store, cross_channel)."""
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for result in self.results:
            value = str(getattr(result, key))
            counts[value][0] += result.passed
            counts[value][1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def load_exchanges(path: Path = EXCHANGES_PATH) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text("utf-8"))
    exchanges = data["exchanges"]
    assert isinstance(exchanges, list)
    return exchanges


@contextlib.contextmanager
def store_dir_for(store: str) -> Iterator[Path]:
    """The store directory of `store` (demo | second; the second is written to a scratch dir)."""
    if store == "demo":
        yield DEMO_STORE_DIR
        return
    from evals.stores.second import write_second_store

    with tempfile.TemporaryDirectory(prefix="threadline-second-") as tmp:
        yield write_second_store(Path(tmp))


@contextlib.contextmanager
def store_client(
    store_dir: Path, data_dir: Path, name: str
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app on `store_dir` with a database of its own (`name`) and an admin key's headers.

    Exchanges share `data_dir` (the knowledge index, ingested once) but nothing a conversation
    leaves behind: each gets a new database, new sessions and the shop as its fixtures describe.
    """
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir}/{name}.sqlite",
        store_dir=store_dir,
        log_level="WARNING",
    )
    for leftover in [*(data_dir / "sandbox").glob("*.json"), *data_dir.glob("checkpoints.*")]:
        leftover.unlink()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        key, _ = create_key(session, Role.admin, "conversation-eval")
    try:
        with TestClient(create_app(settings, engine)) as client:
            yield client, {"Authorization": f"Bearer {key}"}
    finally:
        engine.dispose()


def _body(exchange: dict[str, Any], index: int, turn: dict[str, Any]) -> dict[str, Any]:
    customer = dict(exchange.get("customer") or {})
    channel = turn["channel"]
    if channel == "email":
        customer = {"email": customer["email"]}
    elif customer.get("email") and channel == "chat":
        customer["verified"] = ["email"]
    return {
        "channel": channel,
        "external_id": f"{exchange['id']}-{index}",
        "customer": customer,
        "text": turn["text"],
        **({"subject": turn["subject"]} if turn.get("subject") else {}),
    }


def check_turn(expect: dict[str, Any], response: dict[str, Any]) -> list[str]:
    """What of `expect` the response misses (empty when it meets all of it)."""
    misses: list[str] = []
    reply = ((response.get("reply") or {}).get("text") or "").lower()
    sources = {s["id"] for s in response.get("sources") or []}
    if (wanted := expect.get("sources_any")) and not sources & set(wanted):
        misses.append(f"sources {sorted(sources)} lack any of {wanted}")
    if (intent := expect.get("intent")) and response["intent"]["name"] != intent:
        misses.append(f"intent {response['intent']['name']} != {intent}")
    if (facts := expect.get("contains_any")) and not any(str(f).lower() in reply for f in facts):
        misses.append(f"reply lacks any of {facts}")
    for banned in expect.get("not_contains") or []:
        if str(banned).lower() in reply:
            misses.append(f"reply contains {banned!r}")
    if (outcome := expect.get("outcome")) and response["outcome"] != outcome:
        misses.append(f"outcome {response['outcome']} != {outcome}")
    return misses


def run_exchange(
    client: TestClient, headers: dict[str, str], exchange: dict[str, Any]
) -> ExchangeResult:
    result = ExchangeResult(
        id=exchange["id"],
        kind=exchange["kind"],
        store=exchange.get("store", "demo"),
        cross_channel=bool(exchange.get("cross_channel")),
    )
    for index, turn in enumerate(exchange["turns"], start=1):
        response = client.post("/v1/messages", json=_body(exchange, index, turn), headers=headers)
        if response.status_code != 200:
            result.failures.append(TurnFailure(index, f"HTTP {response.status_code}"))
            return result
        body = response.json()
        result.transcript.append(
            Exchanged(
                channel=turn["channel"],
                text=turn["text"],
                intent=body["intent"]["name"],
                outcome=body["outcome"],
                reply=(body.get("reply") or {}).get("text") or "",
            )
        )
        for miss in check_turn(turn.get("expect") or {}, body):
            result.failures.append(TurnFailure(index, miss))
    return result


def evaluate_conversations(
    exchanges: list[dict[str, Any]] | None = None, *, stores: tuple[str, ...] = ("demo", "second")
) -> ConversationReport:
    exchanges = load_exchanges() if exchanges is None else exchanges
    results: list[ExchangeResult] = []
    for store in stores:
        mine = [e for e in exchanges if e.get("store", "demo") == store]
        if not mine:
            continue
        with (
            store_dir_for(store) as store_dir,
            tempfile.TemporaryDirectory(prefix="threadline-conv-") as tmp,
        ):
            for exchange in mine:
                with store_client(store_dir, Path(tmp), exchange["id"]) as (client, headers):
                    results.append(run_exchange(client, headers, exchange))
    return ConversationReport(results)
