"""`threadline review seed` and `threadline review export`, end to end on real parts.

The seed drives the agent on a real SQLite database with the demo store's sandbox shop over HTTP;
reviewers decide the held replies through the API; the export writes the decisions as a suite
that `load_suite` reads and the eval runner plays against the demo store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from agent.review_export import distinctive_sentences, export_suite, facts_of, suite_yaml
from api.cli import app as cli
from api.main import create_app
from api.settings import Settings
from evals.harness.evaluate import evaluate
from evals.harness.suite import load_suite, parse_suite
from inbox.db import make_engine, session_scope
from inbox.keys import create_key
from inbox.models import (
    Author,
    Channel,
    Conversation,
    Customer,
    Direction,
    Identity,
    IdentityKind,
    Message,
    Review,
    ReviewStatus,
    Role,
)

SEEDED = 3
runner = CliRunner()


@dataclass
class Queue:
    data_dir: Path
    env: dict[str, str]
    first: Result
    again: Result

    def invoke(self, *args: str) -> Result:
        return runner.invoke(cli, list(args), env=self.env)


@pytest.fixture(scope="module")
def queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Queue]:
    """A database the seed filled (run twice), as `threadline serve --demo` would find it."""
    data_dir = tmp_path_factory.mktemp("review-cli")
    env = {
        "THREADLINE_DATA_DIR": str(data_dir),
        "THREADLINE_DATABASE_URL": f"sqlite:///{data_dir}/threadline.db",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("THREADLINE_") and name != "THREADLINE_REQUIRE_POSTGRES":
                patch.delenv(name)
        patch.chdir(data_dir)
        seed = ["review", "seed", "--count", str(SEEDED), "--demo"]
        first = runner.invoke(cli, seed, env=env)
        again = runner.invoke(cli, seed, env=env)
        yield Queue(data_dir, env, first, again)


@dataclass
class Decided:
    edited: dict[str, Any]
    """The edited review's detail as the API returned it."""
    rejected: dict[str, Any]
    approved: dict[str, Any]
    edited_text: str
    rejected_offer: str
    """The rejected reply's line that offers the cancellation."""


@pytest.fixture(scope="module")
def decided(queue: Queue) -> Decided:
    """A reviewer edits the tracking reply, rejects the cancellation offer, approves the return."""
    url = queue.env["THREADLINE_DATABASE_URL"]
    settings = Settings(data_dir=queue.data_dir, database_url=url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        key, _ = create_key(session, Role.reviewer, "Dana")
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings, engine)) as client:
        listed = client.get("/v1/reviews", params={"channel": "email"}, headers=headers)
        assert listed.status_code == 200, listed.text
        by_intent = {item["intent"]: item["id"] for item in listed.json()["items"]}
        track = client.get(f"/v1/reviews/{by_intent['track_order']}", headers=headers).json()
        cancel = client.get(f"/v1/reviews/{by_intent['cancel_order']}", headers=headers).json()
        [fact_sentence, *_] = distinctive_sentences(track["reply"]["text"])
        edited_text = f"Hi,\n\n{fact_sentence} It should reach you within 2 days.\n\nNorthwind"
        edited = client.post(
            f"/v1/reviews/{track['id']}/edit",
            json={"text": edited_text, "category": "tone", "note": "Keep it short."},
            headers=headers,
        )
        rejected = client.post(
            f"/v1/reviews/{cancel['id']}/reject",
            json={"category": "wrong_action", "note": "They asked to cancel: just cancel it."},
            headers=headers,
        )
        approved = client.post(
            f"/v1/reviews/{by_intent['return_item']}/approve", json={}, headers=headers
        )
    engine.dispose()
    for response in (edited, rejected, approved):
        assert response.status_code == 200, response.text
    [offer] = [s for s in cancel["reply"]["text"].splitlines() if "shall I cancel order" in s]
    return Decided(edited.json(), rejected.json(), approved.json(), edited_text, offer)


