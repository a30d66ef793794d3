"""Customers, their identities across channels, and their cross-channel timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from api.deps import ReaderKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.schemas import CustomerPublic, IdentityPublic, MessagePublic, RecordId, TimelinePublic
from inbox.conversations import InvalidCursor, timeline
from inbox.identity import canonical_customer
from inbox.models import Customer, Identity, Message

router = APIRouter(
    prefix="/v1/customers", tags=["customers"], responses=error_responses(*KEYED, 404, 422)
)


def message_public(message: Message) -> MessagePublic:
    return MessagePublic(
        id=message.id,
        conversation_id=message.conversation_id,
        direction=message.direction,
        channel=message.channel,
        author=message.author,
        text=message.text,
        subject=message.subject,
        external_id=message.external_id,
        thread_id=message.thread_id,
        sent_at=message.sent_at,
        metadata=message.meta,
    )


@router.get("/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: RecordId, session: SessionDep, _key: ReaderKey) -> CustomerPublic:
    """A customer with every identifier known for them; a merged id answers with the survivor."""
    customer = canonical_customer(session, customer_id)
    if customer is None:
        raise ApiError(404, "not_found", "no such customer")
    identities = session.exec(
        select(Identity)
        .where(Identity.customer_id == customer.id)
        .order_by(col(Identity.created_at), col(Identity.id))
    ).all()
    merged = session.exec(select(Customer.id).where(Customer.merged_into_id == customer.id)).all()
    return CustomerPublic(
        id=customer.id,
        name=customer.name,
        identities=[
            IdentityPublic(kind=i.kind, value=i.value, verified=i.verified, created_at=i.created_at)
            for i in identities
        ],
        merged_ids=sorted(merged),
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


@router.get(
    "/{customer_id}/timeline", response_model=TimelinePublic, responses=error_responses(400)
)
def get_timeline(
    customer_id: RecordId,
    session: SessionDep,
    _key: ReaderKey,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> TimelinePublic:
    """Every message on every channel, oldest first, `limit` at a time."""
    customer = canonical_customer(session, customer_id)
    if customer is None:
        raise ApiError(404, "not_found", "no such customer")
    try:
        page = timeline(session, customer.id, limit=limit, cursor=cursor)
    except InvalidCursor as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from exc
    return TimelinePublic(
        customer_id=customer.id,
        messages=[message_public(m) for m in page.messages],
        next_cursor=page.next_cursor,
    )
