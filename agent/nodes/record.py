"""record: the reply, the review hold or sample, the actions and the trace, in the inbox."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session, col, select

from agent.composer import says_thanks
from agent.context import Context
from agent.dialogue import remember
from agent.state import AgentState
from agent.trace import traced
from inbox.conversations import DuplicateMessage, record_event, record_message
from inbox.models import (
    Author,
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Escalation,
    Message,
    Review,
    ReviewKind,
    utcnow,
)
from inbox.outbound_events import EventSink, reply_data, utc_text
from inbox.outbox import queue_handoff, queue_reply

UNRESOLVED = {
    "clarify",
    "unanswerable",
    "ask_order_number",
    "ask_which_order",
    "order_not_verified",
    "ask_verification",
    "no_orders_found",
    "ask_address",
    "ask_which_item",
    "complaint",
}
"""Turns that ask instead of answering; `max_ai_turns` of them in a row escalate."""
NOT_UNDERSTOOD = {"clarify", "unanswerable"}


def handoff_note(packet: dict[str, Any]) -> str:
    """The private note a helpdesk's team reads when the agent hands a conversation over."""
    reason = packet.get("reason") or {}
    lines = [
        f"Threadline escalated this conversation ({reason.get('code', 'escalated')}, "
        f"priority {packet.get('priority', 'normal')}).",
        str(reason.get("message") or reason.get("sentence") or "").strip(),
        str(packet.get("summary") or "").strip(),
        f"Suggested next step: {packet.get('suggested_next_step', '')}".strip(),
        f"Escalation {packet.get('id', '')}",
    ]
    return "\n\n".join(line for line in lines if line)


def _report(
    session: Session,
    events: EventSink,
    state: AgentState,
    reply: Message,
    review_id: str | None,
    held: bool,
) -> None:
    """`message.held` for a reply waiting on a reviewer, `message.replied` for one sent."""
    if not reply.text:
        return
    events.emit(
        session,
        "message.held" if held else "message.replied",
        reply_data(
            reply, outcome=state.get("outcome"), intent=state.get("intent"), review_id=review_id
        ),
        customer_id=reply.customer_id,
        conversation_id=reply.conversation_id,
    )


def _closes_case(
    session: Session, state: AgentState, conversation: Conversation, reply_id: str
) -> bool:
    """The agent resolved the case: the customer thanks it after an answer they got, with
    nothing pending, no question asked and no person on the case."""
    if conversation.status != ConversationStatus.open or state.get("escalation"):
        return False
    if state.get("situation") != "greeting" or state.get("pending_action"):
        return False
    if not says_thanks(state["message"]["text"]):
        return False
    answered = session.exec(
        select(Message.id).where(
            Message.conversation_id == conversation.id,
            Message.direction == Direction.outbound,
            Message.id != reply_id,
            col(Message.author).in_([Author.ai, Author.human]),
        )
    ).first()
    return answered is not None


@traced("record")
def record_turn(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    services = runtime.context.services
    message = state["message"]
    reply = state.get("reply") or {}
    gate = state.get("gate") or {}
    held = gate.get("review") == "hold"
    situation = state.get("situation", "")
    direction = Direction.internal if held else Direction.outbound
    meta = {
        "in_reply_to": message["id"],
        "parts": reply.get("parts", []),
        "sources": [s["id"] for s in (state.get("draft") or {}).get("sources", [])],
        "held_for_review": held,
        "situation": situation,
    }
    with Session(services.engine, expire_on_commit=False) as session:
        conversation = session.get(Conversation, message["conversation_id"])
        assert conversation is not None
        try:
            reply_message = record_message(
                session,
                conversation,
                direction=direction,
                channel=message["channel"],
                author=Author.ai,
                text=reply.get("text", ""),
                external_id=f"reply-to:{message['id']}",
                meta=meta,
            )
        except DuplicateMessage as earlier:
            # A run for this message recorded its reply and was cut short before answering:
            # nobody received that reply, so this run's reply takes its place.
            reply_message = earlier.existing
            reply_message.direction = direction
            reply_message.text = reply.get("text", "")
            reply_message.meta = meta
            for stale in session.exec(
                select(Review).where(Review.message_id == reply_message.id)
            ).all():
                session.delete(stale)
            session.flush()
        review_id = None
        if gate.get("review") in ("hold", "sample"):
            understanding = state.get("understanding") or {}
            review = Review(
                conversation_id=conversation.id,
                message_id=reply_message.id,
                channel=Channel(message["channel"]),
                held=held,
                kind=ReviewKind(gate.get("kind") or ("hold" if held else "sample")),
                customer_id=conversation.customer_id,
                inbound_message_id=message["id"],
                intent=state.get("intent") or understanding.get("intent"),
                confidence=understanding.get("confidence"),
                risks=list(gate.get("risks") or []),
                reply_text=reply.get("text", ""),
                context={
                    "orders": list((state.get("orders_seen") or {}).values()),
                    "sources": list((state.get("draft") or {}).get("sources", [])),
                    "actions": list(state.get("actions") or []),
                },
            )
            session.add(review)
            session.flush()
            review_id = review.id
            record_event(
                session,
                "review_requested",
                channel=message["channel"],
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                payload={"review_id": review.id, "held": held, "kind": review.kind.value},
            )
        for action in state.get("actions") or []:
            record_event(
                session,
                "action_taken",
                channel=message["channel"],
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                payload=action,
            )
        _report(session, services.events, state, reply_message, review_id, held)
        inbound = session.get(Message, message["id"])
        queued = None
        if not held and inbound is not None:
            queued = queue_reply(session, inbound, reply_message, parts=reply.get("parts"))
        if state.get("escalation_id") and inbound is not None:
            case = session.get(Escalation, state["escalation_id"])
            if case is not None:
                after = queued.id if queued is not None else None
                queue_handoff(session, inbound, case.id, handoff_note(case.packet), after=after)
        if _closes_case(session, state, conversation, reply_message.id):
            conversation.status = ConversationStatus.resolved
            conversation.closed_at = conversation.updated_at = utcnow()
            record_event(
                session,
                "conversation_resolved",
                channel=message["channel"],
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                payload={"by": "ai"},
            )
            services.events.emit(
                session,
                "conversation.resolved",
                {
                    "conversation_id": conversation.id,
                    "customer_id": conversation.customer_id,
                    "channels": list(conversation.channels),
                    "resolved_by": "ai",
                    "resolved_at": utc_text(conversation.closed_at),
                },
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
            )
        session.commit()
    streak = int(state.get("low_confidence_streak", 0))
    unresolved = int(state.get("unresolved_turns", 0))
    return {
        "dialogue": remember(state),
        "reply_message_id": reply_message.id,
        "review_id": review_id,
        "low_confidence_streak": streak + 1 if situation in NOT_UNDERSTOOD else 0,
        "unresolved_turns": unresolved + 1 if situation in UNRESOLVED else 0,
    }
