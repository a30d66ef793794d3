"""The unified inbox: one customer across channels, their identities, cases, messages and events.

Table classes are persistence only; the API returns its own `Public` models, never these rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """Opaque random ids that say what they are (`cus_…`, `cnv_…`, `msg_…`)."""
    return f"{prefix}_{uuid.uuid4().hex}"


class IdentityKind(StrEnum):
    email = "email"
    phone = "phone"
    instagram = "instagram"
    messenger = "messenger"
    whatsapp = "whatsapp"
    shopify = "shopify"
    chat_visitor = "chat_visitor"


class Channel(StrEnum):
    chat = "chat"
    email = "email"
    instagram = "instagram"
    messenger = "messenger"
    sms = "sms"
    whatsapp = "whatsapp"
    voice = "voice"


class ConversationStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    escalated = "escalated"


class Direction(StrEnum):
    inbound = "in"
    outbound = "out"
    internal = "internal"


class Author(StrEnum):
    customer = "customer"
    ai = "ai"
    human = "human"
    system = "system"


class Role(StrEnum):
    helpdesk = "helpdesk"
    reviewer = "reviewer"
    admin = "admin"


class Customer(SQLModel, table=True):
    __tablename__ = "customers"

    id: str = Field(default_factory=lambda: new_id("cus"), primary_key=True, max_length=40)
    name: str | None = Field(default=None, max_length=200)
    merged_into_id: str | None = Field(
        default=None, foreign_key="customers.id", index=True, max_length=40
    )
    """Set when this record was merged into another; the survivor holds everything now."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Identity(SQLModel, table=True):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identities_kind_value"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customers.id", index=True, max_length=40)
    kind: IdentityKind = Field(sa_type=String(20))
    value: str = Field(max_length=320)
    """Normalised: lower-cased email, E.164 phone, lower-cased handle without '@'."""
    verified: bool = False
    """True once a channel proved it (the message came from it) or the customer proved it."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"

    id: str = Field(default_factory=lambda: new_id("cnv"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customers.id", index=True, max_length=40)
    status: ConversationStatus = Field(
        sa_type=String(20), default=ConversationStatus.open, index=True
    )
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Every channel this case touched, in first-use order."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    closed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_messages_channel_external_id"),
        Index("ix_messages_customer_sent", "customer_id", "sent_at", "id"),
    )

    id: str = Field(default_factory=lambda: new_id("msg"), primary_key=True, max_length=40)
    conversation_id: str = Field(foreign_key="conversations.id", index=True, max_length=40)
    customer_id: str = Field(foreign_key="customers.id", max_length=40)
    direction: Direction = Field(sa_type=String(20))
    channel: Channel = Field(sa_type=String(20))
    author: Author = Field(sa_type=String(20))
    text: str = Field(sa_type=Text)
    subject: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=255)
    """The channel's own id for the message; unique per channel, so redeliveries are caught."""
    thread_id: str | None = Field(default=None, max_length=255, index=True)
    sent_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    meta: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column("metadata", JSON, nullable=False)
    )
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    """An inbound message is being handled until then; after it, an unanswered message is
    taken over (a redelivery or the recovery sweep) and completed."""


class Event(SQLModel, table=True):
    """Append-only facts (message_received, reply_sent, escalated, customers_merged, …)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_kind_time", "kind", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=50)
    channel: str | None = Field(default=None, max_length=20)
    customer_id: str | None = Field(default=None, index=True, max_length=40)
    conversation_id: str | None = Field(default=None, index=True, max_length=40)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(default_factory=lambda: new_id("key"), primary_key=True, max_length=40)
    prefix: str = Field(index=True, max_length=20)
    """The key's public first characters, shown in listings so a key can be recognised."""
    key_hash: str = Field(unique=True, max_length=64)
    """SHA-256 of the whole key: keys are long and random, so a slow hash adds nothing."""
    role: Role = Field(sa_type=String(20))
    name: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ToolCall(SQLModel, table=True):
    """The idempotency ledger: a write tool's first result, replayed for any retry with its key."""

    __tablename__ = "tool_calls"

    idempotency_key: str = Field(primary_key=True, max_length=200)
    tool: str = Field(max_length=50)
    status: str = Field(max_length=20)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class EscalationStatus(StrEnum):
    open = "open"
    claimed = "claimed"
    resolved = "resolved"


