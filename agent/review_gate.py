"""The review gate: each channel's stage, which replies go to reviewers, and promotion.

A channel's stage starts as `policy.yaml` says (`draft`, `review`, `autonomous`). The gate may
change it: an admin promotes a channel (or some of its intents) from `review` to `autonomous`
when the reviewed replies clear the rule, demotes it at any time, and the gate demotes it by
itself when replies sampled after a promotion fall below the bar. Every change is a
`GateEvent` with who decided and the evidence; the current stage is a `ChannelStage` row.

The rule (numbers from `evals.harness.metrics`, the eval harness's metrics module): at least
`review_first` reviewed replies, the Wilson 95% lower bound of the approval rate (approved
unchanged / reviewed) at or above `approval_bar`, and no critical rejection among the last
`critical_lookback` reviews. Per intent, the same rule over that intent's reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from evals.harness.metrics import CRITICAL_REJECTIONS, gate_numbers, promotion_blockers
from inbox.conversations import as_utc
from inbox.models import (
    Author,
    Channel,
    ChannelStage,
    Direction,
    Event,
    GateEvent,
    Message,
    Review,
    ReviewKind,
    ReviewStatus,
    utcnow,
)
from tools.policy import ChannelPolicy, StorePolicy

MONEY_TOOLS = {"cancel_order", "refund"}
RISKS = ("money_moved", "low_confidence", "first_on_channel", "identity_conflict")
"""Why a reply goes to reviewers whatever the sample says, in the order they are checked."""
STAGES = ("draft", "review", "autonomous")


class GateRefused(Exception):
    """Promotion asked for while the rule is not met; `reasons` says what is missing."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def channel_policy(policy: StorePolicy, channel: str) -> ChannelPolicy:
    configured: ChannelPolicy | None = policy.channels.get(channel)  # type: ignore[call-overload]
    return configured or ChannelPolicy()


@dataclass(frozen=True)
class Stage:
    stage: str
    autonomous_intents: tuple[str, ...]
    source: str
    """`policy` (as `policy.yaml` says) or `gate` (set by a promotion or demotion)."""

    def autonomous_for(self, intent: str | None) -> bool:
        return self.stage == "autonomous" or (
            self.stage == "review" and intent is not None and intent in self.autonomous_intents
        )


def current_stage(session: Session, policy: StorePolicy, channel: str) -> Stage:
    row = session.get(ChannelStage, channel)
    if row is not None:
        return Stage(row.stage, tuple(row.autonomous_intents), "gate")
    configured = channel_policy(policy, channel)
    return Stage(configured.stage, tuple(configured.autonomous_intents), "policy")


# --- which replies reviewers see -------------------------------------------------------------


def risks_of(session: Session, state: dict[str, Any], policy: ChannelPolicy) -> list[str]:
    """Why this reply must be seen by a person whatever the sample says."""
    risks = []
    if any(
        a.get("tool") in MONEY_TOOLS and a.get("status") == "done"
        for a in state.get("actions") or []
    ):
        risks.append("money_moved")
    understanding = state.get("understanding") or {}
    confidence = float(understanding.get("confidence", 1.0))
    if understanding.get("low_confidence") or confidence < policy.low_confidence:
        risks.append("low_confidence")
    customer_id = (state.get("identity") or {}).get("customer_id") or state.get("customer_id")
    channel = state["message"]["channel"]
    if customer_id:
        if _new_channel_for(session, customer_id, channel):
            risks.append("first_on_channel")
        conflict = session.exec(
            select(Event.id)
            .where(Event.customer_id == customer_id, Event.kind == "identity_conflict")
            .limit(1)
        ).first()
        if conflict is not None:
            risks.append("identity_conflict")
    return risks


def _new_channel_for(session: Session, customer_id: str, channel: str) -> bool:
    """A customer known from another channel gets their first AI reply on this one."""
    elsewhere = session.exec(
        select(Message.id)
        .where(Message.customer_id == customer_id, Message.channel != channel)
        .limit(1)
    ).first()
    if elsewhere is None:
        return False
    answered_here = session.exec(
        select(Message.id)
        .where(
            Message.customer_id == customer_id,
            Message.channel == channel,
            Message.author == Author.ai,
            col(Message.direction).in_((Direction.outbound, Direction.internal)),
        )
        .limit(1)
    ).first()
    return answered_here is None


# --- the gate's numbers ----------------------------------------------------------------------