def _suite_file(queue: Queue, name: str, *options: str) -> tuple[Result, Path]:
    path = queue.data_dir / name
    return queue.invoke("review", "export", "-o", str(path), "--demo", *options), path


def test_seed_fills_the_email_queue_and_a_second_run_adds_nothing(queue: Queue) -> None:
    assert queue.first.exit_code == 0, queue.first.output
    assert f"{SEEDED} email replies queued for review (0 already there" in queue.first.stdout
    assert "threadline serve --demo" in queue.first.stdout
    assert "http://127.0.0.1:8080/review" in queue.first.stdout
    assert "keys create --role reviewer" in queue.first.stdout
    assert "[1/3]" in queue.first.stderr  # progress goes to stderr
    assert queue.again.exit_code == 0, queue.again.output
    assert f"0 email replies queued for review ({SEEDED} already there" in queue.again.stdout
    assert "loading store" not in queue.again.stderr  # nothing to send: the agent never starts

    engine = make_engine(queue.env["THREADLINE_DATABASE_URL"])
    with Session(engine) as session:
        reviews = session.exec(select(Review)).all()
        emails = session.exec(
            select(Message)
            .where(Message.direction == Direction.inbound)
            .where(col(Message.external_id).startswith("threadline-seed-"))
        ).all()
    engine.dispose()
    # The decided fixture may have run first: count what the seed made, not what is pending.
    assert len(reviews) == SEEDED and len(emails) == SEEDED
    assert {r.channel for r in reviews} == {"email"}
    assert {r.kind for r in reviews} == {"hold"}
    assert len({m.customer_id for m in emails}) == SEEDED  # one customer each
    assert all(m.subject and "#" in m.text for m in emails)  # each about one of their orders


def test_export_writes_edited_and_rejected_reviews_as_cases(queue: Queue, decided: Decided) -> None:
    result, path = _suite_file(queue, "reviews.yaml")
    assert result.exit_code == 0, result.output
    assert "exported 2 case(s) (1 edited, 1 rejected)" in result.stderr

    suite = load_suite(path)
    cases = {case["id"]: case for case in suite.cases}
    edited = cases.pop(f"review-{decided.edited['id']}")
    rejected = cases.pop(f"review-{decided.rejected['id']}")
    assert cases == {}  # the approved reply is not a correction
    assert decided.approved["status"] == "approved"

    assert edited["store"] == "demo"
    assert {"source:review", "channel:email", "intent:track_order", "review:edited"} <= set(
        edited["tags"]
    )
    message = decided.edited["customer_message"]
    [turn] = edited["turns"]
    assert (turn["channel"], turn["text"], turn["subject"]) == (
        "email",
        message["text"],
        message["subject"],
    )
    assert edited["customer"]["verified"] == ["email"]
    assert "@" in edited["customer"]["email"]
    assert turn["expect"]["reference"] == decided.edited_text
    assert turn["expect"]["contains"] == facts_of(decided.edited_text)
    assert "Keep it short." in edited["description"]

    assert "category:wrong_action" in rejected["tags"]
    [turn] = rejected["turns"]
    assert turn["text"] == decided.rejected["customer_message"]["text"]
    banned = turn["expect"]["not_contains"]
    assert banned == distinctive_sentences(decided.rejected["reply"]["text"])
    assert any(sentence in decided.rejected_offer for sentence in banned)
    assert turn["expect"]["actions"] == []
    assert "They asked to cancel: just cancel it." in rejected["description"]


def test_status_and_since_choose_what_is_exported(queue: Queue, decided: Decided) -> None:
    result, path = _suite_file(queue, "rejected.yaml", "--status", "rejected")
    assert result.exit_code == 0, result.output
    assert [c["id"] for c in load_suite(path).cases] == [f"review-{decided.rejected['id']}"]

    printed = queue.invoke("review", "export", "--status", "edited", "--demo")
    assert printed.exit_code == 0, printed.output
    suite = parse_suite(printed.stdout, "stdout.yaml")
    assert [c["id"] for c in suite.cases] == [f"review-{decided.edited['id']}"]

    later = queue.invoke("review", "export", "--since", "2999-01-01", "--demo")
    assert later.exit_code == 1
    assert "nothing exported" in later.stderr

    refused = queue.invoke("review", "export", "--status", "approved")
    assert refused.exit_code == 2
    assert "--status takes edited and/or rejected" in refused.stderr


