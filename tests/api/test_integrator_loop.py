"""The helpdesk's whole loop through the API, on the demo store and a second store.

A person's reply recorded on a conversation (both sides in the timeline and the packet, the agent
stepping back), customer lookup by every kind of identifier, escalations with an assignee and
pages, and the event webhook: every event type delivered to a real local receiver, signed,
retried, logged, and shaped as the OpenAPI `webhooks` say.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

import pytest
from sqlmodel import Session, select

from agent.escalation_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from api.settings import DEMO_STORE_DIR
from api.webhook_docs import BODIES
from evals.stores.second import write_second_store
from inbox.keys import create_key
from inbox.models import Conversation, ConversationStatus, Escalation, OutboundEvent, Role
from inbox.outbound_events import EventType
from tests.agent.conftest import AgentApi, make_agent_api

SECRET = "whsec-events-0123456789"
_ids = count(1)


class Receiver:
    """A local HTTP endpoint standing in for the helpdesk's webhook receiver."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(
                        {"headers": dict(self.headers), "raw": raw, "status": status}
                    )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/threadline/events"

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            accepted = [r for r in self.received if r["status"] < 300]
        bodies = [json.loads(r["raw"]) for r in accepted]
        return [b for b in bodies if type_ is None or b["type"] == type_]


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Desk:
    def __init__(self, api: AgentApi, receiver: Receiver, store: str) -> None:
        self.api = api
        self.receiver = receiver
        self.store = store
        self.engine = api.runtime.services.engine
        with Session(self.engine) as session:
            helpdesk, _ = create_key(session, Role.helpdesk, "desk")
            reviewer, _ = create_key(session, Role.reviewer, "rita")
            session.commit()
        self.helpdesk = {"Authorization": f"Bearer {helpdesk}"}
        self.reviewer = {"Authorization": f"Bearer {reviewer}"}
        self.client = api.client

    def send(self, channel: str, text: str, **customer: Any) -> dict[str, Any]:
        body = {
            "channel": channel,
            "external_id": f"loop-{next(_ids)}",
            "customer": customer,
            "text": text,
        }
        response = self.client.post("/v1/messages", json=body, headers=self.helpdesk)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def event_for(self, type_: str, **match: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for event in self.receiver.events(type_):
                if all(event["data"].get(k) == v for k, v in match.items()):
                    return event
            return None

        event: dict[str, Any] = wait_for(found, f"{type_} {match}")
        return event

    def human_reply(self, conversation_id: str, **body: Any) -> Any:
        payload = {"channel": "chat", "text": "Hi, this is Sam from the team.", **body}
        payload.setdefault("author", {"name": "Sam", "id": "agent-7"})
        return self.client.post(
            f"/v1/conversations/{conversation_id}/messages", json=payload, headers=self.helpdesk
        )


@pytest.fixture(scope="module", params=["demo", "second"])
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp(f"loop-{request.param}")
    store = DEMO_STORE_DIR if request.param == "demo" else write_second_store(tmp / "stores")
    receiver = Receiver()
    for api in make_agent_api(
        tmp,
        store,
        events_webhook_url=receiver.url,
        events_webhook_secret=SECRET,
        events_backoff_seconds=0.05,
        events_max_attempts=3,
    ):
        yield Desk(api, receiver, request.param)
    receiver.server.shutdown()
    receiver.server.server_close()


def _escalate(desk: Desk, handle: str) -> dict[str, Any]:
    body = desk.send("chat", "I want to talk to a real person please", handle=handle)
    assert body["outcome"] == "escalated", body
    return body


def test_a_persons_reply_is_recorded_on_both_sides_and_the_agent_steps_back(desk: Desk) -> None:
    handle = f"visitor-{desk.store}-1"
    first = _escalate(desk, handle)
    conversation_id = first["conversation_id"]
    escalation_id = first["escalation"]["id"]

    claimed = desk.client.patch(
        f"/v1/escalations/{escalation_id}",
        json={"status": "claimed", "assignee": "Sam Lee"},
        headers=desk.helpdesk,
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee"] == "Sam Lee"
    assert claimed.json()["claimed_at"].endswith("Z")

    reply = desk.human_reply(conversation_id, external_id=f"hd-{desk.store}-1")
    assert reply.status_code == 201, reply.text
    recorded = reply.json()
    assert recorded["author"] == "human" and recorded["direction"] == "out"
    assert recorded["metadata"]["agent"] == {"name": "Sam", "id": "agent-7"}

    again = desk.human_reply(conversation_id, external_id=f"hd-{desk.store}-1")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.json()["id"] == recorded["id"]

    conversation = desk.client.get(
        f"/v1/conversations/{conversation_id}", headers=desk.helpdesk
    ).json()
    authors = [m["author"] for m in conversation["messages"]]
    assert authors.count("human") == 1 and "customer" in authors and "ai" in authors

    # The customer answers the person: the agent adds it to the case, opens no second one.
    follow = desk.send("chat", "ok thanks Sam, my order number is #1001", handle=handle)
    assert follow["outcome"] == "escalated"
    assert follow["conversation_id"] == conversation_id
    with Session(desk.engine) as session:
        cases = session.exec(
            select(Escalation).where(Escalation.conversation_id == conversation_id)
        ).all()
    assert len(cases) == 1

    resolved = desk.client.patch(
        f"/v1/escalations/{escalation_id}", json={"status": "resolved"}, headers=desk.helpdesk
    )
    assert resolved.status_code == 200
    assert resolved.json()["resolved_by"] == "desk"  # the key's name
    assert resolved.json()["assignee"] == "Sam Lee"

    claimed_event = desk.event_for("escalation.claimed", conversation_id=conversation_id)
    assert claimed_event["data"]["escalation"]["assignee"] == "Sam Lee"
    resolved_event = desk.event_for("escalation.resolved", conversation_id=conversation_id)
    assert resolved_event["data"]["escalation"]["status"] == "resolved"

    # A later escalation's packet shows both sides of the earlier conversation.
    later = _escalate(desk, handle)
    packet_authors = [m["author"] for m in later["escalation"]["conversation"]]
    assert "human" in packet_authors


def test_a_persons_reply_takes_an_open_conversation_over_until_handed_back(desk: Desk) -> None:
    handle = f"visitor-{desk.store}-2"
    answered = desk.send("chat", "How long do I have to return something?", handle=handle)
    assert answered["outcome"] == "replied", answered
    conversation_id = answered["conversation_id"]
    assert desk.human_reply(conversation_id, text="Sam here, happy to help.").status_code == 201

    joined = desk.send("chat", "Can I return shoes I wore outside?", handle=handle)
    assert joined["outcome"] == "escalated"
    assert "person from our team has it" in joined["reply"]["text"]
    assert joined["escalation"] is None  # no case opened: the person already has it

    handed = desk.client.patch(
        f"/v1/conversations/{conversation_id}", json={"status": "open"}, headers=desk.helpdesk
    )
    assert handed.status_code == 200 and handed.json()["status"] == "open"
    back = desk.send("chat", "How long do I have to return something?", handle=handle)
    assert back["outcome"] == "replied"


def test_a_persons_reply_is_refused_where_it_cannot_be_recorded(desk: Desk) -> None:
    answered = desk.send("chat", "hello", handle=f"visitor-{desk.store}-3")
    conversation_id = answered["conversation_id"]
    assert desk.human_reply("cnv_missing").status_code == 404
    reviewer = desk.client.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"channel": "chat", "text": "hi", "author": {"name": "Rita"}},
        headers=desk.reviewer,
    )
    assert reviewer.status_code == 403
    no_author = desk.client.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"channel": "chat", "text": "hi"},
        headers=desk.helpdesk,
    )
    assert no_author.status_code == 422
    # An external id another message holds on that channel is not a repeat of this reply.
    other = desk.send("chat", "hi again", handle=f"visitor-{desk.store}-4")
    with Session(desk.engine) as session:
        conversation = session.get(Conversation, other["conversation_id"])
        assert conversation is not None
    taken = desk.human_reply(conversation_id, external_id=f"hd-{desk.store}-x")
    assert taken.status_code == 201
    clash = desk.human_reply(other["conversation_id"], external_id=f"hd-{desk.store}-x")
    assert clash.status_code == 409