def _decisions(
    session: Session, channel: str, intent: str | None = None, since: Any = None, kind: str = ""
) -> list[tuple[str, str | None]]:
    query = select(Review.status, Review.category).where(
        Review.channel == channel, Review.status != ReviewStatus.pending
    )
    if intent is not None:
        query = query.where(Review.intent == intent)
    if since is not None:
        query = query.where(col(Review.decided_at) > since)
    if kind:
        query = query.where(Review.kind == kind)
    rows = session.exec(query.order_by(col(Review.decided_at), col(Review.id))).all()
    return [(str(status), category) for status, category in rows]


def _numbers(
    session: Session, channel: str, rule: ChannelPolicy, intent: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    numbers = gate_numbers(_decisions(session, channel, intent), rule.critical_lookback)
    blockers = promotion_blockers(
        numbers, rule.review_first, rule.approval_bar, rule.critical_lookback
    )
    return numbers, blockers


def _history(session: Session, channel: str, limit: int = 20) -> list[dict[str, Any]]:
    rows = session.exec(
        select(GateEvent)
        .where(GateEvent.channel == channel)
        .order_by(col(GateEvent.occurred_at).desc(), col(GateEvent.id).desc())
        .limit(limit)
    ).all()
    return [
        {
            "action": r.action,
            "intent": r.intent,
            "from_stage": r.from_stage,
            "to_stage": r.to_stage,
            "actor": r.actor,
            "reason": r.reason,
            "evidence": r.evidence,
            "occurred_at": as_utc(r.occurred_at),
        }
        for r in rows
    ]


def channel_status(session: Session, policy: StorePolicy, channel: str) -> dict[str, Any]:
    """One channel's gate: its stage, numbers, whether it may be promoted and why not."""
    rule = channel_policy(policy, channel)
    stage = current_stage(session, policy, channel)
    numbers, blockers = _numbers(session, channel, rule)
    pending = session.exec(
        select(Review.id).where(Review.channel == channel, Review.status == ReviewStatus.pending)
    ).all()
    intent_names = sorted(
        {
            str(i)
            for i in session.exec(
                select(Review.intent).where(Review.channel == channel).distinct()
            ).all()
            if i
        }
        | set(stage.autonomous_intents)
    )
    intents = []
    for intent in intent_names:
        inumbers, iblockers = _numbers(session, channel, rule, intent)
        intents.append(
            {
                "intent": intent,
                **inumbers,
                "autonomous": stage.autonomous_for(intent),
                "eligible": not iblockers,
                "blockers": iblockers,
            }
        )
    return {
        "channel": channel,
        "stage": stage.stage,
        "stage_source": stage.source,
        "configured_stage": rule.stage,
        "autonomous_intents": list(stage.autonomous_intents),
        "review_first": rule.review_first,
        "approval_bar": rule.approval_bar,
        "critical_lookback": rule.critical_lookback,
        "sample_rate": rule.sample_rate,
        **numbers,
        "pending": len(pending),
        "eligible": not blockers,
        "blockers": blockers,
        "intents": intents,
        "history": _history(session, channel),
    }


def gate_status(session: Session, policy: StorePolicy) -> list[dict[str, Any]]:
    """Every channel: the configured ones, and any with reviews or a stage set by the gate."""
    seen = {str(c) for c in policy.channels}
    seen |= {str(c) for c in session.exec(select(Review.channel).distinct()).all()}
    seen |= {str(c) for c in session.exec(select(ChannelStage.channel)).all()}
    ordered = [c.value for c in Channel if c.value in seen]
    return [channel_status(session, policy, channel) for channel in ordered]


# --- promotion and demotion ------------------------------------------------------------------


def _set_stage(
    session: Session,
    channel: str,
    stage: str,
    intents: list[str],
    actor: str,
) -> None:
    row = session.get(ChannelStage, channel)
    if row is None:
        row = ChannelStage(channel=Channel(channel), stage=stage)
        session.add(row)
    row.stage = stage
    row.autonomous_intents = sorted(set(intents))
    row.changed_at = utcnow()
    row.changed_by = actor


def _record(session: Session, channel: str, **fields: Any) -> None:
    session.add(GateEvent(channel=Channel(channel), **fields))


def promote(
    session: Session,
    policy: StorePolicy,
    channel: str,
    actor: str,
    intents: list[str] | None = None,
    note: str = "",
) -> dict[str, Any]:
    """`review` → `autonomous` for the channel, or for `intents` of it; refused with the
    reasons when the rule is not met. The caller commits."""
    rule = channel_policy(policy, channel)
    stage = current_stage(session, policy, channel)
    if stage.stage == "autonomous":
        raise GateRefused([f"{channel} is already autonomous"])
    if stage.stage != "review":
        raise GateRefused([f"{channel} is in stage {stage.stage}: only `review` is promoted"])
    if not intents:
        numbers, blockers = _numbers(session, channel, rule)
        if blockers:
            raise GateRefused(blockers)
        _set_stage(session, channel, "autonomous", [], actor)
        _record(
            session,
            channel,
            action="promoted",
            from_stage="review",
            to_stage="autonomous",
            actor=actor,
            reason=note,
            evidence=numbers,
        )
        return channel_status(session, policy, channel)
    refused: list[str] = []
    evidence: dict[str, Any] = {}
    for intent in intents:
        numbers, blockers = _numbers(session, channel, rule, intent)
        if blockers:
            refused.extend(f"{intent}: {b}" for b in blockers)
        evidence[intent] = numbers
    if refused:
        raise GateRefused(refused)
    _set_stage(session, channel, "review", [*stage.autonomous_intents, *intents], actor)
    for intent in intents:
        _record(
            session,
            channel,
            intent=intent,
            action="promoted",
            from_stage="review",
            to_stage="autonomous",
            actor=actor,
            reason=note,
            evidence=evidence[intent],
        )
    return channel_status(session, policy, channel)


def demote(
    session: Session,
    policy: StorePolicy,
    channel: str,
    actor: str,
    to: str = "review",
    intent: str | None = None,
    note: str = "",
    action: str = "demoted",
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Always allowed: the channel to `to` (`review` or `draft`), or one intent back to
    review. The caller commits."""
    if to not in ("review", "draft"):
        raise ValueError("a channel is demoted to `review` or `draft`")
    stage = current_stage(session, policy, channel)
    if intent is not None:
        if intent not in stage.autonomous_intents:
            raise GateRefused([f"{intent} is not autonomous on {channel}"])
        remaining = [i for i in stage.autonomous_intents if i != intent]
        _set_stage(session, channel, stage.stage, remaining, actor)
        _record(
            session,
            channel,
            intent=intent,
            action=action,
            from_stage="autonomous",
            to_stage="review",
            actor=actor,
            reason=note,
            evidence=evidence or {},
        )
        return channel_status(session, policy, channel)
    _set_stage(session, channel, to, [], actor)
    _record(
        session,
        channel,
        action=action,
        from_stage=stage.stage,
        to_stage=to,
        actor=actor,
        reason=note,
        evidence=evidence or {},
    )
    return channel_status(session, policy, channel)


def _last_promotion(session: Session, channel: str, intent: str | None) -> GateEvent | None:
    query = select(GateEvent).where(
        GateEvent.channel == channel, GateEvent.action == "promoted", GateEvent.intent == intent
    )
    if intent is None:
        query = select(GateEvent).where(
            GateEvent.channel == channel,
            GateEvent.action == "promoted",
            col(GateEvent.intent).is_(None),
        )
    return session.exec(
        query.order_by(col(GateEvent.occurred_at).desc(), col(GateEvent.id).desc())
    ).first()


def check_demotion(session: Session, policy: StorePolicy, review: Review) -> dict[str, Any] | None:
    """After a decision on a sampled reply: demote the channel (or the reply's intent) when the
    samples since its promotion fell below the bar or one was a critical rejection. Returns the
    gate event's evidence when it demoted. The caller commits."""
    if review.kind != ReviewKind.sample:
        return None
    channel = str(review.channel)
    rule = channel_policy(policy, channel)
    stage = current_stage(session, policy, channel)
    if stage.stage == "autonomous":
        intent = None
    elif review.intent and review.intent in stage.autonomous_intents:
        intent = review.intent
    else:
        return None
    promoted = _last_promotion(session, channel, intent)
    since = promoted.occurred_at if promoted is not None else None
    samples = _decisions(session, channel, intent, since=since, kind=ReviewKind.sample.value)
    numbers = gate_numbers(samples, len(samples) or 1)
    critical = review.status == ReviewStatus.rejected and review.category in CRITICAL_REJECTIONS
    rate = numbers["approval_rate"]
    below = len(samples) >= rule.demote_after and rate is not None and rate < rule.approval_bar
    if not (critical or below):
        return None
    evidence = {**numbers, "since": since.isoformat() if since else None, "review_id": review.id}
    if critical:
        why = f"critical rejection ({review.category}) of sampled reply {review.id}"
    else:
        why = (
            f"sampled approval {rate:.3f} over {len(samples)} reviews since promotion is under "
            f"the bar {rule.approval_bar:.2f}"
        )
    demote(
        session,
        policy,
        channel,
        "gate",
        to="review",
        intent=intent,
        note=why,
        action="auto_demoted",
        evidence=evidence,
    )
    return evidence
