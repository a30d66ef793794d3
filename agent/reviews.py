"""Reviewers' decisions on AI replies: approve, edit-and-approve, reject.

A decision is final: the first reviewer to decide a pending item wins (a conditional update, so
two reviewers deciding at once cannot both win) and everything it changes is recorded: who,
when, the text as written and as sent, the category and note.

- A held reply (stage `review`) or a draft (stage `draft`), approved or edited, is sent: the
  reply message becomes outbound with the final text, and the text goes to the outbox.
- A sampled reply (stage `autonomous`) was sent already: the decision judges it, and its
  numbers may demote the channel (`review_gate.check_demotion`).
- A rejected reply is not sent (or, for a sample, is followed up): the conversation is escalated
  to a person with a packet that says what the reviewer found.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from agent.escalation import EscalationPacket
from agent.escalation_delivery import EscalationNotifier
from agent.review_gate import check_demotion
from inbox.conversations import message_view, record_event
from inbox.models import (
    ApiKey,
    Conversation,
    ConversationStatus,
    Customer,
    Direction,
    Escalation,
    Event,
    Identity,
    IdentityKind,
    Message,
    OutboxMessage,
    Review,
    ReviewKind,
    ReviewStatus,
    new_id,
    utcnow,
)
from inbox.outbound_events import NO_EVENTS, EventSink, escalation_data, reply_data
from inbox.outbox import queue_reply
from tools.policy import StorePolicy

CATEGORIES = ("wrong_facts", "wrong_action", "privacy", "tone", "incomplete", "other")

_RECIPIENT_KINDS = {
    "email": (IdentityKind.email,),
    "sms": (IdentityKind.phone,),
    "voice": (IdentityKind.phone,),
    "whatsapp": (IdentityKind.whatsapp, IdentityKind.phone),
    "instagram": (IdentityKind.instagram,),
    "messenger": (IdentityKind.messenger,),
    "chat": (IdentityKind.chat_visitor, IdentityKind.email),
}


class ReviewNotFound(LookupError):
    pass


class AlreadyDecided(Exception):
    def __init__(self, review: Review) -> None:
        super().__init__(f"review {review.id} was already {review.status}")
        self.review = review


def decide(
    session: Session,
    policy: StorePolicy | None,
    review_id: str,
    status: ReviewStatus,
    key: ApiKey,
    *,
    text: str | None = None,
    category: str | None = None,
    note: str | None = None,
    notifier: EscalationNotifier | None = None,
    events: EventSink = NO_EVENTS,
) -> Review:
    """Decide a pending review and apply what the decision means; commits.

    Raises `ReviewNotFound`, or `AlreadyDecided` when another decision came first.
    """
    if status == ReviewStatus.pending:
        raise ValueError("a decision is approved, edited or rejected")
    review = session.get(Review, review_id)
    if review is None:
        raise ReviewNotFound(review_id)
    now = utcnow()
    claimed = session.execute(
        update(Review)
        .where(col(Review.id) == review_id, col(Review.status) == ReviewStatus.pending)
        .values(
            status=status,
            decided_at=now,
            decided_by=key.id,
            decided_by_name=key.name or key.prefix,
            category=category,
            note=note,
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        winner = session.get(Review, review_id)
        assert winner is not None
        session.refresh(winner)
        raise AlreadyDecided(winner)
    session.refresh(review)
    message = session.get(Message, review.message_id)
    assert message is not None
    final = text if status == ReviewStatus.edited else review.reply_text
    changes: dict[str, Any] = {"status": status.value}
    if status in (ReviewStatus.approved, ReviewStatus.edited):
        review.final_text = final
        if review.kind != ReviewKind.sample:
            _send(session, review, message, final or "")
            changes["sent"] = True
            events.emit(
                session,
                "message.replied",
                reply_data(message, outcome="replied", intent=review.intent, review_id=review.id),
                customer_id=review.customer_id,
                conversation_id=review.conversation_id,
            )
        if status == ReviewStatus.edited:
            changes["edited"] = {"from": review.reply_text, "to": final}
    else:
        review.escalation_id = _escalate(session, review, message, key, notifier, events)
        changes["escalation_id"] = review.escalation_id
    record_event(
        session,
        "review_decided",
        channel=review.channel,
        customer_id=review.customer_id,
        conversation_id=review.conversation_id,
        payload={
            "review_id": review.id,
            "kind": str(review.kind),
            "by_key": key.id,
            "category": category,
            **changes,
        },
    )
    if policy is not None:
        demoted = check_demotion(session, policy, review)
        if demoted is not None:
            record_event(
                session,
                "channel_demoted",
                channel=review.channel,
                payload={"review_id": review.id, "evidence": demoted},
            )
    session.commit()
    if notifier is not None and review.escalation_id:
        escalation = session.get(Escalation, review.escalation_id)
        if escalation is not None:
            notifier.notify(escalation.id, escalation.packet)
    session.refresh(review)
    return review


def _recipient(session: Session, review: Review, inbound: Message | None) -> str:
    channel = str(review.channel)
    kinds = _RECIPIENT_KINDS.get(channel, ())
    if review.customer_id:
        identities = session.exec(
            select(Identity).where(Identity.customer_id == review.customer_id)
        ).all()
        for kind in kinds:
            found = next((i.value for i in identities if i.kind == kind), None)
            if found:
                return found
    if inbound is not None and inbound.thread_id:
        return inbound.thread_id
    return review.customer_id or ""


def _send(session: Session, review: Review, message: Message, final: str) -> None:
    """The reply goes out: outbound with the final text, and a row in the outbox."""
    inbound = session.get(Message, review.inbound_message_id) if review.inbound_message_id else None
    message.direction = Direction.outbound
    message.text = final
    message.sent_at = utcnow()
    message.meta = {
        **message.meta,
        "held_for_review": False,
        "review": {"id": review.id, "status": str(review.status)},
        "parts": [final],
    }
    subject = None
    if str(review.channel) == "email":
        original = (inbound.subject if inbound else None) or ""
        subject = original if original.lower().startswith("re:") else f"Re: {original}".strip()
    row = queue_reply(session, inbound, message, review_id=review.id) if inbound else None
    if row is None:  # a helpdesk posted the message: the row tells it what to send
        row = OutboxMessage(
            customer_id=review.customer_id,
            conversation_id=review.conversation_id,
            message_id=message.id,
            channel=review.channel,
            recipient=_recipient(session, review, inbound),
            purpose="reply",
            subject=subject or None,
            body=final,
            review_id=review.id,
        )
        session.add(row)
        session.flush()
    review.outbox_id = row.id
    record_event(
        session,
        "reply_sent",
        channel=review.channel,
        customer_id=review.customer_id,
        conversation_id=review.conversation_id,
        payload={"message_id": message.id, "review_id": review.id, "outbox_id": row.id},
    )


def _escalate(
    session: Session,
    review: Review,
    message: Message,
    key: ApiKey,
    notifier: EscalationNotifier | None,
    events: EventSink,
) -> str:
    """A person takes the conversation over, told what the reviewer found."""
    customer = session.get(Customer, review.customer_id) if review.customer_id else None
    identities = (
        session.exec(select(Identity).where(Identity.customer_id == customer.id)).all()
        if customer
        else []
    )
    history = (
        session.exec(
            select(Message)
            .where(Message.customer_id == customer.id)
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
        if customer
        else []
    )
    actions = (
        [
            dict(e.payload)
            for e in session.exec(
                select(Event)
                .where(Event.customer_id == customer.id, Event.kind == "action_taken")
                .order_by(col(Event.id))
            ).all()
        ]
        if customer
        else []
    )
    category = review.category or "other"
    sent = review.kind == ReviewKind.sample
    words = (
        f"A reviewer rejected an AI reply on {review.channel!s} ({category})"
        + (", after it was sent" if sent else "; it was not sent")
        + (f": {review.note}" if review.note else ".")
    )
    critical = category in ("wrong_facts", "wrong_action", "privacy", "tone")
    packet = EscalationPacket(
        id=new_id("esc"),
        created_at=datetime.now(UTC),
        reason={"code": "review_rejected", "message": words},
        priority="high" if critical and sent else "normal",
        channel=str(review.channel),
        conversation_id=review.conversation_id,
        customer={
            "id": review.customer_id or "",
            "name": customer.name if customer else None,
            "identities": [
                {"kind": str(i.kind), "value": i.value, "verified": i.verified} for i in identities
            ],
            "shopify_customer_id": next(
                (i.value for i in identities if i.kind == IdentityKind.shopify), None
            ),
        },
        conversation=[message_view(m) for m in history],
        orders=list(review.context.get("orders") or []),
        actions=[
            {k: a.get(k) for k in ("tool", "args", "status", "detail", "reason")}
            for a in actions
            if a.get("tool") and a.get("status") in ("done", "refused", "failed")
        ],
        intent={"name": review.intent or "unknown", "confidence": float(review.confidence or 0)},
        sentiment={"frustration": 0.0, "flags": []},
        summary="\n".join(
            [
                words,
                f"The rejected reply: {review.reply_text[:500]}",
                f"Reviewer: {key.name or key.prefix}.",
            ]
        ),
        suggested_next_step=(
            "Follow up with the customer: the reply they got was wrong."
            if sent
            else "Answer the customer yourself; the AI's reply was held back."
        ),
        language=None,
    )
    body = packet.model_dump(mode="json")
    row = Escalation(
        id=packet.id,
        conversation_id=review.conversation_id,
        customer_id=review.customer_id or "",
        channel=review.channel,
        reason_code="review_rejected",
        priority=packet.priority,
        packet=body,
        webhook_status="pending" if notifier and notifier.enabled else "disabled",
    )
    session.add(row)
    conversation = session.get(Conversation, review.conversation_id)
    if conversation is not None:
        conversation.status = ConversationStatus.escalated
        conversation.updated_at = utcnow()
    message.meta = {**message.meta, "review": {"id": review.id, "status": "rejected"}}
    record_event(
        session,
        "escalated",
        channel=review.channel,
        customer_id=review.customer_id,
        conversation_id=review.conversation_id,
        payload={"escalation_id": packet.id, "reason": "review_rejected", "review_id": review.id},
    )
    events.emit(
        session,
        "escalation.created",
        escalation_data(row, packet=True),
        customer_id=review.customer_id,
        conversation_id=review.conversation_id,
    )
    session.flush()
    return packet.id
