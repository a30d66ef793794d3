"""Sessions survive restarts (SQLite and PostgreSQL checkpointers); failures become escalations."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.agent.conftest import make_agent_api
from tests.agent.demo import cancellable, owner_email, pick, shipments


def test_a_pending_cancel_survives_a_restart(database_url: str, tmp_path: Path) -> None:
    used: set[str] = set()
    order = pick(cancellable, used)
    email = owner_email(order)
    first_run = make_agent_api(tmp_path, database_url=database_url)
    api = next(first_run)
    ask = api.send("chat", f"cancel order {order['name']} please, {email}", handle="v-restart")
    assert "YES" in ask["reply"]["text"]
    next(first_run, None)  # shut the app down: the process "restarts"

    second_run = make_agent_api(tmp_path, database_url=database_url)
    api = next(second_run)
    done = api.send("chat", "yes", handle="v-restart")
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


def test_a_redelivery_while_another_process_works_on_it_is_409(tmp_path: Path) -> None:
    from sqlmodel import Session

    from inbox.conversations import current_conversation, record_message
    from inbox.identity import IdentityClaim, resolve_customer
    from inbox.models import Author, Direction

    run = make_agent_api(tmp_path)
    api = next(run)
    api.runtime.resolver.in_flight_wait = 0.3
    # Another process recorded the message and has not answered yet.
    with Session(api.runtime.services.engine) as session:
        claim = IdentityClaim.of("chat_visitor", "v-inflight", verified=True)
        customer = resolve_customer(session, [claim]).customer
        conversation = current_conversation(session, customer.id, "chat")
        record_message(
            session,
            conversation,
            direction=Direction.inbound,
            channel="chat",
            author=Author.customer,
            text="hi",
            external_id="busy-1",
        )
        session.commit()
    response = api.client.post(
        "/v1/messages",
        headers=api.headers,
        json={
            "channel": "chat",
            "external_id": "busy-1",
            "customer": {"handle": "v-inflight"},
            "text": "hi",
        },
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_progress"
    assert response.headers["retry-after"] == "2"
    next(run, None)


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
    assert body["escalation"]["reason"]["code"] == "internal_error"
    assert "person" in body["reply"]["text"]
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