def test_customers_are_found_by_each_identifier_normalised(desk: Desk) -> None:
    email = f"Lookup.{desk.store}@Example.com"
    by_email = desk.send("email", "Do you ship to Canada?", email=email)
    by_phone = desk.send(
        "sms", "do you ship to canada", phone="(415) 555-01" + str(40 + len(desk.store))
    )
    by_handle = desk.send("instagram", "do you ship abroad?", handle=f"Shop.{desk.store}")

    def find(**query: str) -> list[dict[str, Any]]:
        response = desk.client.get("/v1/customers", params=query, headers=desk.helpdesk)
        assert response.status_code == 200, response.text
        return list(response.json()["customers"])

    assert [c["id"] for c in find(email=f"  lookup.{desk.store}@EXAMPLE.com ")] == [
        by_email["customer_id"]
    ]
    assert [c["id"] for c in find(phone="+1 415-555-01" + str(40 + len(desk.store)))] == [
        by_phone["customer_id"]
    ]
    assert [c["id"] for c in find(handle=f"@shop.{desk.store}")] == [by_handle["customer_id"]]
    assert find(email=f"nobody.{desk.store}@example.com") == []

    for query in ({}, {"email": email, "phone": "+14155550100"}, {"email": "not-an-email"}):
        refused = desk.client.get("/v1/customers", params=query, headers=desk.helpdesk)
        assert refused.status_code == 422, query
        assert refused.json()["error"]["code"] == "validation_error"
    reviewer = desk.client.get("/v1/customers", params={"email": email}, headers=desk.reviewer)
    assert reviewer.status_code == 403


