"""identify: who is writing, what we know about them, and what was said before on any channel."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session, col, select

from agent.context import Context
from agent.proactive import order_replied_to
from agent.proof import link_shop_customer, load_identity
from agent.state import TURN_DEFAULTS, AgentState
from agent.trace import traced
from inbox.conversations import message_view
from inbox.models import Conversation, ConversationStatus, Escalation, Message

HISTORY_LIMIT = 50


def load_history(session: Session, customer_id: str, exclude_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Message)
        .where(Message.customer_id == customer_id, Message.id != exclude_id)
        .order_by(col(Message.sent_at).desc(), col(Message.id).desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return [message_view(m) for m in reversed(rows)]


@traced("identify")
def identify_customer(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    with Session(runtime.context.services.engine, expire_on_commit=False) as session:
        identity = load_identity(session, state["customer_id"])
        identity, shop_checked, lookup = link_shop_customer(
            session,
            identity,
            runtime.context.services.tools,
            state["message"]["channel"],
            state.get("shop_checked"),
            events=runtime.context.services.events,
        )
        if lookup is not None:
            runtime.context.trace.append(
                "tool_calls", {"tool": "lookup_customer", "status": lookup}
            )
        history = load_history(session, identity["customer_id"], state["message"]["id"])
        # An answer to a shipping update ("when will it arrive?") is about that update's order.
        replied = order_replied_to(
            session, identity["customer_id"], state["message"]["channel"], state["message"]["id"]
        )
        case = session.exec(
            select(Conversation)
            .where(
                Conversation.customer_id == identity["customer_id"],
                Conversation.status == ConversationStatus.escalated,
            )
            .order_by(col(Conversation.updated_at).desc())
        ).first()
        escalated = case is not None
        # A person who answered the customer from the helpdesk has the case without an
        # escalation: everything the customer writes joins it.
        taken_over = (
            case is not None
            and session.exec(
                select(Escalation.id).where(Escalation.conversation_id == case.id)
            ).first()
            is None
        )
    channels_before = sorted({h["channel"] for h in history})
    runtime.context.trace.note(
        "identity",
        {
            "verified_kinds": sorted({k["kind"] for k in identity["known"] if k["verified"]}),
            "history_messages": len(history),
            "channels_before": channels_before,
        },
    )
    # Every turn starts clean; the session fields (pending action, open issue, …) carry over.
    return {
        **TURN_DEFAULTS,
        "identity": identity,
        "history": history,
        "escalated": escalated,
        "escalated_case_id": case.id if case is not None else None,
        **({"escalation_matter": {}} if taken_over else {}),
        "continued_from": continued_from(state),
        "shop_checked": shop_checked,
        **({"active_order": replied} if replied else {}),
    }


def continued_from(state: AgentState) -> dict[str, Any] | None:
    """The open issue or pending action this message picks up from another channel, if any."""
    channel = state["message"]["channel"]
    pending = state.get("pending_action")
    issue = state.get("open_issue")
    if issue and issue["channel"] != channel:
        return {"channel": issue["channel"], "intent": issue["intent"], "order": issue["order"]}
    if pending and pending["channel"] != channel:
        return {
            "channel": pending["channel"],
            "intent": pending["tool"],
            "order": pending["args"].get("order"),
        }
    return None
