"""Chatwoot as Threadline reads it: the agent-bot payloads, the channel and sender they stand
for, and what Chatwoot's events do to a Threadline case.

A Chatwoot conversation is a thread (`chatwoot:{account}:{conversation}`) on the customer's
case; its messages carry their Chatwoot ids (`chatwoot:{message id}`), so a redelivery is known.
The route that takes the events in is `api.routes.chatwoot`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from agent.context import Services
from agent.proof import sender_identity
from agent.service import InboundRequest, record_inbound
from inbox.conversations import DuplicateMessage, find_message, record_event
from inbox.conversations import take_over as hand_over
from inbox.identity import InvalidIdentifier, normalise
from inbox.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationStatus,
    IdentityKind,
    Message,
    utcnow,
)
from inbox.outbound_events import EventSink, escalation_data, utc_text

SOURCE = "chatwoot"

CHANNELS = {
    "Channel::WebWidget": Channel.chat,
    "Channel::Api": Channel.chat,
    "Channel::Email": Channel.email,
    "Channel::Whatsapp": Channel.whatsapp,
    "Channel::Sms": Channel.sms,
    "Channel::TwilioSms": Channel.sms,
    "Channel::FacebookPage": Channel.messenger,
    "Channel::Instagram": Channel.instagram,
}
"""Chatwoot's inbox types as Threadline's channels; any other inbox (Telegram, Line…) is chat."""


# --- payloads (Chatwoot's shapes; fields Threadline does not use are ignored) ----------------


class ChatwootPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChatwootContact(ChatwootPayload):
    id: int | None = None
    name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    identifier: str | None = None
    """The website's own id for a visitor (`setUser`); a claim unless identity validation
    (`hmac_verified`) vouches for it."""


class ChatwootSender(ChatwootContact):
    type: str | None = None
    """`contact`, `user` (a person on the team) or `agent_bot`."""


class ContactInbox(ChatwootPayload):
    source_id: str | None = None
    """The contact's address in the inbox: the widget's visitor id, a PSID, a phone number…"""
    inbox_id: int | None = None
    hmac_verified: bool | None = None


class ConversationMeta(ChatwootPayload):
    sender: ChatwootContact | None = None
    hmac_verified: bool | None = None


class AccountRef(ChatwootPayload):
    id: int


class LastMessage(ChatwootPayload):
    account_id: int | None = None


class ChatwootConversation(ChatwootPayload):
    id: int
    """The conversation's number in its account (`display_id`), as the API's paths take it."""
    status: str = ""
    channel: str | None = None
    inbox_id: int | None = None
    contact_inbox: ContactInbox | None = None
    meta: ConversationMeta = Field(default_factory=ConversationMeta)
    additional_attributes: dict[str, Any] | None = None


class MessageEvent(ChatwootPayload):
    event: str
    id: int
    content: str | None = None
    message_type: str
    private: bool = False
    created_at: datetime | None = None
    sender: ChatwootSender | None = None
    conversation: ChatwootConversation
    account: AccountRef


class ConversationEvent(ChatwootConversation):
    """A conversation's own data with the event's name (its `id` is the conversation's)."""

    event: str
    account: AccountRef | None = None
    account_id: int | None = None
    messages: list[LastMessage] = Field(default_factory=list)

    @property
    def account_number(self) -> int | None:
        """The account: named by newer payloads, else by the conversation's last message."""
        if self.account is not None:
            return self.account.id
        if self.account_id is not None:
            return self.account_id
        return next((m.account_id for m in self.messages if m.account_id is not None), None)


# --- what a conversation is on Threadline's side ---------------------------------------------


def thread_of(account: int, conversation: int) -> str:
    return f"chatwoot:{account}:{conversation}"


def channel_of(conversation: ChatwootConversation) -> Channel:
    source = conversation.contact_inbox.source_id if conversation.contact_inbox else None
    attributes = conversation.additional_attributes or {}
    if conversation.channel == "Channel::TwilioSms" and (source or "").startswith("whatsapp:"):
        return Channel.whatsapp
    if attributes.get("type") == "instagram_direct_message":  # Instagram through a Page
        return Channel.instagram
    return CHANNELS.get(conversation.channel or "", Channel.chat)


def _usable(kind: IdentityKind, value: str | None, region: str) -> str | None:
    """`value` when it is a well-formed identifier of `kind`, else None (left out)."""
    if not value or not value.strip():
        return None
    try:
        normalise(kind, value, region)
    except InvalidIdentifier:
        return None
    return value.strip()


class CustomerFields(TypedDict):
    email: str | None
    phone: str | None
    handle: str | None
    name: str | None


def customer_fields(
    channel: Channel, account: int, conversation: ChatwootConversation, region: str
) -> CustomerFields:
    """The sender's identifiers as Threadline takes them (`email`, `phone`, `handle`, `name`).

    Nothing is passed as vouched for: the channel's own sender is proven by the channel (the
    email on email, the phone on SMS and WhatsApp, the page-scoped id on Messenger and
    Instagram), and everything else Chatwoot knows about the contact is a claim. On chat the
    handle is the widget's visitor id (`source_id`), or the website's user id when Chatwoot's
    identity validation vouched for it; namespaced, so no other channel's handle collides.
    """
    contact = conversation.meta.sender or ChatwootContact()
    inbox = conversation.contact_inbox or ContactInbox()
    source = (inbox.source_id or "").strip()
    phone = contact.phone_number
    if channel in (Channel.sms, Channel.whatsapp) and not phone and source:
        number = source.removeprefix("whatsapp:")
        phone = number if number.startswith("+") else f"+{number}"
    handle: str | None = None
    if channel in (Channel.instagram, Channel.messenger):
        handle = source or None
    elif channel is Channel.chat:
        verified = bool(conversation.meta.hmac_verified or inbox.hmac_verified)
        if verified and contact.identifier:
            handle = f"chatwoot:{account}:user:{contact.identifier.strip()}"
        elif source:
            handle = f"chatwoot:{account}:{inbox.inbox_id or conversation.inbox_id}:{source}"
        elif contact.id is not None:
            handle = f"chatwoot:{account}:contact:{contact.id}"
    handle_kind = (
        IdentityKind.instagram if channel is Channel.instagram else IdentityKind.chat_visitor
    )
    return {
        "email": _usable(IdentityKind.email, contact.email, region),
        "phone": _usable(IdentityKind.phone, phone, region),
        "handle": _usable(handle_kind, handle, region),
        "name": (contact.name or "").replace("\x00", "").strip()[:200] or None,
    }


def thread_case(session: Session, thread_id: str) -> Conversation | None:
    """The Threadline case the Chatwoot conversation's latest recorded message is on."""
    case_id = session.exec(
        select(Message.conversation_id)
        .where(Message.thread_id == thread_id)
        .order_by(col(Message.sent_at).desc(), col(Message.created_at).desc())
    ).first()
    return session.get(Conversation, case_id) if case_id else None


def take_over(session: Session, case: Conversation, channel: Channel, **payload: Any) -> bool:
    """A person took the case in Chatwoot (the status a person's reply through the API sets,
    `human_took_over`)."""
    return hand_over(session, case, channel, {"source": SOURCE, **payload})


def resolve_case(session: Session, case: Conversation, events: EventSink) -> None:
    """Resolved in Chatwoot: the case, and any escalation still open on it, are done."""
    now = utcnow()
    for row in session.exec(
        select(Escalation).where(
            Escalation.conversation_id == case.id,
            col(Escalation.status).in_([EscalationStatus.open, EscalationStatus.claimed]),
        )
    ).all():
        row.status = EscalationStatus.resolved
        row.resolved_at = now
        row.resolved_by_name = row.assignee or "Chatwoot"
        events.emit(
            session,
            "escalation.resolved",
            escalation_data(row),
            customer_id=row.customer_id,
            conversation_id=row.conversation_id,
        )
    case.status = ConversationStatus.resolved
    case.closed_at = case.updated_at = now
    record_event(
        session,
        "conversation_resolved",
        customer_id=case.customer_id,
        conversation_id=case.id,
        payload={"by": "human", "source": SOURCE},
    )
    events.emit(
        session,
        "conversation.resolved",
        {
            "conversation_id": case.id,
            "customer_id": case.customer_id,
            "channels": list(case.channels),
            "resolved_by": "human",
            "resolved_at": utc_text(now),
        },
        customer_id=case.customer_id,
        conversation_id=case.id,
    )


def record_unanswered(services: Services, request: InboundRequest) -> Message | None:
    """Record a customer's message on their case without a turn (a person has it): no lease,
    so no sweep answers it later; None when it was recorded before."""
    sender = sender_identity(request.sender, services.phone_region)
    with Session(services.engine, expire_on_commit=False) as session:
        if find_message(session, request.channel, request.external_id) is not None:
            return None
        try:
            message = record_inbound(session, request, sender, services.events)
        except DuplicateMessage:
            return None
        session.commit()
    return message
