"""escalate: build the escalation packet, store it, mark the case, and notify the team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session, col, select

from agent.context import Context
from agent.escalation import EscalationPacket
from agent.language import language_name
from agent.state import AgentState
from agent.trace import traced
from inbox.conversations import as_utc, message_view, record_event
from inbox.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Escalation,
    Event,
    Identity,
    Message,
    new_id,
)
from inbox.outbound_events import escalation_data

NEXT_STEPS = {
    "customer_request": "Reply to the customer on their channel; they asked for a person.",
    "legal": "Route to the team lead; do not admit liability; answer within the legal SLA.",
    "chargeback": "Check the payment dispute in Shopify before replying; do not refund twice.",
    "self_harm": "Reply personally and promptly; follow the wellbeing guideline.",
    "harassment": "Review the messages; reply per the abuse guideline or close the thread.",
    "low_confidence": "Read the conversation and answer what the customer needs.",
    "unanswerable": "Answer the question and consider adding it to the knowledge base.",
    "refund_above_limit": "Review the order and approve or decline the refund in Shopify.",
    "tool_failure": "Check Shopify status, then complete the customer's request by hand.",
    "knowledge_unavailable": "Answer from the store's policies; the knowledge index needs a "
    "rebuild (`threadline knowledge ingest`).",
    "max_ai_turns": "The AI could not resolve this; read the thread and take it over.",
    "frustration": "Reply personally with empathy; the customer is upset.",
    "review_rejected": "Answer the customer yourself; a reviewer rejected the AI's reply.",
    "unsupported_language": "Reply in the customer's language (see `language`), or in the "
    "store's own if no one on the team writes theirs.",
}


def identity_conflicts(session: Session, customer_id: str) -> list[dict[str, Any]]:
    """The customer's unverified claims to identifiers another customer holds, oldest first."""
    events = session.exec(
        select(Event)
        .where(Event.customer_id == customer_id, Event.kind == "identity_conflict")
        .order_by(col(Event.id))
    ).all()
    seen: set[tuple[str, str]] = set()
    conflicts = []
    for event in events:
        payload = event.payload or {}
        identity = session.get(Identity, payload.get("identity_id"))
        owner = payload.get("owner_customer_id")
        key = (str(payload.get("kind")), identity.value if identity else "")
        if key in seen:
            continue
        seen.add(key)
        conflicts.append(
            {
                "kind": key[0],
                "value": key[1] or None,
                "held_by_customer_id": identity.customer_id if identity else owner,
                "channel": event.channel,
                "claimed_at": as_utc(event.occurred_at),
            }
        )
    return conflicts


def conflict_line(conflicts: list[dict[str, Any]]) -> str:
    kinds = ", ".join(sorted({c["kind"] for c in conflicts}))
    return (
        f"Identity conflict: the customer claimed {kinds} belonging to another customer "
        "without proving it; treat them as unverified and do not share that customer's data."
    )


def _conversation(session: Session, customer_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Message)
        .where(Message.customer_id == customer_id)
        .order_by(col(Message.sent_at), col(Message.id))
    ).all()
    return [message_view(m) for m in rows]


def _earlier_actions(session: Session, customer_id: str) -> list[dict[str, Any]]:
    events = session.exec(
        select(Event)
        .where(Event.customer_id == customer_id, Event.kind == "action_taken")
        .order_by(col(Event.id))
    ).all()
    return [dict(e.payload) for e in events]


