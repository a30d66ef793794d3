"""Queueing what Threadline sends itself: rows in the outbox, written in the transaction of the
change that causes them (so a crash loses neither), delivered later by the outbox worker.

A message that came in on a channel webhook carries its **origin** in its `meta["origin"]`:
which provider delivered it and everything a reply needs to go back the same way: who to
(`reply_to`), from which of the store's numbers, pages or addresses (`from`), and for email the
threading headers the reply must carry (`reply`: `subject`, `in_reply_to`, `references`, and the
`domain` of the store's address for the reply's own Message-ID). A message posted by a helpdesk
has no origin: the helpdesk sends the reply it gets in the response, so nothing is queued for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from inbox.mail_threading import new_message_id, reply_headers
from inbox.models import Channel, Message, OutboxMessage, OutboxStatus

ORIGIN_KEY = "origin"
AFTER = "after"
"""A row's `meta` key naming the outbox row that must be sent (or be dead) before it."""
INLINE_PROVIDERS = frozenset({"twiml"})
"""Providers whose answer goes back in the webhook's own response (a voice call's TwiML)."""


def origin_of(message: Message | None) -> dict[str, Any] | None:
    """The channel webhook a message came in on, or None (a helpdesk posted it)."""
    if message is None:
        return None
    origin = message.meta.get(ORIGIN_KEY)
    return dict(origin) if isinstance(origin, dict) and origin.get("provider") else None


def queue(session: Session, row: OutboxMessage) -> OutboxMessage:
    """Add `row` unless a row with its `dedupe_key` exists (then that one is returned)."""
    if row.dedupe_key:
        existing = session.exec(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == row.dedupe_key)
        ).first()
        if existing is not None:
            return existing
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.exec(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == row.dedupe_key)
        ).first()
        if existing is None:
            raise
        return existing
    return row


def queue_reply(
    session: Session,
    inbound: Message,
    reply: Message,
    *,
    parts: list[str] | None = None,
    purpose: str = "reply",
    review_id: str | None = None,
) -> OutboxMessage | None:
    """Queue `reply` (an outbound message answering `inbound`) back the way `inbound` came;
    None when a helpdesk posted `inbound` or there is nothing to say. A reply queued before
    (a turn cut short and run again) is rewritten while it is still unsent."""
    origin = origin_of(inbound)
    if origin is None or not reply.text.strip():
        return None
    provider = str(origin["provider"])
    headers: dict[str, Any] = {}
    subject = None
    if reply.channel == Channel.email:
        threading = origin.get("reply") or {}
        subject = threading.get("subject") or None
        headers = email_reply_headers(threading)
    meta = {
        key: origin[key]
        for key in ("from", "account_id", "conversation_id", "page_id", "phone_number_id")
        if origin.get(key) is not None
    }
    if parts and len(parts) > 1:
        meta["parts"] = list(parts)
    key = f"reply:{reply.id}"
    earlier = session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).first()
    if earlier is not None:
        if earlier.status in (OutboxStatus.pending, OutboxStatus.failed):
            earlier.body = reply.text
            earlier.meta = {**earlier.meta, **meta}
            session.add(earlier)
        return earlier
    inline = provider in INLINE_PROVIDERS
    channel, body = reply.channel, reply.text
    if inline and review_id is not None:
        # Approved after the call it answers has ended: nothing can say it any more, so it
        # follows up by text to the number that called, from the number it called.
        inline, provider, channel = False, "twilio", Channel.sms
        body = f"Following up on your call: {reply.text}"
    return queue(
        session,
        OutboxMessage(
            customer_id=reply.customer_id,
            conversation_id=reply.conversation_id,
            message_id=reply.id,
            channel=channel,
            provider=provider,
            recipient=str(origin.get("reply_to") or ""),
            purpose=purpose,
            review_id=review_id,
            subject=subject,
            body=body,
            headers=headers,
            meta=meta,
            dedupe_key=key,
            status=OutboxStatus.sent if inline else OutboxStatus.pending,
            sent_at=reply.sent_at if inline else None,
        ),
    )


def email_reply_headers(threading: dict[str, Any]) -> dict[str, str]:
    """A reply's own Message-ID and the In-Reply-To/References that thread it under the
    customer's message."""
    domain = str(threading.get("domain") or "threadline.invalid")
    try:
        own = new_message_id(domain)
    except ValueError:  # an odd address on the store's side must not stop the reply
        own = new_message_id("threadline.invalid")
    return reply_headers(
        message_id=threading.get("in_reply_to"),
        references=[str(r) for r in threading.get("references") or [] if r],
        own_id=own,
    )


def queue_handoff(
    session: Session, inbound: Message, escalation_id: str, summary: str, *, after: str | None
) -> None:
    """A conversation escalated where a helpdesk of its own holds it (Chatwoot): the packet's
    summary as a private note for the team, then the conversation handed to a person there; in
    that order, after the holding reply (`after`, its outbox row), even when one is retried."""
    origin = origin_of(inbound)
    if origin is None or origin.get("provider") != "chatwoot":
        return
    for action, body in (("note", summary), ("open", "")):
        row = queue(
            session,
            OutboxMessage(
                customer_id=inbound.customer_id,
                conversation_id=inbound.conversation_id,
                channel=inbound.channel,
                provider="chatwoot",
                recipient=str(origin.get("reply_to") or ""),
                purpose="handoff",
                body=body,
                meta={
                    "action": action,
                    "escalation_id": escalation_id,
                    **({AFTER: after} if after else {}),
                    **{k: origin[k] for k in ("account_id", "conversation_id") if k in origin},
                },
                dedupe_key=f"handoff:{escalation_id}:{action}",
            ),
        )
        after = row.id
