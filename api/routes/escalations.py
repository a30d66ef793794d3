"""Escalations for humans: the list, one packet, and the packet's published JSON Schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from agent.escalation import packet_schema
from api.deps import ReaderKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
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
        "created_at": row.created_at,
    }


@router.get(
    "/v1/escalations", response_model=EscalationPage, responses=error_responses(*KEYED, 422)
)
def list_escalations(
    session: SessionDep,
    _key: ReaderKey,
    status: EscalationStatus | None = None,
    channel: Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EscalationPage:
    """Newest first, optionally only one status and/or channel."""
    query = select(Escalation)
    if status is not None:
        query = query.where(Escalation.status == status)
    if channel is not None:
        query = query.where(Escalation.channel == channel)
    rows = session.exec(query.order_by(col(Escalation.created_at).desc()).limit(limit)).all()
    return EscalationPage(escalations=[EscalationSummary(**_summary(r)) for r in rows])


@router.get(
    "/v1/escalations/{escalation_id}",
    response_model=EscalationDetail,
    responses=error_responses(*KEYED, 404, 422),
)
def get_escalation(
    escalation_id: RecordId, session: SessionDep, _key: ReaderKey
) -> EscalationDetail:
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
    escalation_id: RecordId, body: EscalationUpdate, session: SessionDep, key: ReaderKey
) -> EscalationDetail:
    """Claim or resolve a case. Resolving closes the conversation: the customer's next message
    starts a new one, which the agent answers again."""
    row = session.get(Escalation, escalation_id)
    if row is None:
        raise ApiError(404, "not_found", "no such escalation")
    if row.status == EscalationStatus.resolved and body.status != EscalationStatus.resolved:
        raise ApiError(409, "conflict", "a resolved escalation cannot be reopened")
    row.status = body.status
    if body.status == EscalationStatus.resolved:
        conversation = session.get(Conversation, row.conversation_id)
        if conversation is not None and conversation.status != ConversationStatus.resolved:
            conversation.status = ConversationStatus.resolved
            conversation.closed_at = utcnow()
    record_event(
        session,
        f"escalation_{body.status.value}",
        channel=row.channel,
        customer_id=row.customer_id,
        conversation_id=row.conversation_id,
        payload={"escalation_id": row.id, "by_key": key.id},
    )
    session.commit()
    return EscalationDetail(**_summary(row), packet=row.packet)


@router.get("/v1/schemas/escalation-packet")
def escalation_packet_schema() -> dict[str, Any]:
    """The JSON Schema of the escalation packet (public: integrators code against it)."""
    return packet_schema()