def _summary(
    state: AgentState, reason: dict[str, Any], channels: list[str], default_language: str
) -> str:
    understanding = state.get("understanding") or {}
    lines = [reason["message"]]
    lines.append(
        f"Latest message on {state['message']['channel']}: intent "
        f"{state.get('intent') or understanding.get('intent')} "
        f"(confidence {understanding.get('confidence', 0):.2f})."
    )
    if len(channels) > 1:
        lines.append(f"The customer has written on {', '.join(channels)}.")
    language = understanding.get("language")
    if language and language != default_language:
        lines.append(f"The message is in {language_name(str(language))}.")
    order = state.get("order") or {}
    if order:
        lines.append(
            f"Order {order['name']}: {order.get('fulfillment_status')}, "
            f"{order.get('financial_status')}, total {order.get('currency')} {order.get('total')}."
        )
    issue: dict[str, Any] = dict(state.get("open_issue") or {})
    if issue:
        lines.append(f"Open issue: {issue['intent']} raised on {issue['channel']}.")
    return "\n".join(lines)


@traced("escalate")
def escalate_case(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    services = runtime.context.services
    reason = state["escalation"] or {}
    identity = state.get("identity") or {}
    customer_id = identity.get("customer_id") or state["customer_id"]
    message = state["message"]
    understanding = state.get("understanding") or {}
    with Session(services.engine, expire_on_commit=False) as session:
        conversation = _conversation(session, customer_id)
        actions = _earlier_actions(session, customer_id) + list(state.get("actions") or [])
        channels = sorted({m["channel"] for m in conversation})
        orders = list((state.get("orders_seen") or {}).values())
        conflicts = identity_conflicts(session, customer_id)
        summary = _summary(state, reason, channels, services.policy.languages.default)
        if conflicts:
            summary += "\n" + conflict_line(conflicts)
        packet = EscalationPacket(
            id=new_id("esc"),
            created_at=datetime.now(UTC),
            reason={"code": reason.get("code", "unknown"), "message": reason.get("message", "")},
            priority=reason.get("priority", "normal"),
            channel=message["channel"],
            conversation_id=message["conversation_id"],
            customer={
                "id": customer_id,
                "name": identity.get("name"),
                "identities": identity.get("known", []),
                "shopify_customer_id": identity.get("shopify_customer_id"),
            },
            conversation=conversation,
            orders=orders,
            actions=[
                {k: a.get(k) for k in ("tool", "args", "status", "detail", "reason")}
                for a in actions
            ],
            intent={
                "name": state.get("intent") or understanding.get("intent", "unknown"),
                "confidence": float(understanding.get("confidence", 0.0)),
            },
            sentiment={
                "frustration": float(understanding.get("frustration", 0.0)),
                "flags": list(understanding.get("flags") or []),
            },
            summary=summary,
            suggested_next_step=NEXT_STEPS.get(
                reason.get("code", ""), "Read the conversation and take the case over."
            ),
            language=understanding.get("language"),
            identity_conflicts=conflicts,
        )
        body = packet.model_dump(mode="json")
        row = Escalation(
            id=packet.id,
            conversation_id=packet.conversation_id,
            customer_id=customer_id,
            channel=Channel(message["channel"]),
            reason_code=packet.reason.code,
            priority=packet.priority,
            packet=body,
            webhook_status="pending" if services.notifier.enabled else "disabled",
        )
        session.add(row)
        services.events.emit(
            session,
            "escalation.created",
            escalation_data(row, packet=True),
            customer_id=customer_id,
            conversation_id=packet.conversation_id,
        )
        case = session.get(Conversation, packet.conversation_id)
        if case is not None:
            case.status = ConversationStatus.escalated
            case.updated_at = datetime.now(UTC)
        record_event(
            session,
            "escalated",
            channel=message["channel"],
            customer_id=customer_id,
            conversation_id=packet.conversation_id,
            payload={
                "escalation_id": packet.id,
                "reason": packet.reason.code,
                "priority": packet.priority,
            },
        )
        session.commit()
    services.notifier.notify(packet.id, body)
    runtime.context.trace.note(
        "escalation",
        {"id": packet.id, "reason": packet.reason.code, "language": packet.language},
    )
    order = (state.get("order") or {}).get("name") or state.get("active_order")
    matter = {"code": packet.reason.code, "order": order, "intent": state.get("intent")}
    return {"escalation_id": packet.id, "escalated": True, "escalation_matter": matter}