def test_a_merge_answers_lookups_with_the_survivor_and_is_an_event(desk: Desk) -> None:
    phone = "+1415555" + ("0191" if desk.store == "demo" else "0192")
    email = f"merge.{desk.store}@example.org"
    texted = desk.send("sms", "hi, is my order on its way?", phone=phone)
    mailed = desk.send("email", "Hello, a question about returns", email=email)
    assert texted["customer_id"] != mailed["customer_id"]
    # The logged-in shopper's helpdesk vouches for both: the two records are one person.
    both = desk.send(
        "email", "and one more thing", email=email, phone=phone, verified=["email", "phone"]
    )
    survivor = both["customer_id"]
    (merged_id,) = {texted["customer_id"], mailed["customer_id"]} - {survivor}
    for query in ({"phone": phone}, {"email": email}):
        found = desk.client.get("/v1/customers", params=query, headers=desk.helpdesk)
        customers = found.json()["customers"]
        assert [c["id"] for c in customers] == [survivor]
        assert merged_id in customers[0]["merged_ids"]
        assert {"email", "phone"} <= {i["kind"] for i in customers[0]["identities"]}
    event = desk.event_for("customer.merged", merged_id=merged_id)
    assert event["data"]["customer_id"] == survivor


def test_escalations_page_by_cursor_and_filter_by_assignee(desk: Desk) -> None:
    for n in range(3):
        _escalate(desk, f"pager-{desk.store}-{n}")
    first = desk.client.get("/v1/escalations?limit=2", headers=desk.helpdesk).json()
    assert len(first["escalations"]) == 2 and first["next_cursor"]
    second = desk.client.get(
        "/v1/escalations",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=desk.helpdesk,
    ).json()
    first_ids = {e["id"] for e in first["escalations"]}
    assert second["escalations"] and not first_ids & {e["id"] for e in second["escalations"]}
    times = [e["created_at"] for e in first["escalations"] + second["escalations"]]
    assert times == sorted(times, reverse=True)
    assert all(t.endswith("Z") for t in times)
    bad = desk.client.get("/v1/escalations?cursor=garbage", headers=desk.helpdesk)
    assert bad.status_code == 400

    target = first["escalations"][0]["id"]
    desk.client.patch(
        f"/v1/escalations/{target}",
        json={"status": "claimed", "assignee": f"Ana {desk.store}"},
        headers=desk.helpdesk,
    )
    mine = desk.client.get(
        "/v1/escalations", params={"assignee": f"Ana {desk.store}"}, headers=desk.helpdesk
    ).json()
    assert [e["id"] for e in mine["escalations"]] == [target]


