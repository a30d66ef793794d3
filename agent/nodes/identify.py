"""identify: who is writing, what we know about them, and what was said before on any channel."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session, col, select

from agent.context import Context
from agent.state import TURN_DEFAULTS, AgentState
from agent.trace import traced
from inbox.conversations import message_view
from inbox.identity import IdentityClaim, InvalidIdentifier, canonical_customer, link_verified
from inbox.models import Conversation, ConversationStatus, Identity, Message
from tools.identity import CustomerIdentity
from tools.results import Status

HISTORY_LIMIT = 50


def load_identity(session: Session, customer_id: str) -> dict[str, Any]:
    """The customer's identifiers, split into what is proven (usable for orders) and all known."""
    customer = canonical_customer(session, customer_id)
    rows = session.exec(
        select(Identity).where(Identity.customer_id == (customer.id if customer else customer_id))
    ).all()
    verified = [row for row in rows if row.verified]
    return {
        "customer_id": customer.id if customer else customer_id,
        "name": customer.name if customer else None,
        "emails": sorted(r.value for r in verified if r.kind == "email"),
        "phones": sorted(r.value for r in verified if r.kind in ("phone", "whatsapp")),
        "shopify_customer_id": next((r.value for r in verified if r.kind == "shopify"), None),
        "known": [{"kind": str(r.kind), "value": r.value, "verified": r.verified} for r in rows],
    }


def load_history(session: Session, customer_id: str, exclude_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Message)
        .where(Message.customer_id == customer_id, Message.id != exclude_id)
        .order_by(col(Message.sent_at).desc(), col(Message.id).desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return [message_view(m) for m in reversed(rows)]


def shop_lookup_key(identity: dict[str, Any]) -> str:
    """The proven identifiers a shop lookup was made with."""
    return ",".join([*identity.get("emails", []), *identity.get("phones", [])])


def link_shop_customer(
    session: Session,
    identity: dict[str, Any],
    runtime: Runtime[Context],
    channel: str,
    checked: str | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Join the shop's customer record to a customer we can identify by a proven email/phone.

    The merchant's record says which email, phone and Shopify id are one account; linking them
    is what lets an SMS find the case that started by email. Returns the identity and the key of
    a lookup that found no single record (`checked`), so the same identifiers are not looked up
    again on every message.
    """
    tools = runtime.context.services.tools
    key = shop_lookup_key(identity)
    if tools is None or identity.get("shopify_customer_id") or not key or key == checked:
        return identity, checked
    proven = CustomerIdentity.of(email=identity["emails"], phone=identity["phones"])
    result = tools.lookup_customer(proven)
    runtime.context.trace.append(
        "tool_calls", {"tool": "lookup_customer", "status": result.status.value}
    )
    records = result.data.get("customers") or []
    if result.status is Status.FAILED:
        return identity, checked  # try again next message
    if result.status is not Status.DONE or len(records) != 1:
        return identity, key
    record = records[0]
    claims: list[IdentityClaim] = []
    for kind, value in (
        ("shopify", record.get("id")),
        ("email", record.get("email")),
        ("phone", record.get("phone")),
    ):
        if value:
            try:
                claims.append(IdentityClaim.of(kind, str(value), verified=True))
            except InvalidIdentifier:
                continue
    resolution = link_verified(
        session, identity["customer_id"], claims, channel=channel, source="shop"
    )
    if record.get("name") and not resolution.customer.name:
        resolution.customer.name = record["name"]
    session.commit()
    return load_identity(session, resolution.customer.id), checked


@traced("identify")
def identify_customer(state: AgentState, runtime: Runtime[Context]) -> dict[str, Any]:
    with Session(runtime.context.services.engine, expire_on_commit=False) as session:
        identity = load_identity(session, state["customer_id"])
        identity, shop_checked = link_shop_customer(
            session, identity, runtime, state["message"]["channel"], state.get("shop_checked")
        )
        history = load_history(session, identity["customer_id"], state["message"]["id"])
        case = session.get(Conversation, state["message"]["conversation_id"])
        escalated = case is not None and case.status == ConversationStatus.escalated
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
        "continued_from": continued_from(state),
        "shop_checked": shop_checked,
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
