"""The review gate end to end: stages at the graph's gate, reviewers' decisions, promotion with
the Wilson lower bound, per-intent autonomy, automatic demotion, sampling; demo and second store.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from agent.nodes.compose import sampled
from api.cli import app as cli
from api.settings import DEMO_STORE_DIR
from evals.harness.metrics import gate_numbers, promotion_blockers, wilson_lower_bound
from evals.stores.second import write_second_store
from inbox.keys import create_key
from inbox.models import (
    Channel,
    Conversation,
    Customer,
    Direction,
    Escalation,
    GateEvent,
    Message,
    OutboxMessage,
    Review,
    ReviewKind,
    ReviewStatus,
    Role,
    utcnow,
)
from tests.agent.conftest import AgentApi, make_agent_api


def store_copy(root: Path, **email: Any) -> Path:
    """The demo store with the email channel's policy replaced by `email`."""
    store = root / "store"
    shutil.copytree(DEMO_STORE_DIR, store, ignore=shutil.ignore_patterns(".*"))
    policy = yaml.safe_load((store / "policy.yaml").read_text("utf-8"))
    policy["channels"]["email"] = email
    (store / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    return store


class Desk:
    """An app with an admin (`api.headers`) and a reviewer key."""

    def __init__(self, api: AgentApi) -> None:
        self.api = api
        engine = api.runtime.services.engine
        with Session(engine) as session:
            key, _ = create_key(session, Role.reviewer, "rita")
            helpdesk, _ = create_key(session, Role.helpdesk, "desk")
            session.commit()
        self.reviewer = {"Authorization": f"Bearer {key}"}
        self.helpdesk = {"Authorization": f"Bearer {helpdesk}"}
        self.engine = engine
        self.count = 0

    @property
    def client(self) -> TestClient:
        return self.api.client

    def email(self, text: str, sender: str | None = None) -> dict[str, Any]:
        self.count += 1
        body = {
            "channel": "email",
            "external_id": f"gate-{id(self)}-{self.count}",
            "customer": {"email": sender or f"shopper{self.count}@example.net"},
            "subject": "Question",
            "text": text,
        }
        response = self.client.post("/v1/messages", json=body, headers=self.helpdesk)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def decide(self, review_id: str, verb: str, **body: Any) -> Any:
        return self.client.post(f"/v1/reviews/{review_id}/{verb}", json=body, headers=self.reviewer)

    def gate(self, channel: str = "email") -> dict[str, Any]:
        response = self.client.get("/v1/gate", headers=self.reviewer)
        assert response.status_code == 200, response.text
        return next(c for c in response.json()["channels"] if c["channel"] == channel)

    def outbox(self) -> list[dict[str, Any]]:
        response = self.client.get("/v1/outbox?purpose=reply", headers=self.helpdesk)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def seed(self, statuses: list[str], intent: str = "seeded", category: str | None = None):
        """Decided reviews on email, oldest first, as if reviewers had worked a queue."""
        with Session(self.engine) as session:
            customer = Customer(name="Seed")
            session.add(customer)
            session.flush()
            conversation = Conversation(customer_id=customer.id, channels=["email"])
            session.add(conversation)
            session.flush()
            message = Message(
                conversation_id=conversation.id,
                customer_id=customer.id,
                direction=Direction.outbound,
                channel=Channel.email,
                author="ai",  # type: ignore[arg-type]
                text="seeded",
            )
            session.add(message)
            session.flush()
            start = utcnow() - timedelta(days=30)
            for n, status in enumerate(statuses):
                session.add(
                    Review(
                        conversation_id=conversation.id,
                        message_id=message.id,
                        channel=Channel.email,
                        status=ReviewStatus(status),
                        intent=intent,
                        category=category if status == "rejected" else None,
                        reply_text="seeded",
                        created_at=start + timedelta(minutes=n),
                        decided_at=start + timedelta(minutes=n, seconds=30),
                    )
                )
            session.commit()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    for api in make_agent_api(tmp_path_factory.mktemp("gate")):
        yield Desk(api)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Desk]:
    """A demo app of its own: for tests that move the gate."""
    for api in make_agent_api(tmp_path):
        yield Desk(api)


# --- stages and decisions ---------------------------------------------------------------------


