"""`threadline chat`: talk to the agent in the terminal, as a customer on a channel.

A line that starts with `/` is a command for the tester, not a message: `/resolve` closes the
current conversation as a person resolving it would, `/reset` erases this customer's data, `/help`
lists them. `--new` starts a fresh session: the customer's open conversations are resolved and the
agent forgets what the session held (nothing is deleted).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select

from agent.proof import InvalidSender, Sender, sender_identity
from agent.service import SESSION_FIELDS, InboundRequest
from api.cli.common import load_settings
from api.logging import configure_logging
from api.main import prepare_database
from api.routes.shopify_webhooks import CheckpointSessions
from api.settings import DEMO_STORE_DIR
from api.store_runtime import StoreRuntime, start_store
from inbox.conversations import record_event
from inbox.db import make_engine
from inbox.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationStatus,
    Identity,
    IdentityKind,
    Trace,
    utcnow,
)
from inbox.outbound_events import escalation_data
from inbox.privacy import Subject, erase, with_merged
from tools.policy import PolicyError
from tools.sandbox.fixtures import FixtureError

PHONE_CHANNELS = ("sms", "whatsapp", "voice")
RESOLVED_BY = "threadline chat"
"""Who resolved a conversation closed from the terminal, as events and escalations record it."""

COMMANDS = {
    "/resolve": "mark the current conversation resolved, as a person would: the next line starts "
    "a new one",
    "/reset": "erase this customer (records, conversations, messages, the agent's session); "
    "the next line starts as a new customer",
    "/help": "list these commands",
}

_EMPTY_COUNTS = {
    "low_confidence_streak": 0,
    "unresolved_turns": 0,
    "orders_seen": {},
    "order_grants": {},
}
FRESH_SESSION: dict[str, Any] = {name: _EMPTY_COUNTS.get(name) for name in SESSION_FIELDS}
"""Every session field as it is before a customer's first turn (None unless a count or a map)."""


def chat(
    channel: Annotated[Channel, typer.Option(help="The channel to write on.")] = Channel.chat,
    customer: Annotated[
        str, typer.Option(help="The sender: an email, a phone number or a handle.")
    ] = "visitor-1",
    store: Annotated[Path | None, typer.Option(help="Store directory (default: the demo).")] = None,
    trace: Annotated[bool, typer.Option("--trace", help="Print each turn's trace.")] = False,
    new: Annotated[
        bool,
        typer.Option(
            "--new",
            help="Start a fresh session: resolve the customer's open conversations and let the "
            "agent forget the session (nothing is deleted).",
        ),
    ] = False,
) -> None:
    """Chat with the agent; each line you type is one inbound message (`/help` lists the
    commands). Ctrl-D to stop."""
    settings = load_settings()
    store_dir = store or settings.store_dir or DEMO_STORE_DIR
    settings = settings.model_copy(update={"store_dir": store_dir, "log_level": "WARNING"})
    configure_logging("WARNING", "text")
    engine = make_engine(settings.resolved_database_url, **settings.engine_options)
    prepare_database(engine, settings)
    typer.secho(f"loading store {store_dir} …", err=True)
    try:
        runtime = start_store(settings, engine, store_dir)
    except (FixtureError, PolicyError) as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(2) from exc
    sender = _sender(channel, customer)
    session_id = uuid.uuid4().hex[:8]
    try:
        if new:
            ids = _own_records(runtime, sender)
            resolved = _resolve_conversations(runtime, ids)
            _forget_sessions(runtime, ids)
            _note(f"fresh session: {resolved} open conversation(s) resolved.")
        typer.secho(
            f"You are {customer} on {channel.value}. Type a message (/help for commands).",
            fg="green",
            err=True,
        )
        for turn in itertools.count(1):
            try:
                text = input("you> ").strip()
            except EOFError:
                break
            if not text:
                continue
            if text.startswith("/"):
                _command(runtime, sender, text)
                continue
            request = InboundRequest(
                channel=channel.value,
                external_id=f"cli-{session_id}-{turn}",
                text=text,
                email=sender.email,
                phone=sender.phone,
                handle=sender.handle,
            )
            result = runtime.resolver.handle(request)
            body = result.body
            reply = (body.get("reply") or {}).get("text", "")
            typer.secho(f"agent [{body['outcome']}, {body['intent']['name']}]> {reply}", fg="cyan")
            for action in body["actions"]:
                typer.echo(f"  action: {action['tool']} {action['status']}: {action['detail']}")
            if trace:
                with Session(engine) as session:
                    row = session.get(Trace, body["trace_id"])
                    typer.echo(json.dumps(row.data if row else {}, indent=2, default=str))
    except InvalidSender as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    finally:
        runtime.close()


def _sender(channel: Channel, customer: str) -> Sender:
    """`--customer` as the channel's own identifier (proven by the channel)."""
    if channel.value == "email":
        return Sender(channel=channel.value, email=customer)
    if channel.value in PHONE_CHANNELS:
        return Sender(channel=channel.value, phone=customer)
    return Sender(channel=channel.value, handle=customer)


