"""A customer's case: its status, the channels it touched, its messages, and a person's replies."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlmodel import Session, col, select

from api.deps import HelpdeskKey, ReaderKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.routes.customers import message_public
from api.schemas import (
    ConversationPublic,
    ConversationUpdate,
    HumanReplyIn,
    MessagePublic,
    RecordId,
)
from inbox.conversations import (
    DuplicateMessage,
    find_message,
    record_event,
    record_message,
    take_over,
)
from inbox.models import (
    Author,
    Conversation,
    ConversationStatus,
    Direction,
    Escalation,
    EscalationStatus,
    Message,
    utcnow,
)

router = APIRouter(
    prefix="/v1/conversations",
    tags=["conversations"],
    responses=error_responses(*KEYED, 404, 422),
)

REPLAY_HEADER = "Idempotent-Replay"


def conversation_public(session: Session, conversation: Conversation) -> ConversationPublic:
    messages = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(col(Message.sent_at), col(Message.id))
    ).all()
    return ConversationPublic(
        id=conversation.id,
        customer_id=conversation.customer_id,
        status=conversation.status,
        channels=conversation.channels,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        closed_at=conversation.closed_at,
        messages=[message_public(m) for m in messages],
    )


@router.get("/{conversation_id}", response_model=ConversationPublic)
def get_conversation(
    conversation_id: RecordId, session: SessionDep, _key: ReaderKey
) -> ConversationPublic:
    """The conversation with every message on every channel, both sides, oldest first."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, "not_found", "no such conversation")
    return conversation_public(session, conversation)


@router.post(
    "/{conversation_id}/messages",
    response_model=MessagePublic,
    status_code=201,
    responses={
        **error_responses(400, 403, 409, 413),
        200: {
            "model": MessagePublic,
            "description": "A repeat of an `external_id` already recorded: the recorded message, "
            "nothing new (`Idempotent-Replay: true`).",
            "headers": {
                REPLAY_HEADER: {
                    "description": "`true` on a repeat.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        },
    },
)
def record_human_reply(
    conversation_id: RecordId,
    body: HumanReplyIn,
    response: Response,
    session: SessionDep,
    key: HelpdeskKey,
) -> MessagePublic:
    """Record a reply a person sent the customer from the helpdesk, so the timeline and the
    escalation packet show both sides. A person answering takes the conversation over: until it
    is resolved (or handed back with `PATCH … {"status": "open"}`), the agent adds the
    customer's messages to the person's case instead of answering them itself. Nothing is sent
    to the customer: the helpdesk already did. Helpdesk and admin keys."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, "not_found", "no such conversation")
    if body.external_id:
        earlier = find_message(session, body.channel, body.external_id)
        if earlier is not None:
            return _replayed(earlier, conversation, response)
    meta = {
        "agent": {"name": body.author.name, "id": body.author.id},
        "by_key": key.id,
    }
    try:
        message = record_message(
            session,
            conversation,
            direction=Direction.outbound,
            channel=body.channel,
            author=Author.human,
            text=body.text,
            subject=body.subject,
            external_id=body.external_id,
            sent_at=body.sent_at,
            meta=meta,
        )
    except DuplicateMessage as duplicate:  # a concurrent repeat recorded it first
        session.rollback()
        return _replayed(duplicate.existing, conversation, response)
    if body.channel.value not in conversation.channels:
        conversation.channels = [*conversation.channels, body.channel.value]
    conversation.updated_at = utcnow()
    take_over(session, conversation, body.channel, {"message_id": message.id, "by_key": key.id})
    session.commit()
    return message_public(message)


def _replayed(earlier: Message, conversation: Conversation, response: Response) -> MessagePublic:
    if earlier.conversation_id != conversation.id or earlier.author != Author.human:
        raise ApiError(
            409,
            "conflict",
            "external_id already names another message on this channel",
        )
    response.status_code = 200
    response.headers[REPLAY_HEADER] = "true"
    return message_public(earlier)


@router.patch(
    "/{conversation_id}",
    response_model=ConversationPublic,
    responses=error_responses(400, 403, 409, 413),
)
def update_conversation(
    conversation_id: RecordId, body: ConversationUpdate, session: SessionDep, key: HelpdeskKey
) -> ConversationPublic:
    """Resolve a conversation (the customer's next message starts a new one) or hand it back to
    the agent (`open`). A conversation with an escalation still open is resolved through the
    escalation (`PATCH /v1/escalations/{id}`): 409 here. Helpdesk and admin keys."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, "not_found", "no such conversation")
    if conversation.status == body.status:
        return conversation_public(session, conversation)
    if conversation.status == ConversationStatus.resolved:
        raise ApiError(409, "conflict", "a resolved conversation cannot be reopened")
    case = session.exec(
        select(Escalation.id).where(
            Escalation.conversation_id == conversation.id,
            col(Escalation.status).in_([EscalationStatus.open, EscalationStatus.claimed]),
        )
    ).first()
    if case is not None:
        raise ApiError(
            409,
            "conflict",
            f"escalation {case} is still open on this conversation; resolve it instead",
        )
    now = utcnow()
    conversation.status = body.status
    conversation.updated_at = now
    if body.status == ConversationStatus.resolved:
        conversation.closed_at = now
    record_event(
        session,
        f"conversation_{body.status.value}",
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        payload={"by": "human", "by_key": key.id},
    )
    session.commit()
    return conversation_public(session, conversation)
