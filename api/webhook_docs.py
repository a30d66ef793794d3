"""The event webhook as OpenAPI 3.1 `webhooks`: what each event's POST carries.

These models document the bodies `agent.event_delivery` sends (built in `inbox.outbound_events`);
tests check real deliveries against them.
"""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field

from agent.escalation import EscalationPacket
from api.schemas import Moment
from inbox.models import Channel, EscalationStatus
from inbox.outbound_events import EVENT_DESCRIPTIONS, EventType

SIGNATURE_DOC = (
    "`sha256=<hex>`: HMAC-SHA256 of `<X-Threadline-Timestamp>.<raw body>` under "
    "`THREADLINE_EVENTS_WEBHOOK_SECRET`. Reject a mismatch or an old timestamp."
)


class EventMessage(BaseModel):
    id: str
    conversation_id: str
    customer_id: str
    channel: Channel
    author: Literal["ai", "human"]
    text: str
    parts: list[str] = Field(description="The text as the channel sends it.")
    subject: str | None
    in_reply_to: str | None = Field(description="The customer's message it answers.")
    sent_at: Moment


class MessageEventData(BaseModel):
    conversation_id: str
    customer_id: str
    outcome: Literal["replied", "held_for_review", "escalated"] | None
    intent: str | None
    review_id: str | None
    message: EventMessage


class EventEscalation(BaseModel):
    id: str
    status: EscalationStatus
    channel: Channel
    reason: str
    priority: Literal["low", "normal", "high", "urgent"]
    customer_id: str
    conversation_id: str
    assignee: str | None
    created_at: Moment
    claimed_at: Moment | None
    resolved_at: Moment | None
    resolved_by: str | None


class EscalationEventData(BaseModel):
    conversation_id: str
    customer_id: str
    escalation: EventEscalation
    packet: EscalationPacket | None = Field(
        default=None, description="Only on `escalation.created`."
    )


class ConversationResolvedData(BaseModel):
    conversation_id: str
    customer_id: str
    channels: list[Channel]
    resolved_by: Literal["ai"]
    resolved_at: Moment


class CustomerMergedData(BaseModel):
    customer_id: str = Field(description="The record that remains.")
    merged_id: str = Field(description="The record folded into it; its id keeps resolving.")
    channel: Channel | None
    reason: str


class _Envelope(BaseModel):
    id: str = Field(description="The event id; the same on every retry (`X-Threadline-Delivery`).")
    created_at: Moment


class MessageEvent(_Envelope):
    type: Literal["message.replied", "message.held"]
    data: MessageEventData


class EscalationEvent(_Envelope):
    type: Literal["escalation.created", "escalation.claimed", "escalation.resolved"]
    data: EscalationEventData


class ConversationEvent(_Envelope):
    type: Literal["conversation.resolved"]
    data: ConversationResolvedData


class CustomerEvent(_Envelope):
    type: Literal["customer.merged"]
    data: CustomerMergedData


BODIES: dict[EventType, type[_Envelope]] = {
    EventType.message_replied: MessageEvent,
    EventType.message_held: MessageEvent,
    EventType.escalation_created: EscalationEvent,
    EventType.escalation_claimed: EscalationEvent,
    EventType.escalation_resolved: EscalationEvent,
    EventType.conversation_resolved: ConversationEvent,
    EventType.customer_merged: CustomerEvent,
}


def install_webhook_docs(app: FastAPI) -> None:
    """Add each event (and the escalation packet webhook) to the OpenAPI `webhooks`."""
    for event_type, model in BODIES.items():
        _document(app, event_type.value, model, EVENT_DESCRIPTIONS[event_type.value])
    _document(
        app,
        "escalation-packet",
        EscalationPacket,
        "`THREADLINE_ESCALATION_WEBHOOK_URL` receives each new escalation's packet, signed the "
        "same way (`X-Threadline-Event: escalation.created`, `X-Threadline-Delivery`: the "
        "escalation id).",
    )


def _document(app: FastAPI, name: str, model: type[BaseModel], description: str) -> None:
    def receive(
        body: BaseModel,
        x_threadline_event: str = Header(description="The event type."),
        x_threadline_delivery: str = Header(description="The event id; dedupe on it."),
        x_threadline_timestamp: str = Header(description="Unix seconds when it was signed."),
        x_threadline_signature: str = Header(description=SIGNATURE_DOC),
    ) -> None:
        """Documentation only."""

    receive.__annotations__ = {**receive.__annotations__, "body": model}
    app.webhooks.post(
        name,
        summary=name,
        description=description
        + "\n\nAnswer 2xx to accept. 408, 429 and 5xx answers and network errors are retried "
        "with exponential backoff; other answers mark the event failed "
        "(see `GET /v1/webhooks/deliveries`).",
        status_code=200,
        responses={200: {"description": "Accepted."}},
    )(receive)
