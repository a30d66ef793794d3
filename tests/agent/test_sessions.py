"""Sessions survive restarts (SQLite and PostgreSQL checkpointers); failures become escalations."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from inbox.db import make_engine
from inbox.identity import IdentityClaim, resolve_customer
from inbox.models import Identity, IdentityKind, Message
from tests.agent.conftest import AgentApi, make_agent_api
from tests.agent.demo import cancellable, owner_email, pick, shipments


def test_a_pending_cancel_survives_a_restart(database_url: str, tmp_path: Path) -> None:
    used: set[str] = set()
    order = pick(cancellable, used)
    email = owner_email(order)
    first_run = make_agent_api(tmp_path, database_url=database_url)
    api = next(first_run)
    ask = api.send("email", f"Please cancel order {order['name']}.", email=email)
    assert "YES" in ask["reply"]["text"]
    next(first_run, None)  # shut the app down: the process "restarts"

    second_run = make_agent_api(tmp_path, database_url=database_url)
    api = next(second_run)
    done = api.send("email", "Yes", email=email)
    assert done["customer_id"] == ask["customer_id"]
    assert [(a["tool"], a["status"]) for a in done["actions"]] == [("cancel_order", "done")]
    assert api.order(order["name"], email=email)["cancelled_at"] is not None
    next(second_run, None)


def test_a_shop_outage_becomes_an_escalation_not_an_error(tmp_path: Path) -> None:
    used: set[str] = set()
    order = pick(lambda o: "in_transit" in shipments(o) and bool(owner_email(o)), used)
    run = make_agent_api(tmp_path)
    api = next(run)
    api.runtime.sandbox.inject(status=503, times=20)
    body = api.send("chat", f"where is {order['name']}? {owner_email(order)}", handle="v-outage")
    assert body["outcome"] == "escalated"
    assert body["escalation"]["reason"]["code"] == "tool_failure"
    assert "store was unreachable" in body["escalation"]["reason"]["message"]
    assert "person" in body["reply"]["text"]
    next(run, None)


def test_packets_match_the_published_schema_and_traces_show_the_path(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path)
    api = next(run)
    schema = api.client.get("/v1/schemas/escalation-packet").json()
    jsonschema.Draft202012Validator.check_schema(schema)
    policy = api.send("chat", "do you ship to canada and how much is it?", handle="v-trace")
    human = api.send("chat", "I want to speak to a manager now", handle="v-trace")
    jsonschema.validate(human["escalation"], schema)
    stored = api.client.get(f"/v1/escalations/{human['escalation']['id']}", headers=api.headers)
    assert stored.json()["packet"] == human["escalation"]
    assert [
        m["text"] for m in human["escalation"]["conversation"] if m["author"] == "customer"
    ] == ["do you ship to canada and how much is it?", "I want to speak to a manager now"]

    trace = api.client.get(f"/v1/traces/{policy['trace_id']}", headers=api.headers).json()["trace"]
    assert trace["path"] == [
        "identify",
        "understand",
        "route",
        "retrieve",
        "compose",
        "format",
        "gate",
        "record",
    ]
    assert all(step["ms"] >= 0 for step in trace["steps"])
    chosen = {t["intent"] for t in trace["understanding"]["top"]}
    chosen |= {a["intent"] for a in trace["understanding"]["asks"]}
    assert policy["intent"]["name"] in chosen
    # One search per question of the message, each with its passages.
    searched = {p["id"] for q in trace["retrieval"] for p in q["passages"]}
    assert {s["id"] for s in policy["sources"]} <= searched
    assert trace["gate"]["stage"] == "autonomous"
    assert api.client.get("/v1/traces/trc_nope", headers=api.headers).status_code == 404
    next(run, None)


def test_not_understanding_twice_escalates(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path)
    api = next(run)
    first = api.send("chat", "asdf qwer zxcv", handle="v-gibberish")
    assert first["outcome"] == "replied" and first["reply"]["text"].endswith("?")
    second = api.send("chat", "lkjh poiu mnbv", handle="v-gibberish")
    assert second["outcome"] == "escalated"
    assert second["escalation"]["reason"]["code"] == "low_confidence"
    next(run, None)


def test_messages_without_a_store_or_a_sender_are_clear_4xx(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path)
    api = next(run)
    missing = api.client.post(
        "/v1/messages",
        headers=api.headers,
        json={
            "channel": "email",
            "external_id": "e-1",
            "customer": {"name": "Nobody"},
            "text": "hello",
        },
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "invalid_sender"
    unknown = api.client.post(
        "/v1/messages",
        headers=api.headers,
        json={"channel": "fax", "external_id": "f-1", "customer": {}, "text": "hello"},
    )
    assert unknown.status_code == 422
    extra = api.client.post(
        "/v1/messages",
        headers=api.headers,
        json={
            "channel": "chat",
            "external_id": "c-1",
            "customer": {"handle": "v"},
            "text": "hi",
            "priority": "urgent",
        },
    )
    assert extra.status_code == 422
    next(run, None)


def test_admins_can_reingest_the_store_knowledge(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path)
    api = next(run)
    response = api.client.post("/v1/knowledge/ingest", headers=api.headers)
    assert response.status_code == 200
    report = response.json()
    assert report["changed"] is False  # serve already ingested it; unchanged files cost nothing
    assert report["unchanged"] and not report["added"]
    next(run, None)


def test_threadline_chat_talks_to_the_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setenv("THREADLINE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(
        app,
        ["chat", "--channel", "chat", "--customer", "cli-visitor", "--trace"],
        input="what is your return policy?\nthanks!\n",
    )
    assert result.exit_code == 0, result.output
    replies = [line for line in result.output.splitlines() if "agent [" in line]
    assert len(replies) == 2
    assert "30" in replies[0] and "You're welcome" in replies[1]
    assert '"path"' in result.output  # the trace was printed


def test_a_resolved_escalation_hands_the_customer_back_to_the_agent(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path)
    api = next(run)
    escalated = api.send("chat", "get me a human please", handle="v-handback")
    packet_id = escalated["escalation"]["id"]
    holding = api.send("chat", "hello? anyone?", handle="v-handback")
    assert holding["outcome"] == "escalated" and holding["escalation"] is None
    assert "has it" in holding["reply"]["text"]

    claimed = api.client.patch(
        f"/v1/escalations/{packet_id}", json={"status": "claimed"}, headers=api.headers
    )
    assert claimed.json()["status"] == "claimed"
    listed = api.client.get("/v1/escalations?status=claimed", headers=api.headers).json()
    assert [e["id"] for e in listed["escalations"]] == [packet_id]
    resolved = api.client.patch(
        f"/v1/escalations/{packet_id}", json={"status": "resolved"}, headers=api.headers
    )
    assert resolved.status_code == 200
    reopen = api.client.patch(
        f"/v1/escalations/{packet_id}", json={"status": "open"}, headers=api.headers
    )
    assert reopen.status_code == 409
    conversation = api.client.get(
        f"/v1/conversations/{escalated['conversation_id']}", headers=api.headers
    ).json()
    assert conversation["status"] == "resolved" and conversation["closed_at"]

    after = api.send("chat", "what's your return policy?", handle="v-handback")
    assert after["outcome"] == "replied" and after["sources"]
    assert after["conversation_id"] != escalated["conversation_id"]
    next(run, None)


def _recorded_elsewhere(api: AgentApi, external_id: str, lease: timedelta | None) -> str:
    """A message another process recorded and has not answered (leased for `lease` from now,
    or with a lease that ran out a minute ago when None): returns its id."""
    from sqlmodel import Session

    from inbox.conversations import current_conversation, record_message
    from inbox.identity import IdentityClaim, resolve_customer
    from inbox.models import Author, Direction, utcnow

    with Session(api.runtime.services.engine) as session:
        claim = IdentityClaim.of("chat_visitor", f"v-{external_id}", verified=True)
        customer = resolve_customer(session, [claim]).customer
        conversation = current_conversation(session, customer.id, "chat")
        message = record_message(
            session,
            conversation,
            direction=Direction.inbound,
            channel="chat",
            author=Author.customer,
            text="what's your return policy?",
            external_id=external_id,
        )
        message.lease_until = utcnow() + (lease if lease is not None else timedelta(minutes=-1))
        session.commit()
        return message.id


def _deliver(api: AgentApi, external_id: str) -> Any:
    return api.client.post(
        "/v1/messages",
        headers=api.headers,
        json={
            "channel": "chat",
            "external_id": external_id,
            "customer": {"handle": f"v-{external_id}"},
            "text": "what's your return policy?",
        },
    )


def test_a_redelivery_while_another_process_works_on_it_is_409_at_once(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path, recovery_interval_seconds=3600)
    api = next(run)
    _recorded_elsewhere(api, "busy-1", lease=timedelta(minutes=5))
    started = time.monotonic()
    response = _deliver(api, "busy-1")
    assert response.status_code == 409
    assert time.monotonic() - started < 5  # answered at once, never queued behind the lease
    assert response.json()["error"]["code"] == "in_progress"
    assert response.headers["retry-after"] == "2"
    next(run, None)


def test_a_message_whose_handler_died_is_answered_once_by_the_redelivery(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path, recovery_interval_seconds=3600)
    api = next(run)
    message_id = _recorded_elsewhere(api, "dead-1", lease=None)
    first = _deliver(api, "dead-1")
    assert first.status_code == 200
    assert first.json()["outcome"] == "replied" and first.json()["sources"]
    again = _deliver(api, "dead-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["x-threadline-duplicate"] == "true"
    assert _replies_to(api, message_id) == 1
    next(run, None)


def test_the_recovery_sweep_answers_messages_nobody_redelivers(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path, recovery_interval_seconds=3600)
    api = next(run)
    dead = [_recorded_elsewhere(api, f"sweep-{n}", lease=None) for n in range(3)]
    alive = _recorded_elsewhere(api, "sweep-live", lease=timedelta(minutes=5))
    assert api.runtime.resolver.recover() == 3
    assert [_replies_to(api, message_id) for message_id in dead] == [1, 1, 1]
    assert _replies_to(api, alive) == 0  # still in another handler's hands
    assert api.runtime.resolver.recover() == 0  # nothing is answered twice
    # At start-up of the only process, every lease is a dead one's:
    assert api.runtime.resolver.recover(everything=True) == 1
    assert _replies_to(api, alive) == 1
    next(run, None)


class _Killed(BaseException):
    """Stands for the process dying: nothing in the service may catch it."""


@pytest.mark.parametrize("node", ["compose", "record"])
def test_a_yes_cut_short_after_the_cancel_is_answered_with_the_cancellation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, node: str
) -> None:
    """The cancel ran and the session saw it, then the process died before the reply was
    stored: the redelivery finishes that turn (it never says nothing was waiting)."""
    from agent.service import InboundRequest

    order = pick(cancellable, set())
    email = owner_email(order)
    run = make_agent_api(tmp_path, recovery_interval_seconds=3600)
    api = next(run)
    assert (
        "YES"
        in api.send("email", f"Please cancel order {order['name']}.", email=email)["reply"]["text"]
    )
    dying = {"armed": True}
    composer = api.runtime.services.composer

    def die_once(real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if dying.pop("armed", False):
                raise _Killed()
            return real(*args, **kwargs)

        return wrapper

    if node == "compose":
        monkeypatch.setattr(composer, "compose", die_once(composer.compose))
    else:  # after the reply was recorded, before the response was stored
        monkeypatch.setattr(
            api.runtime.resolver, "_response", die_once(api.runtime.resolver._response)
        )
    body: dict[str, Any] = {
        "channel": "email",
        "external_id": f"cut-yes-{node}",
        "customer": {"email": email},
        "text": "Yes, go ahead.",
    }
    with pytest.raises(_Killed):  # straight into the resolver: the app's event loop lives on
        api.runtime.resolver.handle(
            InboundRequest(
                channel="email", external_id=body["external_id"], text=body["text"], email=email
            )
        )
    assert api.order(order["name"], email=email)["cancelled_at"] is not None
    assert api.runtime.resolver.recover(everything=True) == 1
    again = api.client.post("/v1/messages", json=body, headers=api.headers)
    assert again.status_code == 200
    text = again.json()["reply"]["text"]
    assert "nothing waiting" not in text.lower()
    assert "cancel" in text.lower() and order["name"] in text
    assert [(a["tool"], a["status"]) for a in again.json()["actions"]] == [("cancel_order", "done")]
    next(run, None)


def _replies_to(api: AgentApi, message_id: str) -> int:
    """How many responses and AI replies exist for the inbound message."""
    from sqlmodel import Session, select

    from inbox.models import Message, Trace

    with Session(api.runtime.services.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        traces = session.exec(select(Trace).where(Trace.message_id == message_id)).all()
        answered = 1 if message.meta.get("response") else 0
        assert len(traces) == answered, "one trace per answered message"
        return answered


def test_an_escalation_reaches_the_teams_webhook_signed(tmp_path: Path) -> None:
    from agent.escalation_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
    from tests.agent.test_escalation_delivery import Receiver

    receiver = Receiver([503, 200])
    run = make_agent_api(
        tmp_path,
        escalation_webhook_url=receiver.url,
        escalation_webhook_secret="team-secret-123456",
    )
    api = next(run)
    notifier = api.runtime.services.notifier
    notifier.backoff_seconds = 0.01
    body = api.send("chat", "I will sue you if this isn't fixed today", handle="v-hook")
    assert notifier.flush(10)
    assert len(receiver.received) == 2  # one retry after the 503
    hit = receiver.received[-1]
    headers = {k.lower(): v for k, v in hit["headers"].items()}
    assert verify_signature(
        "team-secret-123456",
        headers[TIMESTAMP_HEADER.lower()],
        hit["body"],
        headers[SIGNATURE_HEADER.lower()],
    )
    assert json.loads(hit["body"])["id"] == body["escalation"]["id"]
    listed = api.client.get("/v1/escalations", headers=api.headers).json()["escalations"]
    assert listed[0]["webhook_status"] == "delivered"
    next(run, None)


class _BrokenTools:
    """Order tools that fail in a way no node expects."""

    def __getattr__(self, name: str) -> Any:
        def broken(*_: object, **__: object) -> None:
            raise RuntimeError(f"{name} exploded")

        return broken


class _BrokenKnowledge:
    """Stands in for a vector store that fails mid-request (a real one won't on demand)."""

    def search(self, *_: object, **__: object) -> None:
        raise RuntimeError("vector store unavailable")


def test_a_failing_model_or_store_becomes_an_escalation(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path)
    api = next(run)
    api.runtime.services.knowledge = _BrokenKnowledge()
    body = api.send("chat", "what's your return policy?", handle="v-broken")
    assert body["outcome"] == "escalated"
    assert body["escalation"]["reason"]["code"] == "knowledge_unavailable"
    assert "person" in body["reply"]["text"]
    # A failure the agent has no specific answer for: the fail-safe still hands over.
    order = pick(lambda o: bool(owner_email(o)), set())
    api.runtime.services.tools = _BrokenTools()
    crashed = api.send(
        "chat", f"where is {order['name']}? {owner_email(order)}", handle="v-broken-tools"
    )
    assert crashed["outcome"] == "escalated"
    assert crashed["escalation"]["reason"]["code"] == "internal_error"
    again = api.client.post(
        "/v1/messages",
        headers=api.headers,
        json={
            "channel": "chat",
            "external_id": "after-failure",
            "customer": {"handle": "v-broken"},
            "text": "hello?",
        },
    )
    assert again.status_code == 200  # the case is with a human; holding reply, no error
    assert again.json()["escalation"] is None  # the graph ran: no second failure packet
    assert "has it" in again.json()["reply"]["text"]
    next(run, None)


def test_a_new_customer_created_elsewhere_meanwhile_gets_the_message_not_a_500(
    database_url: str, tmp_path: Path
) -> None:
    """Two first messages of one new customer at once: the other handler creates the record
    between this one's lookup and its insert. The message is recorded under that record."""
    runs = make_agent_api(tmp_path, database_url=database_url)
    api = next(runs)
    email = "first.time.racer@example.com"
    raced: list[str] = []

    def the_other_handler_wins(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if raced or not statement.lstrip().upper().startswith("INSERT INTO CUSTOMERS"):
            return
        other = make_engine(database_url)  # its own connections, as another process has
        with Session(other) as session:
            claim = IdentityClaim(IdentityKind.email, email, verified=True)
            raced.append(resolve_customer(session, [claim], channel="email").customer.id)
            session.commit()
        other.dispose()

    engine = api.runtime.services.engine
    event.listen(engine, "before_cursor_execute", the_other_handler_wins)
    try:
        answer = api.send("email", "how long do I have to return a jacket?", email=email)
    finally:
        event.remove(engine, "before_cursor_execute", the_other_handler_wins)
    assert raced, "the race was not staged"
    assert answer["customer_id"] == raced[0]
    with Session(engine) as session:
        owners = session.exec(select(Identity).where(Identity.value == email)).all()
        inbound = session.exec(select(Message).where(Message.customer_id == raced[0])).all()
    assert [o.customer_id for o in owners] == [raced[0]]
    assert any(m.text.startswith("how long do I have") for m in inbound)
    next(runs, None)