def _note(text: str) -> None:
    typer.secho(text, fg="yellow", err=True)


def _command(runtime: StoreRuntime, sender: Sender, text: str) -> None:
    command = text.split()[0].lower()
    if command == "/resolve":
        resolved = _resolve_conversations(runtime, _own_records(runtime, sender))
        _note(f"{resolved} conversation(s) resolved; your next message starts a new one.")
    elif command == "/reset":
        counts = _erase(runtime, _own_records(runtime, sender))
        erased = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count)
        _note(f"erased: {erased or 'nothing was held'}; your next message starts a new customer.")
    else:
        if command != "/help":
            _note(f"unknown command {command}")
        for name, meaning in COMMANDS.items():
            _note(f"  {name:<9} {meaning}")


def _own_records(runtime: StoreRuntime, sender: Sender) -> tuple[str, ...]:
    """The customer records the sender's proven identifier names, with the records merged into
    them: whose conversations and data the commands touch (never a record that only claimed
    the same identifier)."""
    claims = sender_identity(sender, runtime.services.phone_region).claims
    proven = [
        and_(col(Identity.kind) == c.kind, col(Identity.value) == c.value)
        for c in claims
        if c.verified
    ]
    with Session(runtime.services.engine) as session:
        owners = session.exec(select(Identity.customer_id).where(or_(false(), *proven))).all()
        return tuple(sorted(with_merged(session, owners)))


@contextmanager
def _holding(runtime: StoreRuntime, customer_ids: tuple[str, ...]) -> Iterator[None]:
    """The customers' turn locks, so no turn of theirs runs meanwhile (`serve` on PostgreSQL)."""
    with ExitStack() as stack:
        for customer_id in customer_ids:
            stack.enter_context(runtime.resolver.locks.hold(f"customer:{customer_id}"))
        yield


def _resolve_conversations(runtime: StoreRuntime, customer_ids: tuple[str, ...]) -> int:
    """Resolve the customers' open or escalated conversations (and their escalations) as a
    person resolving them would; the next message starts a new conversation."""
    now = utcnow()
    with _holding(runtime, customer_ids), Session(runtime.services.engine) as session:
        cases = session.exec(
            select(Conversation)
            .where(col(Conversation.customer_id).in_(customer_ids))
            .where(
                col(Conversation.status).in_(
                    [ConversationStatus.open, ConversationStatus.escalated]
                )
            )
        ).all()
        for case in cases:
            case.status = ConversationStatus.resolved
            case.closed_at = case.updated_at = now
            record_event(
                session,
                "conversation_resolved",
                customer_id=case.customer_id,
                conversation_id=case.id,
                payload={"by": RESOLVED_BY},
            )
            escalations = session.exec(
                select(Escalation)
                .where(Escalation.conversation_id == case.id)
                .where(Escalation.status != EscalationStatus.resolved)
            ).all()
            for row in escalations:
                row.status = EscalationStatus.resolved
                row.resolved_at = now
                row.assignee = row.assignee or RESOLVED_BY
                row.resolved_by_name = RESOLVED_BY
                record_event(
                    session,
                    "escalation_resolved",
                    channel=row.channel,
                    customer_id=row.customer_id,
                    conversation_id=row.conversation_id,
                    payload={"escalation_id": row.id, "by": RESOLVED_BY},
                )
                runtime.services.events.emit(
                    session,
                    "escalation.resolved",
                    escalation_data(row),
                    customer_id=row.customer_id,
                    conversation_id=row.conversation_id,
                )
        session.commit()
        return len(cases)


def _forget_sessions(runtime: StoreRuntime, customer_ids: tuple[str, ...]) -> None:
    """Start the customers' agent sessions afresh. A new checkpoint is written: the earlier ones
    stay, like the conversations and messages."""
    graph = runtime.resolver.graph
    with _holding(runtime, customer_ids):
        for customer_id in customer_ids:
            config: RunnableConfig = {"configurable": {"thread_id": customer_id}}
            if graph.get_state(config).values:
                graph.update_state(config, FRESH_SESSION, as_node="record")


def _erase(runtime: StoreRuntime, customer_ids: tuple[str, ...]) -> dict[str, int]:
    """Erase the customers with the privacy erasure: every row they own and their sessions."""
    saver = runtime.resolver.graph.checkpointer
    assert isinstance(saver, BaseCheckpointSaver)
    contact_kinds = [IdentityKind.email, IdentityKind.phone, IdentityKind.whatsapp]
    with _holding(runtime, customer_ids), Session(runtime.services.engine) as session:
        contacts = session.exec(
            select(Identity.value)
            .where(col(Identity.customer_id).in_(customer_ids))
            .where(col(Identity.kind).in_(contact_kinds))
        ).all()
        subject = Subject(customer_ids, tuple(sorted(set(contacts))))
        counts = erase(session, subject, CheckpointSessions(saver))
        session.commit()
    return counts