class Escalation(SQLModel, table=True):
    """A case handed to humans; `packet` is the escalation packet as published."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_status_channel", "status", "channel"),
        Index("ix_escalations_created", "created_at", "id"),
    )

    id: str = Field(default_factory=lambda: new_id("esc"), primary_key=True, max_length=40)
    conversation_id: str = Field(foreign_key="conversations.id", index=True, max_length=40)
    customer_id: str = Field(foreign_key="customers.id", index=True, max_length=40)
    channel: Channel = Field(sa_type=String(20))
    status: EscalationStatus = Field(sa_type=String(20), default=EscalationStatus.open)
    reason_code: str = Field(max_length=50)
    priority: str = Field(max_length=20)
    packet: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    webhook_status: str = Field(default="disabled", max_length=20)
    """`disabled` (no URL configured), `pending`, `delivered` or `failed` after every retry."""
    webhook_attempts: int = 0
    assignee: str | None = Field(default=None, max_length=100)
    """The person who has the case (as the helpdesk names them)."""
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    claimed_by: str | None = Field(default=None, max_length=40)
    """The API key that claimed it."""
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    resolved_by: str | None = Field(default=None, max_length=40)
    """The API key that resolved it."""
    resolved_by_name: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Trace(SQLModel, table=True):
    """How one inbound message went through the graph, for the ops team."""

    __tablename__ = "traces"

    id: str = Field(default_factory=lambda: new_id("trc"), primary_key=True, max_length=40)
    customer_id: str = Field(index=True, max_length=40)
    conversation_id: str = Field(index=True, max_length=40)
    message_id: str = Field(index=True, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ReviewStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    edited = "edited"
    rejected = "rejected"


class ReviewKind(StrEnum):
    hold = "hold"
    """Stage `review`: the reply waits for the decision; approving sends it."""
    draft = "draft"
    """Stage `draft`: a suggestion for a person; approving sends it as theirs."""
    sample = "sample"
    """Stage `autonomous`: the reply was sent; the review judges it after the fact."""


class Review(SQLModel, table=True):
    """An AI reply held for (or sampled to) a human reviewer, and the decision on it."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_status_channel", "status", "channel"),
        Index("ix_reviews_channel_decided", "channel", "decided_at"),
    )

    id: str = Field(default_factory=lambda: new_id("rev"), primary_key=True, max_length=40)
    conversation_id: str = Field(foreign_key="conversations.id", index=True, max_length=40)
    message_id: str = Field(foreign_key="messages.id", max_length=40)
    """The AI reply under review."""
    channel: Channel = Field(sa_type=String(20))
    status: ReviewStatus = Field(sa_type=String(20), default=ReviewStatus.pending)
    held: bool = True
    """True when the reply waits for the decision; False for a sample of a reply already sent."""
    kind: ReviewKind = Field(sa_type=String(20), default=ReviewKind.hold)
    customer_id: str | None = Field(default=None, index=True, max_length=40)
    inbound_message_id: str | None = Field(default=None, max_length=40)
    """The customer's message the reply answers."""
    intent: str | None = Field(default=None, max_length=50)
    confidence: float | None = None
    risks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Why it must be reviewed beyond the stage: `money_moved`, `low_confidence`,
    `first_on_channel`, `identity_conflict`."""
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """What the reply was built from: `orders` looked at, `sources`, `actions`."""
    reply_text: str = Field(default="", sa_type=Text)
    """The AI's reply as written (the message's text becomes the edited text on an edit)."""
    final_text: str | None = Field(default=None, sa_type=Text)
    """What went (or, for a sample, should have gone) to the customer after the decision."""
    category: str | None = Field(default=None, max_length=40)
    """Why it was rejected or edited: `wrong_facts`, `wrong_action`, `privacy`, `tone` (the
    critical ones), `incomplete`, `other`."""
    note: str | None = Field(default=None, sa_type=Text)
    decided_by: str | None = Field(default=None, max_length=40)
    """The API key that decided."""
    decided_by_name: str | None = Field(default=None, max_length=100)
    escalation_id: str | None = Field(default=None, max_length=40)
    """The case a rejection opened."""
    outbox_id: str | None = Field(default=None, max_length=40)
    """The outbox row an approval sent."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ChannelStage(SQLModel, table=True):
    """A channel's stage as the gate set it; without a row, `policy.yaml`'s stage holds."""

    __tablename__ = "channel_stages"

    channel: Channel = Field(sa_type=String(20), primary_key=True)
    stage: str = Field(max_length=20)
    autonomous_intents: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    """In stage `review`: the intents that cleared the gate and are sent at once."""
    changed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    changed_by: str | None = Field(default=None, max_length=100)


