"""Plays a suite through the real app, over HTTP, against each store's sandbox shop.

Isolation: every case gets a fresh app (its own SQLite database, so no customer, session or
ledger carries over) and a reset shop (`POST /_sandbox/reset`), and is read back through
`GET /_sandbox/state` after its last turn. Cases that carry no customer at all (anonymous
threads, as in the retrieval and Bitext suites) and expect nothing of the shop share one app,
each in its own thread. Workers run cases side by side, each with its own shop per store; the
result never depends on the order or the number of workers.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evals.harness.app import Shop, passage_texts, serve_app, store_dir_of, warm_knowledge
from evals.harness.checks import (
    changed_orders,
    check_case,
    check_turn,
    escalation_code,
    reply_text,
    unsafe_events,
)
from evals.harness.suite import Suite


@dataclass
class TurnRecord:
    """One turn as played: what was sent, what came back, and what it missed."""

    index: int
    channel: str
    text: str
    status: int
    outcome: str = ""
    intent: str = ""
    confidence: float = 0.0
    reply: str = ""
    parts: list[str] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    escalation: str | None = None
    trace_id: str | None = None
    misses: list[str] = field(default_factory=list)


@dataclass
class CaseResult:
    id: str
    store: str
    tags: list[str]
    needs: list[str]
    attempt: int
    turns: list[TurnRecord] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    """Case-level misses (end state, escalation, tools that ran, unsafe events)."""
    unsafe: list[str] = field(default_factory=list)
    changed_orders: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.misses and not any(t.misses for t in self.turns)

    @property
    def channels(self) -> list[str]:
        return sorted({t.channel for t in self.turns})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data


@dataclass
class RunResult:
    suite: str
    repeat: int
    results: list[CaseResult]
    """Every attempt of every case, in suite order then attempt order."""
    cases: list[dict[str, Any]]
    """The cases as the suite gave them (for the metrics' expectations)."""
    seconds: float
    notes: list[str] = field(default_factory=list)
    passages: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each store's passage texts by id (for the context metrics)."""

    def first_attempts(self) -> list[CaseResult]:
        return [r for r in self.results if r.attempt == 1]


# ---- one case --------------------------------------------------------------------------------
def message_body(case: dict[str, Any], index: int, turn: dict[str, Any], *, shared: bool) -> dict:
    """The `POST /v1/messages` body of one turn (DESIGN §3.3)."""
    customer = dict(turn.get("customer") or case.get("customer") or {})
    customer = {k: v for k, v in customer.items() if v not in (None, "", [])}
    body: dict[str, Any] = {
        "channel": turn["channel"],
        "external_id": turn.get("external_id") or f"{case['id']}-{index}",
        "customer": customer,
        "text": turn["text"],
    }
    if turn.get("subject"):
        body["subject"] = turn["subject"]
    if turn.get("thread_id"):
        body["thread_id"] = f"{case['id']}:{turn['thread_id']}" if shared else turn["thread_id"]
    return body


def play_case(
    client: httpx.Client,
    case: dict[str, Any],
    store: str,
    shop: Shop | None,
    attempt: int,
    *,
    shared: bool = False,
) -> CaseResult:
    started = time.perf_counter()
    result = CaseResult(
        id=case["id"],
        store=store,
        tags=list(case.get("tags") or []),
        needs=list(case.get("needs") or []),
        attempt=attempt,
    )
    before = shop.state() if shop else None
    responses: list[dict[str, Any]] = []
    for index, turn in enumerate(case["turns"], start=1):
        record = TurnRecord(index=index, channel=turn["channel"], text=turn["text"], status=0)
        result.turns.append(record)
        try:
            response = client.post(
                "/v1/messages", json=message_body(case, index, turn, shared=shared)
            )
            record.status = response.status_code
        except httpx.HTTPError as exc:
            record.misses.append(f"request failed ({type(exc).__name__})")
            break
        if response.status_code != 200:
            record.misses.append(f"HTTP {response.status_code}: {response.text[:200]}")
            break
        body = response.json()
        responses.append(body)
        _fill(record, body)
        record.misses = check_turn(turn.get("expect") or {}, body, turn["channel"])
    after = shop.state() if shop else None
    expect = case.get("expect") or {}
    result.misses = check_case(expect, responses, before, after)
    actions = [a for r in responses for a in r.get("actions") or []]
    result.unsafe = unsafe_events(
        expect.get("forbid") or {}, actions, [reply_text(r) for r in responses], before, after
    )
    if before is not None and after is not None:
        result.changed_orders = changed_orders(before, after)
    result.seconds = time.perf_counter() - started
    return result


def _fill(record: TurnRecord, body: dict[str, Any]) -> None:
    reply = body.get("reply") or {}
    record.outcome = body.get("outcome", "")
    record.intent = (body.get("intent") or {}).get("name", "")
    record.confidence = float((body.get("intent") or {}).get("confidence") or 0.0)
    record.reply = reply.get("text") or ""
    record.parts = list(reply.get("parts") or [])
    record.actions = list(body.get("actions") or [])
    record.sources = list(body.get("sources") or [])
    record.escalation = escalation_code(body)
    record.trace_id = body.get("trace_id")


def is_shareable(case: dict[str, Any]) -> bool:
    """A case with no customer anywhere and nothing expected of the shop can share an app."""
    if case.get("customer") or (case.get("expect") or {}).get("orders"):
        return False
    return all(not turn.get("customer") for turn in case["turns"])


# ---- the suite -------------------------------------------------------------------------------
Progress = Callable[[CaseResult], None]


class _Worker:
    """One worker's data directory (its knowledge index and checkpoints: nothing shared with
    another worker) and its shops, one per store, started on first use."""

    def __init__(self, data_dir: Path, stores: dict[str, Path]) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.stores = stores
        self.shops: dict[str, Shop | None] = {}

    def shop(self, store: str) -> Shop | None:
        if store not in self.shops:
            store_dir = self.stores[store]
            self.shops[store] = Shop(store_dir) if (store_dir / "sandbox").is_dir() else None
        return self.shops[store]

    def close(self) -> None:
        for shop in self.shops.values():
            if shop is not None:
                shop.close()


def run_suite(
    suite: Suite,
    *,
    store: str | Path | None = None,
    repeat: int = 1,
    workers: int = 1,
    only: set[str] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Play every case `repeat` times; `store` overrides every case's store."""
    started = time.perf_counter()
    cases = [c for c in suite.cases if only is None or c["id"] in only]
    placed = [(case, suite.store_of(case, store)) for case in cases]
    results: dict[tuple[str, int], CaseResult] = {}
    with contextlib.ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="threadline-eval-")))
        stores = {name: stack.enter_context(store_dir_of(name)) for name in {s for _, s in placed}}
        worker_pool = [_Worker(data_dir / f"w{n}", stores) for n in range(max(1, workers))]
        for worker in worker_pool:
            stack.callback(worker.close)
        passages = {name: passage_texts(store_dir) for name, store_dir in stores.items()}
        solo = [(c, s, a) for c, s in placed if not is_shareable(c) for a in range(1, repeat + 1)]
        shared = [(c, s, a) for c, s in placed if is_shareable(c) for a in range(1, repeat + 1)]

        def record(result: CaseResult) -> None:
            results[(result.id, result.attempt)] = result
            if progress is not None:
                progress(result)

        def run_solo(slot: int, chunk: list[tuple[dict[str, Any], str, int]]) -> None:
            worker = worker_pool[slot]
            for case, name, attempt in chunk:
                shop = worker.shop(name)
                if shop is not None:
                    shop.reset()
                database = f"{case['id']}-{attempt}".replace(":", "_")
                with serve_app(stores[name], shop, worker.data_dir, database) as client:
                    record(play_case(client, case, name, shop, attempt))

        def run_shared(slot: int, chunk: list[tuple[dict[str, Any], str, int]]) -> None:
            worker = worker_pool[slot]
            by_store: dict[str, list[tuple[dict[str, Any], int]]] = {}
            for case, name, attempt in chunk:
                by_store.setdefault(name, []).append((case, attempt))
            for name, items in by_store.items():
                for attempt in range(1, repeat + 1):
                    mine = [c for c, a in items if a == attempt]
                    if not mine:
                        continue
                    with serve_app(
                        stores[name], worker.shop(name), worker.data_dir, f"shared-{attempt}"
                    ) as client:
                        for case in mine:
                            record(play_case(client, case, name, None, attempt, shared=True))

        def run_slot(slot: int, mine: list[Any], anonymous: list[Any]) -> None:
            """One worker's cases, one after another: they share its data directory."""
            run_solo(slot, mine)
            run_shared(slot, anonymous)

        slots = len(worker_pool)
        with ThreadPoolExecutor(max_workers=slots) as pool:
            warming = [pool.submit(warm_knowledge, stores, w.data_dir) for w in worker_pool]
            for future in warming:
                future.result()
            jobs = [
                pool.submit(run_slot, slot, solo[slot::slots], shared[slot::slots])
                for slot in range(slots)
            ]
            for job in jobs:
                job.result()
    ordered = [results[(c["id"], a)] for c, _ in placed for a in range(1, repeat + 1)]
    return RunResult(
        suite=suite.name,
        repeat=repeat,
        results=ordered,
        cases=cases,
        seconds=time.perf_counter() - started,
        notes=list(suite.notes),
        passages=passages,
    )
