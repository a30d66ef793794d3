"""The outbox: what Threadline sends on its own (reviewed replies, one-time codes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from api.deps import HelpdeskKey, SessionDep
from api.errors import KEYED, error_responses
from api.schemas import Moment
from inbox.models import Channel, OutboxMessage

router = APIRouter(prefix="/v1/outbox", tags=["outbox"])


class OutboxItem(BaseModel):
    id: str
    channel: Channel
    recipient: str
    purpose: str
    subject: str | None
    body: str
    review_id: str | None
    customer_id: str | None
    created_at: Moment
    sent_at: Moment | None


class OutboxPage(BaseModel):
    items: list[OutboxItem]


@router.get("", response_model=OutboxPage, responses=error_responses(*KEYED, 403, 422))
def list_outbox(
    session: SessionDep,
    _key: HelpdeskKey,
    purpose: Annotated[str | None, Query(max_length=40)] = None,
    channel: Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OutboxPage:
    """Newest first. One-time codes are listed without their body."""
    query = select(OutboxMessage)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    rows = session.exec(
        query.order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc()).limit(
            limit
        )
    ).all()
    return OutboxPage(
        items=[
            OutboxItem(
                id=r.id,
                channel=r.channel,
                recipient=r.recipient,
                purpose=r.purpose,
                subject=r.subject,
                body="(hidden)" if r.purpose == "verification_code" else r.body,
                review_id=r.review_id,
                customer_id=r.customer_id,
                created_at=r.created_at,
                sent_at=r.sent_at,
            )
            for r in rows
        ]
    )