class GateEvent(SQLModel, table=True):
    """A promotion or demotion, with who (or what) decided it and the evidence."""

    __tablename__ = "gate_events"
    __table_args__ = (Index("ix_gate_events_channel_time", "channel", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = Field(sa_type=String(20))
    intent: str | None = Field(default=None, max_length=50)
    """None for the whole channel."""
    action: str = Field(max_length=20)
    """`promoted`, `demoted` (by an admin) or `auto_demoted`."""
    from_stage: str = Field(max_length=20)
    to_stage: str = Field(max_length=20)
    actor: str = Field(max_length=100)
    reason: str = Field(default="", sa_type=Text)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class VerificationCode(SQLModel, table=True):
    """A one-time code sent to an email or phone on file, to prove the customer controls it."""

    __tablename__ = "verification_codes"

    id: str = Field(default_factory=lambda: new_id("vcd"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customers.id", index=True, max_length=40)
    """Who asked for it: a correct code links the identifier to this customer."""
    kind: str = Field(max_length=20)
    """`email` or `phone`."""
    value: str = Field(max_length=320)
    """The identifier the code was sent to (normalised)."""
    code_hash: str = Field(max_length=64)
    """HMAC-SHA256 of the code under `salt`: the code itself is never stored."""
    salt: str = Field(max_length=32)
    attempts: int = 0
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class OutboxStatus(StrEnum):
    pending = "pending"
    """Waiting for its first attempt (or for the calling helpdesk, when it has no provider)."""
    sent = "sent"
    failed = "failed"
    """The last attempt failed; the next one is due at `next_attempt_at`."""
    dead = "dead"
    """Every attempt failed, or the provider refused it for good; a person must look."""
    needs_template = "needs_template"
    """WhatsApp outside the 24-hour customer-service window: only an approved template may go,
    never free text, and none is configured for it."""
    superseded = "superseded"
    """A shipping update still waiting (quiet hours) when a later one for the same shipment
    came: only the latest goes."""


class OutboxMessage(SQLModel, table=True):
    """Everything Threadline sends on its own: replies to messages that came in on a channel
    webhook, reviewed replies, one-time codes and proactive updates; the delivery worker sends
    due rows through the provider's adapter, with retries."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unsent", "sent_at", "created_at"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_created", "created_at", "id"),
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )

    id: str = Field(default_factory=lambda: new_id("obx"), primary_key=True, max_length=40)
    customer_id: str | None = Field(default=None, index=True, max_length=40)
    conversation_id: str | None = Field(default=None, max_length=40)
    message_id: str | None = Field(default=None, max_length=40)
    """The outbound message (in the conversation) this row delivers."""
    channel: Channel = Field(sa_type=String(20))
    provider: str | None = Field(default=None, max_length=20)
    """Which adapter sends it: `email`, `twilio`, `meta`, `whatsapp`, `chatwoot`, `twiml` (the
    voice answer itself), or None: the calling helpdesk sends it (learning of it by event)."""
    recipient: str = Field(max_length=320)
    purpose: str = Field(max_length=40)
    """Why it is sent: `verification_code`, `reply`, `holding`, `shipping_update`, …"""
    review_id: str | None = Field(default=None, max_length=40)
    """The review that approved it, for a reviewed reply."""
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(sa_type=Text)
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Email threading headers (`Message-ID`, `In-Reply-To`, `References`)."""
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """What the adapter needs besides: the number or page written to, the provider's
    conversation, SMS parts and segments, a WhatsApp template."""
    dedupe_key: str | None = Field(default=None, max_length=200)
    """One row per key: the same reply or update is never queued twice."""
    status: OutboxStatus = Field(sa_type=String(20), default=OutboxStatus.pending)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    provider_message_id: str | None = Field(default=None, max_length=200)
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ConsentState(StrEnum):
    opted_in = "opted_in"
    opted_out = "opted_out"


class ChannelConsent(SQLModel, table=True):
    """Whether a phone number takes messages Threadline starts (shipping updates) on a channel:
    `STOP` opts out and `START` back in (recorded here, by keyword), or the shop's consent."""

    __tablename__ = "channel_consents"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_channel_consents_address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = Field(sa_type=String(20))
    address: str = Field(max_length=320)
    """The E.164 phone number (or the address on the channel)."""
    customer_id: str | None = Field(default=None, index=True, max_length=40)
    state: ConsentState = Field(sa_type=String(20))
    source: str = Field(max_length=40)
    """`keyword` (STOP/START/…), `shopify`, `api`."""
    keyword: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class WebhookDelivery(SQLModel, table=True):
    """A channel webhook already handled, by the sender's delivery id: a redelivery does nothing."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id", name="uq_webhook_deliveries_source_delivery"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)
    """Who sent it: `shopify`, …"""
    delivery_id: str = Field(max_length=255)
    """The sender's id of the delivery (Shopify's `X-Shopify-Webhook-Id`)."""
    topic: str = Field(max_length=100)
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PrivacyExport(SQLModel, table=True):
    """Everything held on one person, gathered for a data request; admins fetch it.

    It holds personal data itself, so erasing that person erases their exports too.
    """

    __tablename__ = "privacy_exports"

    id: str = Field(default_factory=lambda: new_id("pex"), primary_key=True, max_length=40)
    shop_domain: str = Field(max_length=255)
    shopify_customer_id: str | None = Field(default=None, index=True, max_length=40)
    data_request_id: str | None = Field(default=None, max_length=40)
    """The shop's id of the request, to match the export with it."""
    customer_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The Threadline customer records the export covers."""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class EventStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    """Every attempt failed (or the receiver refused it for good)."""


class OutboundEvent(SQLModel, table=True):
    """An event for the subscribed webhook, written with the change it reports (so a crash loses
    none), delivered by the event worker with retries; the rows are the delivery log."""

    __tablename__ = "outbound_events"
    __table_args__ = (
        Index("ix_outbound_events_due", "status", "next_attempt_at"),
        Index("ix_outbound_events_created", "created_at", "id"),
    )

    id: str = Field(default_factory=lambda: new_id("evt"), primary_key=True, max_length=40)
    type: str = Field(max_length=50)
    """`message.replied`, `message.held`, `escalation.created`, … (see `agent.events`)."""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    customer_id: str | None = Field(default=None, max_length=40)
    conversation_id: str | None = Field(default=None, max_length=40)
    status: EventStatus = Field(sa_type=String(20), default=EventStatus.pending)
    attempts: int = 0
    last_status_code: int | None = None
    """The receiver's HTTP status on the last attempt (None: it could not be reached)."""
    last_error: str | None = Field(default=None, max_length=200)
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    """A worker is delivering it until then (several processes share the table)."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
