"""Mixed load with duplicates against real `threadline serve` processes (issue 9, items 5 and 6).

One SQLite process and two processes on one PostgreSQL take 1,000 messages at concurrency 32;
one process takes 1,000 order-heavy messages while the shop fails a fifth of its calls. Every
message must be answered exactly once, in order, with no 5xx and no write done twice. The shop is
one sandbox in this test process, shared by the processes, so its state is the ground truth.
`THREADLINE_LOAD_MESSAGES` shrinks the runs for a quick local try; CI runs the full size.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from inbox.db import make_engine, upgrade
from tests.agent.demo import SANDBOX
from tests.api.load import Ledger, Run, Script, drive, script_load
from tests.api.servers import Server, serve
from tests.conftest import _reset_postgres
from tools.sandbox import SandboxServer
from tools.sandbox.faults import Fault

pytestmark = pytest.mark.load

MESSAGES = int(os.environ.get("THREADLINE_LOAD_MESSAGES", "1000"))
TOKEN = "load-test-shop-token"


@pytest.fixture
def shop() -> Iterator[SandboxServer]:
    with SandboxServer(SANDBOX, TOKEN, fault_seed=9) as sandbox:
        yield sandbox


def _shop_settings(shop: SandboxServer, **more: str) -> dict[str, str]:
    return {
        "shopify_url": shop.url,
        "shopify_token": TOKEN,
        "today": str(shop.today),
        "log_level": "WARNING",
        **more,
    }


def _cancelled_in(shop: SandboxServer) -> set[str]:
    return {o["name"] for o in shop.store.snapshot()["orders"] if o.get("cancelled_at")}


def _assert_every_message_answered_once(
    run: Run, scripts: list[Script], database_url: str, shop: SandboxServer, before: set[str]
) -> Ledger:
    print(run.summary(database_url.split(":")[0]))
    assert set(run.statuses) <= {200, 409}, run.statuses
    assert not run.unanswered, run.unanswered[:5]
    assert not run.differing_duplicates, run.differing_duplicates[:5]
    assert max(run.conflict_seconds, default=0) < 5, "a 409 came after a queued wait"
    ledger = Ledger.read(database_url)
    sent = [external_id for script in scripts for external_id in script.external_ids]
    assert sorted(ledger.inbound) == sorted(sent), "a message was lost or stored twice"
    assert all(ledger.replies[ledger.inbound[e].id] == 1 for e in sent), "not one reply each"
    assert [w for w, count in ledger.writes.items() if count > 1] == [], "a write done twice"
    assert _cancelled_in(shop) - before == ledger.cancelled(), "the shop and the ledger disagree"
    assert ledger.out_of_order(scripts) == []
    return ledger


def test_one_sqlite_process_at_concurrency_32(tmp_path: Path, shop: SandboxServer) -> None:
    scripts = script_load(MESSAGES)
    before = _cancelled_in(shop)
    with serve(tmp_path, **_shop_settings(shop)) as server:
        run = drive([server], scripts, concurrency=32)
    ledger = _assert_every_message_answered_once(
        run, scripts, f"sqlite:///{tmp_path / 'threadline.db'}", shop, before
    )
    assert ledger.cancelled(), "the load cancelled no order: the mix lost its writes"
    print(run.summary("one SQLite process, concurrency 32"))


@pytest.mark.postgres
def test_two_processes_on_one_postgresql_at_concurrency_32(
    tmp_path: Path, shop: SandboxServer, postgres_url: str
) -> None:
    engine = make_engine(postgres_url)
    _reset_postgres(engine)
    upgrade(engine)  # `threadline db upgrade`, as a deployment runs it before starting processes
    engine.dispose()
    scripts = script_load(MESSAGES)
    before = _cancelled_in(shop)
    with ExitStack() as stack:
        servers: list[Server] = [
            stack.enter_context(
                serve(tmp_path / name, **_shop_settings(shop, database_url=postgres_url))
            )
            for name in ("first", "second")
        ]
        run = drive(servers, scripts, concurrency=32)
    ledger = _assert_every_message_answered_once(run, scripts, postgres_url, shop, before)
    assert ledger.cancelled()
    print(run.summary("two processes on PostgreSQL, concurrency 32"))


SHOP_FAULTS = [
    Fault(status=503, rate=0.04),
    Fault(status=429, retry_after=0.5, rate=0.04),
    Fault(throttled=True, rate=0.04),
    Fault(delay=1.5, rate=0.03),  # longer than the client's 1 s: a timeout
    Fault(delay=0.4, rate=0.03),  # slow, but in time
    Fault(status=502, after_execute=True, operation="mutation", rate=0.02),  # done, answer lost
]
"""A fifth of the shop's answers go wrong (a bit more for writes)."""