def test_replies_held_replies_and_new_escalations_are_events(desk: Desk) -> None:
    replied = desk.send("chat", "What is your return policy?", handle=f"events-{desk.store}")
    assert replied["outcome"] == "replied"
    event = desk.event_for("message.replied", conversation_id=replied["conversation_id"])
    assert event["data"]["message"]["text"] == replied["reply"]["text"]
    assert event["data"]["message"]["channel"] == "chat"

    if desk.store == "second":  # its email is autonomous: put it in review first
        demoted = desk.client.post(
            "/v1/gate/email/demote", json={"to": "review", "note": "test"}, headers=desk.api.headers
        )
        assert demoted.status_code == 200, demoted.text
    held = desk.send(
        "email", "How long does shipping take?", email=f"held.{desk.store}@example.com"
    )
    assert held["outcome"] == "held_for_review"
    held_event = desk.event_for("message.held", conversation_id=held["conversation_id"])
    assert held_event["data"]["review_id"] == held["review_id"]
    assert not [
        e
        for e in desk.receiver.events("message.replied")
        if e["data"]["conversation_id"] == held["conversation_id"]
    ]
    approved = desk.client.post(
        f"/v1/reviews/{held['review_id']}/approve", json={}, headers=desk.reviewer
    )
    assert approved.status_code == 200, approved.text
    sent = desk.event_for("message.replied", conversation_id=held["conversation_id"])
    assert sent["data"]["review_id"] == held["review_id"]

    escalated = _escalate(desk, f"events-esc-{desk.store}")
    created = desk.event_for("escalation.created", conversation_id=escalated["conversation_id"])
    assert created["data"]["packet"]["id"] == escalated["escalation"]["id"]


def test_the_agent_resolves_a_conversation_when_the_customer_thanks_it(desk: Desk) -> None:
    handle = f"thanks-{desk.store}"
    answered = desk.send("chat", "What is your return policy?", handle=handle)
    assert answered["outcome"] == "replied"
    thanked = desk.send("chat", "great, thanks a lot!", handle=handle)
    assert thanked["conversation_id"] == answered["conversation_id"]
    with Session(desk.engine) as session:
        conversation = session.get(Conversation, answered["conversation_id"])
        assert conversation is not None and conversation.status == ConversationStatus.resolved
    event = desk.event_for("conversation.resolved", conversation_id=answered["conversation_id"])
    assert event["data"]["resolved_by"] == "ai"
    after = desk.send("chat", "one more question: do you ship abroad?", handle=handle)
    assert after["conversation_id"] != answered["conversation_id"]
    # A bare hello is not a resolution.
    hello = desk.send("chat", "hi", handle=f"hello-{desk.store}")
    desk.send("chat", "hello again", handle=f"hello-{desk.store}")
    with Session(desk.engine) as session:
        conversation = session.get(Conversation, hello["conversation_id"])
        assert conversation is not None and conversation.status == ConversationStatus.open


def test_the_packet_names_an_unverified_claim_to_another_customers_email(desk: Desk) -> None:
    owner = f"owner.{desk.store}@example.com"
    desk.send("email", "Hi, where are my orders?", email=owner)
    claim = desk.send(
        "chat", "I need a human right now", handle=f"claimer-{desk.store}", email=owner
    )
    assert claim["outcome"] == "escalated"
    conflicts = claim["escalation"]["identity_conflicts"]
    assert [c["kind"] for c in conflicts] == ["email"]
    assert conflicts[0]["value"] == owner
    assert conflicts[0]["held_by_customer_id"] != claim["customer_id"]
    assert "Identity conflict" in claim["escalation"]["summary"]


