"""`GET /v1/traces/{id}`: how the agent handled one message, for the ops team."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReaderKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.schemas import RecordId, TraceOut
from inbox.models import Trace

router = APIRouter(
    prefix="/v1/traces", tags=["traces"], responses=error_responses(*KEYED, 404, 422)
)


@router.get("/{trace_id}", response_model=TraceOut)
def get_trace(trace_id: RecordId, session: SessionDep, _key: ReaderKey) -> TraceOut:
    row = session.get(Trace, trace_id)
    if row is None:
        raise ApiError(404, "not_found", "no such trace")
    return TraceOut(
        id=row.id,
        customer_id=row.customer_id,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        created_at=row.created_at,
        trace=row.data,
    )
