"""A customer's case: its status, the channels it touched, and its messages."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import col, select

from api.deps import ReaderKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.routes.customers import message_public
from api.schemas import ConversationPublic, RecordId
from inbox.models import Conversation, Message

router = APIRouter(
    prefix="/v1/conversations",
    tags=["conversations"],
    responses=error_responses(*KEYED, 404, 422),
)


@router.get("/{conversation_id}", response_model=ConversationPublic)
def get_conversation(
    conversation_id: RecordId, session: SessionDep, _key: ReaderKey
) -> ConversationPublic:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, "not_found", "no such conversation")
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
