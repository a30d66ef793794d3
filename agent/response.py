"""The resolution response (DESIGN.md §3.3), written once: built by the resolver, served by the API.

Stored with the inbound message so a redelivery gets the same body again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ReplyOut(BaseModel):
    text: str
    channel: str
    parts: list[str]


class IntentOut(BaseModel):
    name: str
    confidence: float


class ActionOut(BaseModel):
    tool: str
    args: dict[str, Any]
    status: str = Field(description="done | refused | failed")
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
    outcome: str = Field(description="replied | held_for_review | escalated")
    reply: ReplyOut | None
    intent: IntentOut
    actions: list[ActionOut]
    sources: list[SourceOut]
    escalation: dict[str, Any] | None = Field(description="The escalation packet, when escalated.")
    review_id: str | None
    trace_id: str = Field(description="See GET /v1/traces/{trace_id}.")
    asks: list[AskOut] = Field(
        default_factory=list, description="Every ask in the message, in order, and its handling."
    )
