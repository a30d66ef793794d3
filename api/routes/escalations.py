"""Escalations for humans: the list, one packet, claiming and resolving, and the packet's schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import select

from agent.escalation import packet_schema
from api.deps import EventsDep, ReaderKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.pagination import newest_first
from api.schemas import (
    EscalationDetail,
    EscalationPage,
    EscalationSummary,
    EscalationUpdate,
    RecordId,
)
from inbox.conversations import record_event
from inbox.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationStatus,
    utcnow,
)
from inbox.outbound_events import escalation_data

router = APIRouter(tags=["escalations"])


def _summary(row: Escalation) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "channel": row.channel,
        "reason": row.reason_code,
        "priority": row.priority,
        "customer_id": row.customer_id,
        "conversation_id": row.conversation_id,
        "webhook_status": row.webhook_status,
        "assignee": row.assignee,
        "claimed_at": row.claimed_at,
        "resolved_at": row.resolved_at,
        "resolved_by": row.resolved_by_name,
        "created_at": row.created_at,
    }


@router.get(
    "/v1/escalations",
    response_model=EscalationPage,
    responses=error_responses(*KEYED, 400, 422),
)
def list_escalations(
    session: SessionDep,
    _key: ReaderKey,
    status: EscalationStatus | None = None,
    channel: Channel | None = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> EscalationPage:
    """Newest first, `limit` at a time (`next_cursor` for the next page), optionally only one
    status, channel and/or assignee."""
    query = select(Escalation)
    if status is not None:
        query = query.where(Escalation.status == status)
    if channel is not None:
        query = query.where(Escalation.channel == channel)
    if assignee is not None:
        query = query.where(Escalation.assignee == assignee.replace("\x00", ""))
    rows, next_cursor = newest_first(session, query, Escalation, cursor, limit)
    return EscalationPage(
        escalations=[EscalationSummary(**_summary(r)) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/v1/escalations/{escalation_id}",
    response_model=EscalationDetail,
    responses=error_responses(*KEYED, 404, 422),
)
def get_escalation(
    escalation_id: RecordId, session: SessionDep, _key: ReaderKey
) -> EscalationDetail:
    """One escalation with its packet."""
    row = session.get(Escalation, escalation_id)
    if row is None:
        raise ApiError(404, "not_found", "no such escalation")
    return EscalationDetail(**_summary(row), packet=row.packet)


@router.patch(
    "/v1/escalations/{escalation_id}",
    response_model=EscalationDetail,
    responses=error_responses(*KEYED, 400, 404, 409, 413, 422),
)
def update_escalation(
    escalation_id: RecordId,
    body: EscalationUpdate,
    session: SessionDep,
    key: ReaderKey,
    events: EventsDep,
) -> EscalationDetail:
    """Claim or resolve a case, recording who (`assignee`, default the key's name). Resolving
    closes the conversation: the customer's next message starts a new one, which the agent
    answers again. A resolved case cannot be reopened (409)."""
    row = session.get(Escalation, escalation_id)
    if row is None:
        raise ApiError(404, "not_found", "no such escalation")
    if row.status == EscalationStatus.resolved:
        if body.status == EscalationStatus.resolved:
            return EscalationDetail(**_summary(row), packet=row.packet)  # already done
        raise ApiError(409, "conflict", "a resolved escalation cannot be reopened")
    who = body.assignee or key.name or key.prefix
    now = utcnow()
    previous = row.status
    row.status = body.status
    if body.status == EscalationStatus.claimed:
        row.assignee = who
        row.claimed_at = now
        row.claimed_by = key.id
    elif body.status == EscalationStatus.resolved:
        row.assignee = row.assignee or who
        row.resolved_at = now
        row.resolved_by = key.id
        row.resolved_by_name = who
        conversation = session.get(Conversation, row.conversation_id)
        if conversation is not None and conversation.status != ConversationStatus.resolved:
            conversation.status = ConversationStatus.resolved
            conversation.closed_at = now
    elif body.assignee:  # back to open, handed to someone named
        row.assignee = body.assignee
    record_event(
        session,
        f"escalation_{body.status.value}",
        channel=row.channel,
        customer_id=row.customer_id,
        conversation_id=row.conversation_id,
        payload={"escalation_id": row.id, "by_key": key.id, "assignee": row.assignee},
    )
    if body.status != previous and body.status != EscalationStatus.open:
        events.emit(
            session,
            f"escalation.{body.status.value}",
            escalation_data(row),
            customer_id=row.customer_id,
            conversation_id=row.conversation_id,
        )
    session.commit()
    return EscalationDetail(**_summary(row), packet=row.packet)


@router.get("/v1/schemas/escalation-packet")
def escalation_packet_schema() -> dict[str, Any]:
    """The JSON Schema of the escalation packet (public: integrators code against it)."""
    return packet_schema()
