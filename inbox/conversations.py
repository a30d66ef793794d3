"""Cases and messages: record what was said, on which channel, and read it back as one timeline."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from inbox.identity import canonical_customer
from inbox.models import (
    Author,
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Event,
    Message,
    utcnow,
)

_MESSAGE_EVENTS = {
    Direction.inbound: "message_received",
    Direction.outbound: "reply_sent",
    Direction.internal: "note_added",
}


class DuplicateMessage(Exception):
    """This `(channel, external_id)` was recorded before: a redelivery, not a new message."""

    def __init__(self, existing: Message) -> None:
        super().__init__(f"message {existing.channel}/{existing.external_id} already recorded")
        self.existing = existing


class InvalidCursor(ValueError):
    """A pagination cursor that this service did not hand out."""


def current_conversation(
    session: Session, customer_id: str, channel: Channel | str
) -> Conversation:
    """The customer's open case (on any channel), or a new one; the channel is added to it."""
    conversation = session.exec(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            col(Conversation.status).in_([ConversationStatus.open, ConversationStatus.escalated]),
        )
        .order_by(col(Conversation.updated_at).desc())
    ).first()
    if conversation is None:
        conversation = Conversation(customer_id=customer_id, channels=[])
        session.add(conversation)
    channel = Channel(channel).value
    if channel not in conversation.channels:
        conversation.channels = [*conversation.channels, channel]
    conversation.updated_at = utcnow()
    session.flush()
    return conversation


def find_message(session: Session, channel: Channel | str, external_id: str) -> Message | None:
    return session.exec(
        select(Message).where(
            Message.channel == Channel(channel).value, Message.external_id == external_id
        )
    ).first()


def record_message(
    session: Session,
    conversation: Conversation,
    *,
    direction: Direction,
    channel: Channel | str,
    author: Author,
    text: str,
    subject: str | None = None,
    external_id: str | None = None,
    thread_id: str | None = None,
    sent_at: datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> Message:
    """Store one message on the conversation; a known `(channel, external_id)` raises."""
    channel = Channel(channel)
    if external_id is not None and (existing := find_message(session, channel, external_id)):
        raise DuplicateMessage(existing)
    message = Message(
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        direction=direction,
        channel=channel,
        author=author,
        text=text,
        subject=subject,
        external_id=external_id,
        thread_id=thread_id,
        sent_at=as_utc(sent_at) if sent_at else utcnow(),
        meta=meta or {},
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:  # a concurrent delivery of the same message won the race
        existing = find_message(session, channel, external_id or "")
        if existing is None:
            raise
        raise DuplicateMessage(existing) from None
    record_event(
        session,
        _MESSAGE_EVENTS[Direction(direction)],
        channel=channel.value,
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        payload={"message_id": message.id, "author": Author(author).value},
    )
    return message


def message_view(message: Message) -> dict[str, Any]:
    """A message as plain JSON-safe data (for agent state, packets and traces)."""
    return {
        "id": message.id,
        "channel": str(message.channel),
        "direction": str(message.direction),
        "author": str(message.author),
        "text": message.text,
        "subject": message.subject,
        "sent_at": as_utc(message.sent_at).isoformat(),
    }


def record_event(
    session: Session,
    kind: str,
    *,
    channel: str | None = None,
    customer_id: str | None = None,
    conversation_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    event = Event(
        kind=kind,
        channel=channel,
        customer_id=customer_id,
        conversation_id=conversation_id,
        payload=payload or {},
    )
    session.add(event)
    return event


@dataclass
class TimelinePage:
    messages: list[Message]
    next_cursor: str | None


def timeline(
    session: Session, customer_id: str, *, limit: int = 50, cursor: str | None = None
) -> TimelinePage:
    """Every message on every channel for the customer (after merges), oldest first.

    Keyset pagination on `(sent_at, id)`: pages stay stable while new messages arrive.
    """
    customer = canonical_customer(session, customer_id)
    if customer is None:
        return TimelinePage([], None)
    query = select(Message).where(Message.customer_id == customer.id)
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                col(Message.sent_at) > after_time,
                and_(col(Message.sent_at) == after_time, col(Message.id) > after_id),
            )
        )
    rows = list(
        session.exec(query.order_by(col(Message.sent_at), col(Message.id)).limit(limit + 1)).all()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1])
    return TimelinePage(rows, next_cursor)


def encode_cursor(message: Message) -> str:
    return encode_key(message.sent_at, message.id)


def encode_key(moment: datetime, record_id: str) -> str:
    """An opaque keyset cursor for `(moment, id)` ordering (`decode_cursor` reads it)."""
    raw = json.dumps([as_utc(moment).isoformat(), record_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def older_than(cursor: str, moment: Any, record_id: Any) -> Any:
    """The where-clause of a newest-first page after `cursor` (from `encode_key`) on the columns
    `moment` and `record_id`; raises `InvalidCursor` for a cursor this API did not hand out."""
    before_time, before_id = decode_cursor(cursor)
    return or_(moment < before_time, and_(moment == before_time, record_id < before_id))


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sent_at, message_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after_time, after_id = datetime.fromisoformat(sent_at), str(message_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc
    if "\x00" in after_id:  # no id has one, and PostgreSQL refuses NUL in a query
        raise InvalidCursor("cursor is not one this API returned")
    return after_time, after_id


def as_utc(moment: datetime) -> datetime:
    """Everything is stored in UTC; SQLite hands back naive datetimes, which are UTC."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def move_message(
    session: Session, message_id: str, conversation_id: str | None = None
) -> Conversation:
    """Move one message to another of its customer's conversations (a new one when None).

    Used when a message turns out to belong elsewhere: a new matter written into a case that a
    person has, or a follow-up to that case written into another conversation.
    """
    message = session.get(Message, message_id)
    if message is None:
        raise ValueError(f"no message {message_id}")
    target = session.get(Conversation, conversation_id) if conversation_id else None
    if target is None:
        target = Conversation(customer_id=message.customer_id, channels=[])
        session.add(target)
    if message.channel not in target.channels:
        target.channels = [*target.channels, Channel(message.channel).value]
    target.updated_at = utcnow()
    message.conversation_id = target.id
    session.flush()
    return target


def take_over(
    session: Session, case: Conversation, channel: Channel | str, payload: dict[str, Any]
) -> bool:
    """A person has the case now (they answered the customer): the agent adds the customer's
    messages to it instead of answering, until it is resolved or handed back. False when the
    case was not the agent's (already a person's, or resolved)."""
    if case.status != ConversationStatus.open:
        return False
    case.status = ConversationStatus.escalated
    case.updated_at = utcnow()
    record_event(
        session,
        "human_took_over",
        channel=Channel(channel).value,
        customer_id=case.customer_id,
        conversation_id=case.id,
        payload=payload,
    )
    return True
