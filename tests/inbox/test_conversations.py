from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from inbox.conversations import (
    DuplicateMessage,
    InvalidCursor,
    current_conversation,
    record_message,
    timeline,
)
from inbox.identity import IdentityClaim, resolve_customer
from inbox.models import Author, ConversationStatus, Direction, Event, Message

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_one_open_case_collects_every_channel(session: Session) -> None:
    customer = resolve_customer(
        session, [IdentityClaim.of("email", "a@x.io", verified=True)]
    ).customer
    first = current_conversation(session, customer.id, "instagram")
    second = current_conversation(session, customer.id, "email")
    assert second.id == first.id
    assert second.channels == ["instagram", "email"]
    first.status = ConversationStatus.resolved
    session.flush()
    fresh = current_conversation(session, customer.id, "chat")
    assert fresh.id != first.id and fresh.channels == ["chat"]


def test_a_redelivered_message_is_refused_and_not_stored_twice(session: Session) -> None:
    customer = resolve_customer(
        session, [IdentityClaim.of("phone", "+14155550100", verified=True)]
    ).customer
    conversation = current_conversation(session, customer.id, "sms")
    kwargs = dict(direction=Direction.inbound, channel="sms", author=Author.customer, text="hi")
    original = record_message(session, conversation, external_id="SM1", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DuplicateMessage) as caught:
        record_message(session, conversation, external_id="SM1", **kwargs)  # type: ignore[arg-type]
    assert caught.value.existing.id == original.id
    # The same id on another channel is another message.
    record_message(
        session,
        current_conversation(session, customer.id, "whatsapp"),
        external_id="SM1",
        **{**kwargs, "channel": "whatsapp"},
    )  # type: ignore[arg-type]
    assert len(session.exec(select(Message)).all()) == 2
    kinds = [e.kind for e in session.exec(select(Event)).all()]
    assert kinds.count("message_received") == 2


def test_timeline_orders_by_time_across_channels_and_pages_stably(session: Session) -> None:
    customer = resolve_customer(
        session, [IdentityClaim.of("email", "t@x.io", verified=True)]
    ).customer
    conversation = current_conversation(session, customer.id, "email")
    plan = [
        ("instagram", T0, "hoodie arrived torn"),
        ("email", T0 + timedelta(hours=2), "following up by email"),
        # written in another zone: 11:30 at +02:00 is 09:30 UTC, between the two above
        ("sms", datetime(2026, 11, 20, 11, 30, tzinfo=timezone(timedelta(hours=2))), "sms ping"),
        ("email", T0 + timedelta(hours=3), "any news?"),
        ("instagram", T0 + timedelta(hours=3), "same minute, other channel"),
    ]
    for channel, when, text in plan:
        record_message(
            session,
            conversation,
            direction=Direction.inbound,
            channel=channel,
            author=Author.customer,
            text=text,
            sent_at=when,
        )
    expected = ["hoodie arrived torn", "sms ping", "following up by email"]
    page = timeline(session, customer.id, limit=3)
    assert [m.text for m in page.messages] == expected
    assert page.next_cursor
    rest = timeline(session, customer.id, limit=3, cursor=page.next_cursor)
    assert sorted(m.text for m in rest.messages) == ["any news?", "same minute, other channel"]
    assert rest.next_cursor is None
    with pytest.raises(InvalidCursor):
        timeline(session, customer.id, cursor="garbage!")
