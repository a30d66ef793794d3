"""The resolution response (DESIGN.md §3.3), written once: built by the resolver, served by the API.

Stored with the inbound message so a redelivery gets the same body again.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.escalation import EscalationPacket

ChannelName = Literal["chat", "email", "instagram", "messenger", "sms", "whatsapp", "voice"]


class ReplyOut(BaseModel):
    text: str
    channel: ChannelName
    parts: list[str] = Field(description="The text as the channel sends it (SMS segments …).")


class IntentOut(BaseModel):
    name: str
    confidence: float


class ActionOut(BaseModel):
    tool: str = Field(
        description="lookup_orders, get_order, cancel_order, create_return, refund, "
        "update_shipping_address (and lookup_customer, a read)"
    )
    args: dict[str, Any]
    status: Literal["done", "refused", "failed"]
    detail: str


class SourceOut(BaseModel):
    id: str
    title: str
    score: float


class AskOut(BaseModel):
    """One ask found in the message and how it was handled (an extension of §3.3)."""

    text: str
    act: str = Field(description="question | request | report | yes_no | small_talk")
    intent: str
    handled: str = Field(description="answered | acted | asked | unanswered | escalated | noted")


class MessageOut(BaseModel):
    conversation_id: str
    customer_id: str
    outcome: Literal["replied", "held_for_review", "escalated"] = Field(
        description="replied: the reply went out; held_for_review: a reviewer must approve it "
        "first (`review_id`); escalated: a person has the case (`escalation`), the reply is the "
        "holding message, if any."
    )
    reply: ReplyOut | None
    intent: IntentOut
    actions: list[ActionOut]
    sources: list[SourceOut]
    escalation: EscalationPacket | None = Field(
        description="The escalation packet, when escalated (schema: "
        "`GET /v1/schemas/escalation-packet`)."
    )
    review_id: str | None
    trace_id: str = Field(description="See GET /v1/traces/{trace_id}.")
    asks: list[AskOut] = Field(
        default_factory=list, description="Every ask in the message, in order, and its handling."
    )
