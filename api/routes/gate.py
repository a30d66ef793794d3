"""The review gate over HTTP: every channel's numbers and stage; promotion and demotion."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from agent.review_gate import GateRefused, demote, gate_status, promote
from api.deps import AdminKey, ReviewerKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.schemas import GateDemote, GatePromote, Moment
from inbox.models import Channel, utcnow
from tools.policy import StorePolicy

router = APIRouter(prefix="/v1/gate", tags=["gate"])


class GateEventOut(BaseModel):
    action: str = Field(description="promoted | demoted | auto_demoted")
    intent: str | None
    from_stage: str
    to_stage: str
    actor: str
    reason: str
    evidence: dict[str, Any]
    occurred_at: Moment


class IntentGate(BaseModel):
    intent: str
    reviewed: int
    approved: int
    edited: int
    rejected: int
    approval_rate: float | None
    lower_bound: float
    edit_rate: float | None
    rejection_reasons: dict[str, int]
    critical_recent: int
    autonomous: bool
    eligible: bool
    blockers: list[str]


class ChannelGate(BaseModel):
    channel: Channel
    stage: Literal["draft", "review", "autonomous"]
    stage_source: Literal["policy", "gate"] = Field(
        description="`policy`: as policy.yaml says; `gate`: set by a promotion or demotion."
    )
    configured_stage: str
    autonomous_intents: list[str]
    review_first: int
    approval_bar: float
    critical_lookback: int
    sample_rate: float
    reviewed: int
    approved: int = Field(description="Approved unchanged.")
    edited: int
    rejected: int
    approval_rate: float | None
    lower_bound: float = Field(description="Wilson 95% lower bound of the approval rate.")
    edit_rate: float | None
    rejection_reasons: dict[str, int]
    critical_recent: int = Field(description="Critical rejections in the last critical_lookback.")
    pending: int
    eligible: bool = Field(description="Whether promotion to autonomous would be accepted.")
    blockers: list[str] = Field(description="Why not, when not.")
    intents: list[IntentGate]
    history: list[GateEventOut]


class GateOut(BaseModel):
    channels: list[ChannelGate]
    at: Moment


def _policy(request: Request) -> StorePolicy:
    runtime = getattr(request.app.state, "store", None)
    if runtime is None:
        raise ApiError(503, "no_store", "no store is configured: start with --store or --demo")
    policy: StorePolicy = runtime.services.policy
    return policy


@router.get("", response_model=GateOut, responses=error_responses(*KEYED, 403))
def get_gate(request: Request, session: SessionDep, _key: ReviewerKey) -> GateOut:
    """Every channel's reviewed count, approval and edit rates, the lower bound, rejection
    reasons, its stage and whether it may be promoted (and per intent)."""
    channels = gate_status(session, _policy(request))
    return GateOut(channels=[ChannelGate(**c) for c in channels], at=utcnow())


@router.post(
    "/{channel}/promote",
    response_model=ChannelGate,
    responses=error_responses(*KEYED, 400, 403, 409, 413, 422),
)
def promote_channel(
    channel: Channel, body: GatePromote, request: Request, session: SessionDep, key: AdminKey
) -> ChannelGate:
    """`review` → `autonomous`, for the channel or some of its intents; 409 `gate_not_met`
    with the reasons when the rule does not hold. Recorded in the channel's history."""
    try:
        status = promote(
            session,
            _policy(request),
            channel.value,
            key.name or key.prefix,
            intents=body.intents,
            note=body.note,
        )
    except GateRefused as refused:
        session.rollback()
        raise ApiError(
            409,
            "gate_not_met",
            f"{channel.value} cannot be promoted: {refused}",
            details={"reasons": refused.reasons},
        ) from None
    session.commit()
    return ChannelGate(**status)


@router.post(
    "/{channel}/demote",
    response_model=ChannelGate,
    responses=error_responses(*KEYED, 400, 403, 409, 413, 422),
)
def demote_channel(
    channel: Channel, body: GateDemote, request: Request, session: SessionDep, key: AdminKey
) -> ChannelGate:
    """Back to `review` (or `draft`), or one intent back to review; always allowed."""
    try:
        status = demote(
            session,
            _policy(request),
            channel.value,
            key.name or key.prefix,
            to=body.to,
            intent=body.intent,
            note=body.note,
        )
    except GateRefused as refused:
        session.rollback()
        raise ApiError(
            409, "conflict", str(refused), details={"reasons": refused.reasons}
        ) from None
    session.commit()
    return ChannelGate(**status)