def test_every_delivery_is_signed_shaped_as_documented_and_logged(desk: Desk) -> None:
    desk.send("chat", "What is your return policy?", handle=f"sig-{desk.store}")
    wait_for(lambda: desk.receiver.events(), "an event")
    with desk.receiver.lock:
        received = list(desk.receiver.received)
    for item in received:
        headers = item["headers"]
        assert verify_signature(
            SECRET, headers[TIMESTAMP_HEADER], item["raw"], headers[SIGNATURE_HEADER]
        )
        body = json.loads(item["raw"])
        assert headers["X-Threadline-Event"] == body["type"]
        assert headers["X-Threadline-Delivery"] == body["id"]
        assert body["created_at"].endswith("Z")
        BODIES[EventType(body["type"])].model_validate(body)
    log = desk.client.get("/v1/webhooks/deliveries?limit=200", headers=desk.helpdesk)
    assert log.status_code == 200, log.text
    delivered = {d["id"] for d in log.json()["deliveries"] if d["status"] == "delivered"}
    assert {json.loads(r["raw"])["id"] for r in received if r["status"] < 300} <= delivered
    assert desk.client.get("/v1/webhooks/deliveries", headers=desk.reviewer).status_code == 403


def _drained(desk: Desk) -> bool:
    with Session(desk.engine) as session:
        return (
            session.exec(select(OutboundEvent).where(OutboundEvent.status == "pending")).first()
            is None
        )


def test_deliveries_are_retried_then_failed_and_can_be_sent_again(desk: Desk) -> None:
    wait_for(lambda: _drained(desk), "earlier events to be delivered")
    with desk.receiver.lock:
        desk.receiver.statuses[:] = [503, 200]
    first = desk.send("chat", "What is your return policy?", handle=f"retry-{desk.store}")
    event = desk.event_for("message.replied", conversation_id=first["conversation_id"])
    with Session(desk.engine) as session:
        row = session.get(OutboundEvent, event["id"])
        assert row is not None and row.attempts == 2 and row.status == "delivered"

    wait_for(lambda: _drained(desk), "earlier events to be delivered")
    with desk.receiver.lock:
        desk.receiver.statuses[:] = [400]
    second = desk.send("chat", "What is your return policy?", handle=f"refuse-{desk.store}")

    def failed() -> Any:
        with Session(desk.engine) as session:
            return session.exec(
                select(OutboundEvent).where(
                    OutboundEvent.conversation_id == second["conversation_id"],
                    OutboundEvent.status == "failed",
                )
            ).first()

    row = wait_for(failed, "a failed delivery")
    assert row.attempts == 1 and row.last_status_code == 400  # a 400 is not retried
    listed = desk.client.get(
        "/v1/webhooks/deliveries", params={"status": "failed"}, headers=desk.helpdesk
    ).json()["deliveries"]
    assert row.id in {d["id"] for d in listed}
    retried = desk.client.post(f"/v1/webhooks/deliveries/{row.id}/retry", headers=desk.helpdesk)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    desk.event_for("message.replied", conversation_id=second["conversation_id"])
    again = desk.client.post(f"/v1/webhooks/deliveries/{row.id}/retry", headers=desk.helpdesk)
    assert again.status_code == 409


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _times(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str) and _TIMESTAMP.match(value):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("metadata", "trace", "context", "orders", "data"):  # free-form
                yield from _times(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _times(item, f"{where}[{n}]")


def test_every_time_the_api_returns_is_utc_with_z(desk: Desk) -> None:
    escalated = _escalate(desk, f"times-{desk.store}")
    customer_id = escalated["customer_id"]
    urls = [
        "/v1/escalations",
        f"/v1/escalations/{escalated['escalation']['id']}",
        f"/v1/conversations/{escalated['conversation_id']}",
        f"/v1/customers/{customer_id}",
        f"/v1/customers/{customer_id}/timeline",
        "/v1/webhooks/deliveries",
        "/v1/reviews?status=approved",
        "/v1/reviews",
        "/v1/outbox",
        "/v1/gate",
        "/v1/keys",
    ]
    seen = list(_times(escalated, "POST /v1/messages"))
    for url in urls:
        response = desk.client.get(url, headers=desk.api.headers)
        assert response.status_code == 200, (url, response.text)
        seen += list(_times(response.json(), url))
    assert len(seen) > 20
    assert [(where, value) for where, value in seen if not value.endswith("Z")] == []
