"""`threadline chat`: a fresh session (`--new`) and the tester's commands (`/resolve`, `/reset`),
on the demo store with its sandbox shop, real SQLite and the knowledge index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api.cli import app
from inbox.db import make_engine
from inbox.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Direction,
    Event,
    Identity,
    Message,
)
from tests.agent.demo import cancellable, owner_email, pick

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory for the module: the knowledge index is built once."""
    return tmp_path_factory.mktemp("chat")


@pytest.fixture
def engine(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("THREADLINE_DATA_DIR", str(data_dir))
    engine = make_engine(f"sqlite:///{data_dir / 'threadline.db'}")
    yield engine
    engine.dispose()


def chat(*options: str, lines: list[str]) -> str:
    result = runner.invoke(app, ["chat", *options], input="".join(f"{line}\n" for line in lines))
    assert result.exit_code == 0, result.output
    return result.output


def customer_of(engine: Engine, value: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Identity.customer_id).where(Identity.value == value)).one()


def conversations(engine: Engine, customer_id: str) -> list[tuple[Conversation, list[str]]]:
    """The customer's conversations, oldest first, each with its inbound messages' texts."""
    with Session(engine) as session:
        cases = session.exec(
            select(Conversation)
            .where(Conversation.customer_id == customer_id)
            .order_by(col(Conversation.created_at))
        ).all()
        return [
            (
                case,
                list(
                    session.exec(
                        select(Message.text)
                        .where(Message.conversation_id == case.id)
                        .where(Message.direction == Direction.inbound)
                        .order_by(col(Message.sent_at))
                    ).all()
                ),
            )
            for case in cases
        ]


def test_new_starts_a_conversation_with_no_history_and_keeps_the_old_one(engine: Engine) -> None:
    order = pick(cancellable, set())
    email = owner_email(order)
    assert email
    first = chat(
        "--channel",
        "email",
        "--customer",
        email,
        lines=[f"Please cancel my order {order['name']}."],
    )
    assert "YES" in first  # the agent proposed the cancel and waits for a yes
    customer_id = customer_of(engine, email)

    fresh = chat("--channel", "email", "--customer", email, "--new", lines=["YES"])
    # The fresh session holds no proposal: the yes cancels nothing.
    assert "cancel_order" not in fresh
    [(old, old_texts), (new, new_texts)] = conversations(engine, customer_id)
    assert old.status == ConversationStatus.resolved and old.closed_at is not None
    assert old_texts == [f"Please cancel my order {order['name']}."]  # nothing was deleted
    assert new.id != old.id and new_texts == ["YES"]
    assert new.status == ConversationStatus.open


def test_resolve_makes_the_next_message_open_a_new_conversation(engine: Engine) -> None:
    output = chat(
        "--customer",
        "cli-resolver",
        lines=["do you ship to Canada?", "/resolve", "and to Mexico?", "/help"],
    )
    assert "1 conversation(s) resolved" in output
    assert "/reset" in output and "/resolve" in output  # /help lists the commands
    customer_id = customer_of(engine, "cli-resolver")
    [(first, first_texts), (second, second_texts)] = conversations(engine, customer_id)
    assert first.status == ConversationStatus.resolved and first_texts == ["do you ship to Canada?"]
    assert second.status != ConversationStatus.resolved and second_texts == ["and to Mexico?"]
    with Session(engine) as session:
        event = session.exec(
            select(Event)
            .where(Event.kind == "conversation_resolved")
            .where(Event.conversation_id == first.id)
        ).one()
    assert event.payload == {"by": "threadline chat"}


def test_reset_erases_only_this_customer(engine: Engine) -> None:
    chat("--customer", "cli-bystander", lines=["what is your return window?"])
    output = chat("--customer", "cli-tester", lines=["hi, what is your return window?", "/reset"])
    assert "erased:" in output
    bystander = customer_of(engine, "cli-bystander")
    with Session(engine) as session:
        assert session.exec(select(Identity).where(Identity.value == "cli-tester")).first() is None
        customers = session.exec(select(Customer.id)).all()
        assert bystander in customers
        texts = session.exec(select(Message.text)).all()
        assert "hi, what is your return window?" not in texts
        assert "what is your return window?" in texts