@pytest.mark.slow
def test_the_exported_suite_runs_unchanged(queue: Queue, decided: Decided) -> None:
    _, path = _suite_file(queue, "run.yaml")
    report = evaluate(load_suite(path))
    results = {case["id"]: case for case in report["cases"]}
    edited = results[f"review-{decided.edited['id']}"]
    rejected = results[f"review-{decided.rejected['id']}"]
    for case in (edited, rejected):
        [turn] = case["turns"]
        assert turn["status"] == 200 and turn["outcome"] == "held_for_review"

    # The deterministic agent writes the rejected offer again: the must-not catches it.
    assert not rejected["passed"]
    banned = distinctive_sentences(decided.rejected["reply"]["text"])
    assert rejected["turns"][0]["misses"] == [f"reply contains {s!r}" for s in banned]
    # The edited reply's facts are in the agent's reply; its wording is scored, not gated.
    assert edited["passed"], edited
    assert report["metrics"]["ragas.semantic_similarity"] is not None
    assert report["metrics"]["ragas.string_presence"] is not None


# ---- the export on its own: a conversation across channels, each category's rule ---------------
def _at(day: int) -> datetime:
    return datetime(2026, 11, day, 12, 0, tzinfo=UTC)


def _conversation_with_two_reviews(session: Session) -> None:
    """Nora asks on chat (claiming a phone), follows up by email twice; two replies reviewed."""
    nora = Customer(name="Nora Hughes")
    session.add(nora)
    session.flush()
    session.add_all(
        [
            Identity(
                customer_id=nora.id,
                kind=IdentityKind.chat_visitor,
                value="visitor-7",
                verified=True,
            ),
            Identity(
                customer_id=nora.id,
                kind=IdentityKind.email,
                value="nora.hughes7@outlook.com",
                verified=True,
            ),
            Identity(customer_id=nora.id, kind=IdentityKind.phone, value="+17185556849"),
        ]
    )
    case = Conversation(customer_id=nora.id, channels=["chat", "email"])
    session.add(case)
    session.flush()

    def message(day: int, channel: Channel, direction: Direction, text: str, **extra: Any) -> str:
        author = Author.customer if direction == Direction.inbound else Author.ai
        row = Message(
            conversation_id=case.id,
            customer_id=nora.id,
            direction=direction,
            channel=channel,
            author=author,
            text=text,
            sent_at=_at(day),
            **extra,
        )
        session.add(row)
        session.flush()
        return row.id

    message(
        1,
        Channel.chat,
        Direction.inbound,
        "where is order #1126?",
        meta={"sender": {"claimed_phone": "+17185556849"}},
    )
    message(1, Channel.chat, Direction.outbound, "It has not shipped yet.")
    first = message(
        2, Channel.email, Direction.inbound, "Please cancel it.\n\nNora", subject="Order #1126"
    )
    cancelled = message(
        2,
        Channel.email,
        Direction.internal,
        "Hi Nora,\n\nI've cancelled order #1126 and refunded USD 86.01.",
    )
    second = message(
        3,
        Channel.email,
        Direction.inbound,
        "When do I get my money back?",
        subject="Re: Order #1126",
    )
    refund = message(3, Channel.email, Direction.internal, "It comes back in 3 days.")
    message(4, Channel.email, Direction.inbound, "Thanks!")
    common: dict[str, Any] = {
        "conversation_id": case.id,
        "channel": Channel.email,
        "customer_id": nora.id,
    }
    session.add_all(
        [
            Review(
                **common,
                id="rev_action",
                message_id=cancelled,
                inbound_message_id=first,
                status=ReviewStatus.rejected,
                category="wrong_action",
                note="Confirm before cancelling.",
                decided_at=_at(2),
                intent="cancel_order",
                reply_text="Hi Nora,\n\nI've cancelled order #1126 and refunded USD 86.01 to "
                "your card. Is there anything else I can help with?\n\nBest regards",
                context={
                    "actions": [
                        {"tool": "get_order", "status": "done"},
                        {"tool": "cancel_order", "status": "done", "args": {"order": "#1126"}},
                    ]
                },
            ),
            Review(
                **common,
                id="rev_facts",
                message_id=refund,
                inbound_message_id=second,
                status=ReviewStatus.edited,
                category="wrong_facts",
                decided_at=_at(3),
                reply_text="Your refund of $90.00 reaches your card in 3 days.",
                final_text="Your refund of $86.01 reaches your card within 5 to 10 business days.",
            ),
            Review(
                **common,
                id="rev_fine",
                message_id=refund,
                inbound_message_id=second,
                status=ReviewStatus.approved,
                decided_at=_at(3),
                reply_text="Fine.",
            ),
        ]
    )
    session.commit()


