"""The event webhook's delivery log, and redelivering an event that failed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import select

from api.deps import HelpdeskKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.pagination import newest_first
from api.schemas import EventDeliveryPage, EventDeliveryPublic, RecordId
from inbox.conversations import record_event
from inbox.models import EventStatus, OutboundEvent, utcnow
from inbox.outbound_events import EventType

router = APIRouter(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    responses=error_responses(*KEYED, 403, 422),
)


def delivery_public(row: OutboundEvent) -> EventDeliveryPublic:
    return EventDeliveryPublic(
        id=row.id,
        type=row.type,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        customer_id=row.customer_id,
        conversation_id=row.conversation_id,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at if row.status == EventStatus.pending else None,
        delivered_at=row.delivered_at,
    )


@router.get("/deliveries", response_model=EventDeliveryPage, responses=error_responses(400))
def list_deliveries(
    session: SessionDep,
    _key: HelpdeskKey,
    status: EventStatus | None = None,
    type: EventType | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> EventDeliveryPage:
    """Every event written for the webhook, newest first, with its delivery: `pending` (with
    the next retry's time), `delivered`, or `failed` after the last attempt (with the receiver's
    last status or the network error)."""
    query = select(OutboundEvent)
    if status is not None:
        query = query.where(OutboundEvent.status == status)
    if type is not None:
        query = query.where(OutboundEvent.type == type.value)
    rows, next_cursor = newest_first(session, query, OutboundEvent, cursor, limit)
    return EventDeliveryPage(deliveries=[delivery_public(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/deliveries/{event_id}/retry",
    response_model=EventDeliveryPublic,
    responses=error_responses(404, 409),
)
def retry_delivery(
    event_id: RecordId, session: SessionDep, key: HelpdeskKey
) -> EventDeliveryPublic:
    """Send a `failed` event again (with fresh attempts), e.g. after the receiver was fixed."""
    row = session.get(OutboundEvent, event_id)
    if row is None:
        raise ApiError(404, "not_found", "no such event")
    if row.status != EventStatus.failed:
        raise ApiError(
            409, "conflict", f"only a failed event can be retried (this one is {row.status!s})"
        )
    row.status = EventStatus.pending
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.lease_until = None
    record_event(session, "event_retry", payload={"event_id": row.id, "by_key": key.id})
    session.commit()
    return delivery_public(row)
