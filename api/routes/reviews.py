"""The reviewer API: the queue of AI replies held, drafted or sampled for review, one item with
everything the reply was built from, and the decisions (approve, edit-and-approve, reject)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from agent.review_gate import RISKS
from agent.reviews import CATEGORIES, AlreadyDecided, ReviewNotFound, decide
from api.deps import ReviewerKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.schemas import Moment, RecordId, ReviewApprove, ReviewCategory, ReviewEdit, ReviewReject
from inbox.conversations import as_utc, message_view
from inbox.models import (
    ApiKey,
    Channel,
    Customer,
    Message,
    Review,
    ReviewKind,
    ReviewStatus,
    Trace,
    utcnow,
)

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


class Risk(StrEnum):
    """Why a reply goes to reviewers whatever its stage (`agent.review_gate.RISKS`)."""

    money_moved = "money_moved"
    low_confidence = "low_confidence"
    first_on_channel = "first_on_channel"
    identity_conflict = "identity_conflict"


assert tuple(r.value for r in Risk) == RISKS


assert tuple(c.value for c in ReviewCategory) == CATEGORIES


class ReviewSummary(BaseModel):
    id: str
    status: ReviewStatus
    kind: ReviewKind
    held: bool
    channel: Channel
    intent: str | None
    confidence: float | None
    risks: list[str]
    customer_id: str | None
    customer_name: str | None
    conversation_id: str
    preview: str = Field(description="The first 160 characters of the AI reply.")
    created_at: Moment
    decided_at: Moment | None


class ReviewPage(BaseModel):
    items: list[ReviewSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class Decision(BaseModel):
    status: ReviewStatus
    by: str | None
    at: Moment | None
    final_text: str | None
    category: str | None
    note: str | None
    escalation_id: str | None
    outbox_id: str | None


class ReviewDetail(ReviewSummary):
    reply: dict[str, Any] = Field(description="`text` (as the AI wrote it) and `parts`.")
    customer_message: dict[str, Any] | None
    conversation: list[dict[str, Any]] = Field(description="Every channel, oldest first.")
    orders: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    decision: Decision | None
    trace_id: str | None


def _names(session: Session, rows: list[Review]) -> dict[str, str | None]:
    ids = {r.customer_id for r in rows if r.customer_id}
    if not ids:
        return {}
    customers = session.exec(select(Customer).where(col(Customer.id).in_(ids))).all()
    return {c.id: c.name for c in customers}


def _summary(row: Review, name: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "kind": row.kind,
        "held": row.held,
        "channel": row.channel,
        "intent": row.intent,
        "confidence": row.confidence,
        "risks": list(row.risks or []),
        "customer_id": row.customer_id,
        "customer_name": name,
        "conversation_id": row.conversation_id,
        "preview": row.reply_text[:160],
        "created_at": as_utc(row.created_at),
        "decided_at": as_utc(row.decided_at) if row.decided_at else None,
    }


def _cursor(row: Review) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, rid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(stamp), str(rid)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "bad_request", "the cursor is not one this API gave out") from exc


@router.get("", response_model=ReviewPage, responses=error_responses(*KEYED, 400, 403, 422))
def list_reviews(
    session: SessionDep,
    _key: ReviewerKey,
    status: ReviewStatus = ReviewStatus.pending,
    kind: ReviewKind | None = None,
    channel: Channel | None = None,
    intent: Annotated[str | None, Query(max_length=50)] = None,
    risk: Risk | None = None,
    older_than: Annotated[int | None, Query(ge=0, description="minutes")] = None,
    newer_than: Annotated[int | None, Query(ge=0, description="minutes")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ReviewPage:
    """Oldest first (the queue's order), one status (default `pending`)."""
    query = select(Review).where(Review.status == status)
    if kind is not None:
        query = query.where(Review.kind == kind)
    if channel is not None:
        query = query.where(Review.channel == channel)
    if intent:
        query = query.where(Review.intent == intent)
    now = utcnow()
    if older_than is not None:
        query = query.where(col(Review.created_at) <= now - timedelta(minutes=older_than))
    if newer_than is not None:
        query = query.where(col(Review.created_at) >= now - timedelta(minutes=newer_than))
    if cursor:
        stamp, rid = _after(cursor)
        query = query.where(
            (col(Review.created_at) > stamp)
            | ((col(Review.created_at) == stamp) & (col(Review.id) > rid))
        )
    query = query.order_by(col(Review.created_at), col(Review.id))
    if risk is None:
        rows = list(session.exec(query.limit(limit + 1)).all())
    else:  # risks are a JSON list: filtered here, portable across SQLite and PostgreSQL
        rows = [r for r in session.exec(query).all() if risk.value in (r.risks or [])][: limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    names = _names(session, rows)
    return ReviewPage(
        items=[ReviewSummary(**_summary(r, names.get(r.customer_id or ""))) for r in rows],
        next_cursor=_cursor(rows[-1]) if more and rows else None,
    )


def _detail(session: Session, row: Review) -> ReviewDetail:
    names = _names(session, [row])
    reply = session.get(Message, row.message_id)
    inbound = session.get(Message, row.inbound_message_id) if row.inbound_message_id else None
    history = (
        session.exec(
            select(Message)
            .where(Message.customer_id == row.customer_id)
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
        if row.customer_id
        else []
    )
    trace_id = None
    if row.inbound_message_id:
        trace_id = session.exec(
            select(Trace.id).where(Trace.message_id == row.inbound_message_id)
        ).first()
    decision = None
    if row.status != ReviewStatus.pending:
        decision = Decision(
            status=row.status,
            by=row.decided_by_name or row.decided_by,
            at=as_utc(row.decided_at) if row.decided_at else None,
            final_text=row.final_text,
            category=row.category,
            note=row.note,
            escalation_id=row.escalation_id,
            outbox_id=row.outbox_id,
        )
    context = row.context or {}
    parts = (reply.meta.get("parts") if reply else None) or [row.reply_text]
    return ReviewDetail(
        **_summary(row, names.get(row.customer_id or "")),
        reply={"text": row.reply_text, "parts": parts},
        customer_message=(
            {
                "id": inbound.id,
                "channel": inbound.channel,
                "text": inbound.text,
                "subject": inbound.subject,
                "sent_at": as_utc(inbound.sent_at),
            }
            if inbound
            else None
        ),
        conversation=[message_view(m) for m in history],
        orders=list(context.get("orders") or []),
        sources=list(context.get("sources") or []),
        actions=list(context.get("actions") or []),
        decision=decision,
        trace_id=trace_id,
    )


@router.get(
    "/{review_id}", response_model=ReviewDetail, responses=error_responses(*KEYED, 403, 404, 422)
)
def get_review(review_id: RecordId, session: SessionDep, _key: ReviewerKey) -> ReviewDetail:
    row = session.get(Review, review_id)
    if row is None:
        raise ApiError(404, "not_found", "no such review")
    return _detail(session, row)


def _decide(
    request: Request,
    session: Session,
    review_id: str,
    status: ReviewStatus,
    key: ApiKey,
    **fields: Any,
) -> ReviewDetail:
    runtime = getattr(request.app.state, "store", None)
    policy = runtime.services.policy if runtime is not None else None
    notifier = runtime.services.notifier if runtime is not None else None
    try:
        row = decide(
            session,
            policy,
            review_id,
            status,
            key,
            notifier=notifier,
            events=request.app.state.events,
            **fields,
        )
    except ReviewNotFound:
        raise ApiError(404, "not_found", "no such review") from None
    except AlreadyDecided as taken:
        raise ApiError(
            409,
            "already_decided",
            f"this review was already decided ({taken.review.status!s}) by "
            f"{taken.review.decided_by_name or 'another reviewer'}",
        ) from None
    return _detail(session, row)


DECIDE_ERRORS = error_responses(*KEYED, 400, 403, 404, 409, 413, 422)


@router.post("/{review_id}/approve", response_model=ReviewDetail, responses=DECIDE_ERRORS)
def approve_review(
    review_id: RecordId,
    request: Request,
    session: SessionDep,
    key: ReviewerKey,
    body: ReviewApprove,
) -> ReviewDetail:
    """Approve unchanged: a held reply or draft is sent as the AI wrote it."""
    return _decide(request, session, review_id, ReviewStatus.approved, key, note=body.note)


@router.post("/{review_id}/edit", response_model=ReviewDetail, responses=DECIDE_ERRORS)
def edit_review(
    review_id: RecordId, request: Request, session: SessionDep, key: ReviewerKey, body: ReviewEdit
) -> ReviewDetail:
    """Edit and approve: the edited text is what is sent."""
    return _decide(
        request,
        session,
        review_id,
        ReviewStatus.edited,
        key,
        text=body.text,
        category=body.category.value if body.category else None,
        note=body.note,
    )


@router.post("/{review_id}/reject", response_model=ReviewDetail, responses=DECIDE_ERRORS)
def reject_review(
    review_id: RecordId, request: Request, session: SessionDep, key: ReviewerKey, body: ReviewReject
) -> ReviewDetail:
    """Reject: the reply is not sent and a person takes the conversation over (an escalation)."""
    return _decide(
        request,
        session,
        review_id,
        ReviewStatus.rejected,
        key,
        category=body.category.value,
        note=body.note,
    )