def test_an_email_reply_in_review_is_held_until_approved(desk: Desk) -> None:
    body = desk.email("Hi, how many days do I have to send back a jacket that doesn't fit?")
    assert body["outcome"] == "held_for_review"
    review_id = body["review_id"]
    assert review_id and not any(o["review_id"] == review_id for o in desk.outbox())
    item = desk.client.get(f"/v1/reviews/{review_id}", headers=desk.reviewer).json()
    assert item["status"] == "pending" and item["kind"] == "hold"
    assert item["reply"]["text"] == body["reply"]["text"]
    assert item["customer_message"]["text"].startswith("Hi, how many days")
    assert [s["id"] for s in item["sources"]] == [s["id"] for s in body["sources"]]
    queue = desk.client.get("/v1/reviews?channel=email", headers=desk.reviewer).json()
    assert review_id in [i["id"] for i in queue["items"]]

    approved = desk.decide(review_id, "approve")
    assert approved.status_code == 200, approved.text
    sent = [o for o in desk.outbox() if o["review_id"] == review_id]
    assert [o["body"] for o in sent] == [body["reply"]["text"]]
    assert sent[0]["recipient"] == f"shopper{desk.count}@example.net"
    assert sent[0]["subject"] == "Re: Question"
    decision = approved.json()["decision"]
    assert decision["status"] == "approved" and decision["by"] == "rita"
    conversation = desk.client.get(
        f"/v1/conversations/{body['conversation_id']}", headers=desk.api.headers
    ).json()
    outbound = [m for m in conversation["messages"] if m["direction"] == "out"]
    assert [m["text"] for m in outbound] == [body["reply"]["text"]]


def test_an_edit_sends_the_edited_text(desk: Desk) -> None:
    body = desk.email("Do you ship to Canada and how long does it take?")
    edited = "Yes, we ship to Canada. It usually takes 5 to 8 business days."
    response = desk.decide(body["review_id"], "edit", text=edited, note="shorter")
    assert response.status_code == 200, response.text
    assert response.json()["decision"]["final_text"] == edited
    assert response.json()["reply"]["text"] == body["reply"]["text"]  # as the AI wrote it
    assert [o["body"] for o in desk.outbox() if o["review_id"] == body["review_id"]] == [edited]


def test_a_rejection_sends_nothing_and_escalates(desk: Desk) -> None:
    body = desk.email("Can I pay with a gift card and a credit card together?")
    response = desk.decide(body["review_id"], "reject", category="wrong_facts", note="we can't")
    assert response.status_code == 200, response.text
    escalation_id = response.json()["decision"]["escalation_id"]
    assert escalation_id
    assert not [o for o in desk.outbox() if o["review_id"] == body["review_id"]]
    packet = desk.client.get(f"/v1/escalations/{escalation_id}", headers=desk.api.headers).json()
    assert packet["reason"] == "review_rejected"
    assert "wrong_facts" in packet["packet"]["reason"]["message"]
    assert "we can't" in packet["packet"]["reason"]["message"]
    with Session(desk.engine) as session:
        conversation = session.get(Conversation, body["conversation_id"])
        assert conversation is not None and conversation.status == "escalated"
        reply = session.exec(
            select(Message).where(Message.external_id == f"reply-to:{_inbound_id(desk, body)}")
        ).one()
        assert reply.direction == Direction.internal  # never reached the customer


def _inbound_id(desk: Desk, body: dict[str, Any]) -> str:
    with Session(desk.engine) as session:
        review = session.get(Review, body["review_id"])
        assert review is not None and review.inbound_message_id
        return review.inbound_message_id