def test_a_shop_failing_a_fifth_of_its_calls_gets_a_reply_or_an_escalation_for_each(
    tmp_path: Path, shop: SandboxServer
) -> None:
    for fault in SHOP_FAULTS:
        fault.times = 10**9
        shop.inject(fault)
    scripts = script_load(MESSAGES, claims=0.8)
    before = _cancelled_in(shop)
    with serve(tmp_path, **_shop_settings(shop, shopify_timeout="1")) as server:
        run = drive([server], scripts, concurrency=16)
    _assert_every_message_answered_once(
        run, scripts, f"sqlite:///{tmp_path / 'threadline.db'}", shop, before
    )
    outcomes = [response["outcome"] for response in run.responses.values()]
    assert set(outcomes) <= {"replied", "escalated", "held_for_review"}
    struck = shop.faults.struck / len(shop.requests)
    assert struck > 0.15, f"only {struck:.0%} of the shop's answers went wrong"
    failures = [_reason(r) for r in run.responses.values() if _code(r) == "tool_failure"]
    assert all("store was unreachable" in reason for reason in failures), failures[:3]
    print(
        run.summary("shop failing 20%"),
        f"; {struck:.0%} of {len(shop.requests)} shop calls struck by a fault,"
        f" {len(failures)} store-unreachable escalations",
    )


def _code(response: dict[str, Any]) -> str | None:
    escalation = response.get("escalation") or {}
    return (escalation.get("reason") or {}).get("code")


def _reason(response: dict[str, Any]) -> str:
    return str(((response.get("escalation") or {}).get("reason") or {}).get("message", ""))


def _personal_data() -> set[str]:
    """What the demo shop knows about its customers, as it could appear in a log line."""
    found: set[str] = set()
    customers = json.loads((SANDBOX / "customers.json").read_text())["customers"]
    for customer in customers:
        found |= {customer["email"], f"{customer['first_name']} {customer['last_name']}"}
        if phone := customer.get("phone"):
            found |= {phone, phone.lstrip("+1")}
        for address in customer.get("addresses") or []:
            found.add(address["address1"])
    return {value.lower() for value in found if value}


def test_a_full_run_with_errors_logs_no_personal_data(tmp_path: Path, shop: SandboxServer) -> None:
    """DEBUG logs of a run with shop failures, retries, escalations and cancellations hold no
    email, phone, name, street address or message text (tracebacks included)."""
    for fault in (Fault(status=503, rate=0.15), Fault(delay=1.5, rate=0.05)):
        fault.times = 10**9
        shop.inject(fault)
    scripts = script_load(min(MESSAGES, 150), claims=0.8, seed=5)
    with serve(tmp_path, **_shop_settings(shop, shopify_timeout="1", log_level="DEBUG")) as server:
        drive([server], scripts, concurrency=8)
        log = server.stderr.lower()
    assert "shopify" in log and '"level": "debug"' in log, "the run logged too little to judge"
    texts = {
        d.body["text"].lower() for s in scripts for d in s.deliveries if len(d.body["text"]) > 20
    }
    leaked = sorted(value for value in _personal_data() | texts if value in log)
    assert leaked == [], leaked[:10]
