"""The outbox: everything Threadline sends itself (replies to channel messages, reviewed replies,
one-time codes, shipping updates), with each row's delivery state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlmodel import col, select

from api.deps import HelpdeskKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.pagination import newest_first
from api.schemas import Moment, RecordId
from inbox.models import Channel, OutboxMessage, OutboxStatus, utcnow

router = APIRouter(prefix="/v1/outbox", tags=["outbox"])

HIDDEN = "(hidden)"


class OutboxItem(BaseModel):
    id: str
    channel: Channel
    recipient: str
    purpose: str = Field(
        description="`reply`, `handoff`, `verification_code`, `shipping_update`, `help`, …"
    )
    subject: str | None
    body: str = Field(description="What is sent; a one-time code's body is hidden.")
    status: OutboxStatus
    provider: str | None = Field(
        description="The adapter that sends it (`email`, `twilio`, `meta`, `whatsapp`, "
        "`chatwoot`, `twiml` for a voice answer); null: the calling helpdesk sends it."
    )
    attempts: int
    last_error: str | None
    next_attempt_at: Moment | None = Field(description="When the next attempt is due.")
    provider_message_id: str | None
    headers: dict[str, Any] = Field(description="Email threading headers.")
    parts: list[str] = Field(description="An SMS split into parts, in order (else empty).")
    review_id: str | None
    customer_id: str | None
    conversation_id: str | None
    message_id: str | None
    created_at: Moment
    sent_at: Moment | None


class OutboxPage(BaseModel):
    items: list[OutboxItem]
    next_cursor: str | None = None


def outbox_item(row: OutboxMessage) -> OutboxItem:
    due = row.status in (OutboxStatus.pending, OutboxStatus.failed)
    return OutboxItem(
        id=row.id,
        channel=row.channel,
        recipient=row.recipient,
        purpose=row.purpose,
        subject=row.subject,
        body=HIDDEN if row.purpose == "verification_code" else row.body,
        status=row.status,
        provider=row.provider,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at if due and row.provider else None,
        provider_message_id=row.provider_message_id,
        headers=dict(row.headers or {}),
        parts=[str(p) for p in (row.meta or {}).get("parts") or []],
        review_id=row.review_id,
        customer_id=row.customer_id,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


@router.get("", response_model=OutboxPage, responses=error_responses(*KEYED, 400, 403, 422))
def list_outbox(
    session: SessionDep,
    _key: HelpdeskKey,
    purpose: Annotated[str | None, Query(max_length=40)] = None,
    channel: Channel | None = None,
    status: OutboxStatus | None = None,
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> OutboxPage:
    """Newest first: each row's recipient, body and delivery (`pending`, `sent`, `failed` with
    the next retry's time, `dead` after the last attempt, `needs_template` for WhatsApp outside
    its 24-hour window, `superseded` for a waiting shipping update a later one replaced).
    One-time codes are listed without their body."""
    query = select(OutboxMessage)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if customer_id:
        query = query.where(OutboxMessage.customer_id == customer_id)
    rows, next_cursor = newest_first(session, query, OutboxMessage, cursor, limit)
    return OutboxPage(items=[outbox_item(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/{outbox_id}/retry",
    response_model=OutboxItem,
    responses=error_responses(*KEYED, 403, 404, 409, 422),
)
def retry_outbox(outbox_id: RecordId, session: SessionDep, _key: HelpdeskKey) -> OutboxItem:
    """Send a `dead` (or `needs_template`) row again: its attempts start over, due now."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise ApiError(404, "not_found", "no such outbox message")
    if row.status not in (OutboxStatus.dead, OutboxStatus.needs_template) or not row.provider:
        raise ApiError(
            409,
            "not_retryable",
            f"only a dead or needs_template row with a provider is retried; this one is "
            f"{row.status}",
        )
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row.id)
        .values(status=OutboxStatus.pending, attempts=0, next_attempt_at=utcnow(), last_error=None)
    )
    session.commit()
    session.refresh(row)
    return outbox_item(row)