def test_a_decision_is_final_and_two_at_once_cannot_both_win(desk: Desk) -> None:
    body = desk.email("Do you sell gift cards for the holidays?")
    assert body["review_id"], body
    results: list[int] = []
    barrier = threading.Barrier(2)

    def decide(verb: str, **extra: Any) -> None:
        barrier.wait()
        results.append(desk.decide(body["review_id"], verb, **extra).status_code)

    threads = [
        threading.Thread(target=decide, args=("approve",)),
        threading.Thread(target=decide, args=("edit",), kwargs={"text": "Call us."}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    again = desk.decide(body["review_id"], "reject", category="tone")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
    assert len([o for o in desk.outbox() if o["review_id"] == body["review_id"]]) == 1


def test_roles_and_bad_decisions(desk: Desk) -> None:
    body = desk.email("Is the Harbor Fleece warm enough for winter?")
    helpdesk = desk.client.get("/v1/reviews", headers=desk.helpdesk)
    assert helpdesk.status_code == 403
    assert desk.client.get("/v1/gate", headers=desk.helpdesk).status_code == 403
    promote = desk.client.post("/v1/gate/email/promote", json={}, headers=desk.reviewer)
    assert promote.status_code == 403
    bad = desk.decide(body["review_id"], "reject", category="ugly")
    assert bad.status_code == 422
    assert desk.decide(body["review_id"], "edit", text="").status_code == 422
    assert desk.decide("rev_nope", "approve").status_code == 404
    still = desk.client.get(f"/v1/reviews/{body['review_id']}", headers=desk.reviewer).json()
    assert still["status"] == "pending"


def test_the_queue_filters_and_pages(desk: Desk) -> None:
    for n in range(3):
        desk.email(f"Hello, question {n}: how long does standard shipping take?")
    first = desk.client.get("/v1/reviews?limit=2", headers=desk.reviewer).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = desk.client.get(
        f"/v1/reviews?limit=2&cursor={first['next_cursor']}", headers=desk.reviewer
    ).json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(ids) == len(set(ids))
    created = [i["created_at"] for i in first["items"] + second["items"]]
    assert created == sorted(created)
    none = desk.client.get("/v1/reviews?channel=sms", headers=desk.reviewer).json()
    assert none["items"] == []
    young = desk.client.get("/v1/reviews?older_than=60", headers=desk.reviewer).json()
    assert young["items"] == []
    bad = desk.client.get("/v1/reviews?cursor=zzz", headers=desk.reviewer)
    assert bad.status_code == 400


# --- the promotion rule -----------------------------------------------------------------------


def test_the_rule_by_the_numbers() -> None:
    assert wilson_lower_bound(96, 100) == pytest.approx(0.9016, abs=1e-4)
    assert wilson_lower_bound(95, 100) < 0.90
    numbers = gate_numbers([("approved", None)] * 99, 50)
    assert promotion_blockers(numbers, 100, 0.9, 50) == ["99 of 100 replies reviewed"]
    short = gate_numbers([("approved", None)] * 95 + [("edited", None)] * 5, 50)
    assert promotion_blockers(short, 100, 0.9, 50) == [
        "approval lower bound 0.888 is under the bar 0.90 (95 of 100 approved unchanged)"
    ]
    ok = gate_numbers([("approved", None)] * 100, 50)
    assert ok["lower_bound"] > 0.96 and promotion_blockers(ok, 100, 0.9, 50) == []
    late = gate_numbers([("approved", None)] * 120 + [("rejected", "tone")], 50)
    assert late["critical_recent"] == 1
    assert promotion_blockers(late, 100, 0.9, 50) == [
        "1 critical rejection(s) in the last 50 reviews"
    ]
    old = gate_numbers([("rejected", "tone")] + [("approved", None)] * 150, 50)
    assert old["critical_recent"] == 0 and promotion_blockers(old, 100, 0.9, 50) == []


def test_promotion_refuses_below_100_reviews(fresh: Desk) -> None:
    fresh.seed(["approved"] * 99)
    refused = fresh.client.post("/v1/gate/email/promote", json={}, headers=fresh.api.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "gate_not_met"
    assert "99 of 100 replies reviewed" in refused.json()["error"]["details"]["reasons"]
    assert fresh.gate()["stage"] == "review"


def test_promotion_refuses_below_the_lower_bound(fresh: Desk) -> None:
    fresh.seed(["approved"] * 95 + ["edited"] * 5)  # 95%: lower bound 0.888
    refused = fresh.client.post("/v1/gate/email/promote", json={}, headers=fresh.api.headers)
    assert refused.status_code == 409
    assert any("lower bound 0.888" in r for r in refused.json()["error"]["details"]["reasons"])
    gate = fresh.gate()
    assert gate["reviewed"] == 100 and gate["approved"] == 95 and gate["edit_rate"] == 0.05
    assert gate["eligible"] is False


def test_promotion_refuses_after_a_critical_rejection(fresh: Desk) -> None:
    fresh.seed(["approved"] * 150 + ["rejected"] + ["approved"] * 10, category="privacy")
    refused = fresh.client.post("/v1/gate/email/promote", json={}, headers=fresh.api.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["reasons"] == [
        "1 critical rejection(s) in the last 50 reviews"
    ]
    assert fresh.gate()["rejection_reasons"] == {"privacy": 1}


def test_promotion_succeeds_when_the_rule_holds_and_is_recorded(fresh: Desk) -> None:
    fresh.seed(["approved"] * 118 + ["edited"] * 2)
    assert fresh.gate()["eligible"] is True
    promoted = fresh.client.post(
        "/v1/gate/email/promote", json={"note": "first 100 done"}, headers=fresh.api.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["stage"] == "autonomous"
    event = promoted.json()["history"][0]
    assert event["action"] == "promoted" and event["reason"] == "first 100 done"
    assert event["evidence"]["reviewed"] == 120 and event["evidence"]["approved"] == 118
    body = fresh.email("How long do refunds take to reach my card?")
    assert body["outcome"] == "replied" and body["review_id"] is None
    demoted = fresh.client.post(
        "/v1/gate/email/demote", json={"note": "holiday season"}, headers=fresh.api.headers
    )
    assert demoted.status_code == 200 and demoted.json()["stage"] == "review"
    assert fresh.email("And can I return sale items?")["outcome"] == "held_for_review"


def test_intents_that_cleared_the_gate_go_autonomous_alone(fresh: Desk) -> None:
    asked = fresh.email("how long does shipping usually take to reach me?")
    intent = asked["intent"]["name"]
    fresh.seed(["approved"] * 100, intent=intent)
    fresh.seed(["approved"] * 10, intent="track_order")
    refused = fresh.client.post(
        "/v1/gate/email/promote", json={"intents": ["track_order"]}, headers=fresh.api.headers
    )
    assert refused.status_code == 409
    promoted = fresh.client.post(
        "/v1/gate/email/promote", json={"intents": [intent]}, headers=fresh.api.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["stage"] == "review"
    assert promoted.json()["autonomous_intents"] == [intent]
    same = fresh.email("how long does shipping usually take to reach me?")
    assert same["intent"]["name"] == intent and same["outcome"] == "replied"
    other = fresh.email("Where is my order #1126? It hasn't arrived.", "nora.hughes7@outlook.com")
    assert other["intent"]["name"] != intent and other["outcome"] == "held_for_review"
    rows = {i["intent"]: i for i in fresh.gate()["intents"]}
    assert rows[intent]["autonomous"] is True and rows["track_order"]["autonomous"] is False


# --- after promotion: sampling and automatic demotion --------------------------------------


def test_the_sample_share_is_the_configured_rate() -> None:
    ids = [f"msg_{n:05d}" for n in range(4000)]
    share = sum(sampled(i, 0.05) for i in ids) / len(ids)
    assert 0.04 <= share <= 0.06
    assert sum(sampled(i, 0.0) for i in ids) == 0
    assert all(sampled(i, 1.0) for i in ids[:100])
    assert [sampled(i, 0.3) for i in ids[:50]] == [sampled(i, 0.3) for i in ids[:50]]


def test_autonomous_replies_are_sampled_at_the_rate_plus_every_risky_one(tmp_path: Path) -> None:
    store = store_copy(tmp_path, stage="autonomous", sample_rate=0.3)
    for api in make_agent_api(tmp_path / "data", store_dir=store):
        desk = Desk(api)
        question = "Hi there, what's your return window for clothing?"
        bodies = [desk.email(question) for _ in range(30)]
        assert all(b["outcome"] == "replied" for b in bodies)
        with Session(desk.engine) as session:
            reviews = {r.inbound_message_id: r for r in session.exec(select(Review)).all()}
            inbound = {
                m.external_id: m.id
                for m in session.exec(
                    select(Message).where(Message.direction == Direction.inbound)
                ).all()
            }
        drawn = {mid for mid in inbound.values() if sampled(mid, 0.3)}
        risky = {mid for mid, r in reviews.items() if r.risks}
        assert set(reviews) == drawn | risky and 3 <= len(drawn) <= 18
        assert risky == set(), [r.risks for r in reviews.values()]  # a plain, clear question
        assert all(r.kind == ReviewKind.sample and not r.held for r in reviews.values())
        assert {b["review_id"] for b in bodies if b["review_id"]} == {
            r.id for r in reviews.values()
        }


def test_a_reply_that_moved_money_is_always_sampled_on_the_second_store(tmp_path: Path) -> None:
    store = write_second_store(tmp_path / "fjord")  # every channel autonomous, sample_rate 0
    from evals.stores.second import ORDERS, cancellable_here

    order = next(
        o for o in ORDERS if cancellable_here(o) and (o.get("customer") or {}).get("email")
    )
    email = order["customer"]["email"]
    for api in make_agent_api(tmp_path / "data", store_dir=store, today=_today()):
        desk = Desk(api)
        ask = api.send("email", f"Please cancel order {order['name']}.", email=email)
        assert ask["outcome"] == "replied" and ask["review_id"] is None
        done = api.send("email", "Yes, cancel it.", email=email)
        assert [(a["tool"], a["status"]) for a in done["actions"]] == [("cancel_order", "done")]
        assert done["outcome"] == "replied" and done["review_id"]
        item = desk.client.get(f"/v1/reviews/{done['review_id']}", headers=desk.reviewer).json()
        assert item["kind"] == "sample" and "money_moved" in item["risks"]
        assert [a["tool"] for a in item["actions"]] == ["cancel_order"]
        # Approving a sample judges it; the reply was already sent, so nothing is sent again.
        assert desk.decide(done["review_id"], "approve").status_code == 200
        assert desk.outbox() == []


def _today() -> Any:
    from evals.stores.second import TODAY

    return TODAY


def test_a_critical_rejection_of_a_sample_demotes_the_channel(tmp_path: Path) -> None:
    store = store_copy(tmp_path, stage="review", sample_rate=1.0)
    for api in make_agent_api(tmp_path / "data", store_dir=store):
        desk = Desk(api)
        desk.seed(["approved"] * 100)
        assert desk.client.post("/v1/gate/email/promote", json={}, headers=api.headers).is_success
        body = desk.email("What's the return window for shoes?")
        assert body["outcome"] == "replied" and body["review_id"]
        desk.decide(body["review_id"], "reject", category="wrong_facts", note="it's 30 days")
        gate = desk.gate()
        assert gate["stage"] == "review" and gate["stage_source"] == "gate"
        event = gate["history"][0]
        assert event["action"] == "auto_demoted" and event["actor"] == "gate"
        assert event["evidence"]["review_id"] == body["review_id"]
        assert "wrong_facts" in event["reason"]
        assert desk.email("And for jackets?")["outcome"] == "held_for_review"


def test_sampled_approval_under_the_bar_demotes_after_enough_samples(tmp_path: Path) -> None:
    store = store_copy(tmp_path, stage="review", sample_rate=1.0, demote_after=4)
    for api in make_agent_api(tmp_path / "data", store_dir=store):
        desk = Desk(api)
        desk.seed(["approved"] * 100)
        assert desk.client.post("/v1/gate/email/promote", json={}, headers=api.headers).is_success
        verdicts = ["approve", "edit", "edit", "approve"]
        for n, verb in enumerate(verdicts):
            body = desk.email(f"Question {n}: do you offer gift wrapping?")
            assert body["outcome"] == "replied", n  # still autonomous until the 4th
            extra = {"text": "Yes, at checkout."} if verb == "edit" else {}
            assert desk.decide(body["review_id"], verb, **extra).status_code == 200
        gate = desk.gate()
        assert gate["stage"] == "review"
        event = gate["history"][0]
        assert event["action"] == "auto_demoted"
        assert event["evidence"]["reviewed"] == 4 and event["evidence"]["approved"] == 2
        with Session(desk.engine) as session:
            kinds = [e.action for e in session.exec(select(GateEvent)).all()]
        assert kinds == ["promoted", "auto_demoted"]


def test_a_rejected_sample_escalates_for_a_follow_up(tmp_path: Path) -> None:
    store = store_copy(tmp_path, stage="autonomous", sample_rate=1.0)
    for api in make_agent_api(tmp_path / "data", store_dir=store):
        desk = Desk(api)
        body = desk.email("Can I change the size of my order after it ships?")
        response = desk.decide(body["review_id"], "reject", category="incomplete")
        assert response.status_code == 200
        with Session(desk.engine) as session:
            escalation = session.get(Escalation, response.json()["decision"]["escalation_id"])
            assert escalation is not None
            assert "after it was sent" in escalation.packet["reason"]["message"]
            assert session.exec(select(OutboxMessage)).all() == []
        assert desk.gate()["stage"] == "autonomous"  # not critical, one sample: no demotion


# --- the command line -------------------------------------------------------------------------


def test_the_gate_from_the_command_line(fresh: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = fresh.api.client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("THREADLINE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("THREADLINE_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    refused = runner.invoke(cli, ["gate", "promote", "email", "--demo"])
    assert refused.exit_code == 1
    assert "0 of 100 replies reviewed" in refused.output
    fresh.seed(["approved"] * 100)
    shown = runner.invoke(cli, ["gate", "show", "--demo"])
    assert shown.exit_code == 0
    assert "email: review; 100 / 100 reviewed, 100% approved, lower bound 0.96" in shown.output
    promoted = runner.invoke(cli, ["gate", "promote", "email", "--demo", "--actor", "ops"])
    assert promoted.exit_code == 0, promoted.output
    assert fresh.gate()["stage"] == "autonomous"
    assert fresh.gate()["history"][0]["actor"] == "ops"
    demoted = runner.invoke(cli, ["gate", "demote", "email", "--demo", "--to", "draft"])
    assert demoted.exit_code == 0
    assert fresh.gate()["stage"] == "draft"
    drafted = fresh.email("Do you have a store in Boston?")
    assert drafted["outcome"] == "held_for_review"
    with Session(fresh.engine) as session:
        review = session.get(Review, drafted["review_id"])
        assert review is not None and review.kind == ReviewKind.draft