def test_a_conversation_across_channels_replays_each_message_as_its_sender_sent_it(
    engine: Any,
) -> None:
    with Session(engine) as session:
        _conversation_with_two_reviews(session)
        suite = export_suite(session, "/stores/acme")
        later = export_suite(session, "demo", since=_at(3))
        rejected_only = export_suite(session, "demo", statuses=[ReviewStatus.rejected])
    assert [c["id"] for c in later["cases"]] == ["review-rev_facts"]
    assert [c["id"] for c in rejected_only["cases"]] == ["review-rev_action"]
    parsed = parse_suite(suite_yaml(suite), "reviews.yaml")
    action, facts = parsed.cases  # the approved one is not exported

    email = {"email": "nora.hughes7@outlook.com", "name": "Nora Hughes", "verified": ["email"]}
    chat = {
        "handle": "visitor-7",
        "phone": "+17185556849",
        "name": "Nora Hughes",
        "verified": ["handle"],
    }
    assert action["store"] == "/stores/acme" and action["customer"] == email
    assert [
        (t["channel"], t["text"], t.get("subject"), t.get("customer")) for t in action["turns"]
    ] == [
        ("chat", "where is order #1126?", None, chat),
        ("email", "Please cancel it.\n\nNora", "Order #1126", None),
    ]
    assert action["turns"][-1]["expect"] == {
        "not_contains": ["I've cancelled order #1126 and refunded USD 86.01 to your card."],
        "actions": [],
    }
    assert action["expect"] == {"tools_not_run": ["cancel_order"]}
    assert "Confirm before cancelling." in action["description"]

    assert len(facts["turns"]) == 3  # the message after the reviewed one is left out
    assert facts["turns"][-1]["expect"] == {
        "reference": "Your refund of $86.01 reaches your card within 5 to 10 business days.",
        "contains": ["86.01", "10"],
        "not_contains": ["90.00"],  # what the reviewer corrected; '3' alone would ban too much
    }
    assert "tags" in facts and "category:wrong_facts" in facts["tags"]


def test_facts_are_normalised_so_an_equivalent_reply_still_contains_them() -> None:
    text = (
        "Order #1042 ships with UPS, tracking 1Z999AA10123456784, on 2026-11-24. We refunded "
        "$1,204.50 and USD 17.12; returns are open for 30-day windows or 45 days."
    )
    assert facts_of(text) == [
        "1042",
        "1Z999AA10123456784",
        "2026-11-24",
        "1,204.50",
        "17.12",
        "30",
        "45",
    ]
    reply = (
        "Hi Nora,\n\nThanks for waiting. Order #1042 left our warehouse on Monday.\nAnything else?"
    )
    assert distinctive_sentences(reply) == ["Order #1042 left our warehouse on Monday."]
