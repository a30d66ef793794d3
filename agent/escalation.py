"""The escalation packet (DESIGN.md §3.4): everything a human needs to take a case over.

The pydantic model is the contract; its JSON Schema is published at
`GET /v1/schemas/escalation-packet` and extending it means adding optional fields, never renaming.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["low", "normal", "high", "urgent"]

REASON_CODES = (
    "customer_request",
    "legal",
    "chargeback",
    "self_harm",
    "harassment",
    "low_confidence",
    "refund_above_limit",
    "tool_failure",
    "knowledge_unavailable",
    "max_ai_turns",
    "frustration",
    "unanswerable",
    "policy_exception",
    "internal_error",
    "unsupported_language",
    "review_rejected",
)


class _Packet(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EscalationReason(_Packet):
    code: str = Field(
        description="Stable reason code (new codes may be added).",
        json_schema_extra={"enum": list(REASON_CODES)},
    )
    message: str = Field(description="One sentence saying why a human is needed.")


class PacketIdentity(_Packet):
    kind: str
    value: str
    verified: bool


class PacketCustomer(_Packet):
    id: str
    name: str | None = None
    identities: list[PacketIdentity] = Field(description="Every identifier known for them.")
    shopify_customer_id: str | None = None


class PacketMessage(_Packet):
    id: str
    channel: str
    direction: Literal["in", "out", "internal"]
    author: Literal["customer", "ai", "human", "system"]
    text: str
    subject: str | None = None
    sent_at: datetime


class PacketAction(_Packet):
    tool: str
    args: dict[str, Any]
    status: Literal["done", "refused", "failed"]
    detail: str
    reason: str | None = None


class PacketIntent(_Packet):
    name: str
    confidence: float


class PacketSentiment(_Packet):
    frustration: float = Field(ge=0, le=1, description="0 calm … 1 furious.")
    flags: list[str] = Field(description="Safety flags raised: legal_threat, chargeback, …")


class PacketConflict(_Packet):
    kind: str = Field(description="The identifier's kind: email, phone, …")
    value: str | None = Field(description="The identifier the customer claimed.")
    held_by_customer_id: str | None = Field(description="The customer it belongs to.")
    channel: str | None = Field(default=None, description="Where the claim was made.")
    claimed_at: datetime


class EscalationPacket(_Packet):
    """A case handed to humans."""

    id: str
    created_at: datetime
    reason: EscalationReason
    priority: Priority
    channel: str = Field(description="The channel the escalating message came in on.")
    conversation_id: str
    customer: PacketCustomer
    conversation: list[PacketMessage] = Field(
        description="Every message on every channel, oldest first."
    )
    orders: list[dict[str, Any]] = Field(description="The Shopify order data looked at.")
    actions: list[PacketAction] = Field(description="Actions taken, refused or failed.")
    intent: PacketIntent
    sentiment: PacketSentiment
    summary: str = Field(description="A few lines a human reads first.")
    suggested_next_step: str
    language: str | None = Field(
        default=None,
        description="The language of the escalating message (ISO 639-1: en, es, fr, de, pt, "
        "it); absent in packets from before languages were detected.",
    )
    identity_conflicts: list[PacketConflict] = Field(
        default_factory=list,
        description="Identifiers this customer claimed without proof that belong to another "
        "customer (a possible takeover attempt, or one person with two records).",
    )


def packet_schema() -> dict[str, Any]:
    schema = EscalationPacket.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://threadline.dev/schemas/escalation-packet.json"
    return schema
