"""Events for the integrator's webhook: which exist, and writing one with the change it reports.

An event is a row in `outbound_events`, added in the same transaction as the change it reports
(the reply, the escalation, the merge), so a crash can lose neither without the other. The event
worker (`agent.event_delivery`) delivers the rows; they stay as the delivery log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from inbox.conversations import as_utc
from inbox.models import Escalation, Message, OutboundEvent


class EventType(StrEnum):
    message_replied = "message.replied"
    message_held = "message.held"
    escalation_created = "escalation.created"
    escalation_claimed = "escalation.claimed"
    escalation_resolved = "escalation.resolved"
    conversation_resolved = "conversation.resolved"
    customer_merged = "customer.merged"


EVENT_TYPES = tuple(t.value for t in EventType)
"""Every event a subscription can receive (`THREADLINE_EVENTS_WEBHOOK_TYPES` picks some)."""

EVENT_DESCRIPTIONS = {
    "message.replied": "An AI reply went to the customer (at once, or when a reviewer approved "
    "it). `data.message` has the text and the channel's parts.",
    "message.held": "An AI reply is held for a reviewer (`data.review_id`); nothing was sent.",
    "escalation.created": "A case was handed to humans; `data.packet` is the escalation packet.",
    "escalation.claimed": "A person claimed an escalation (`data.escalation.assignee`).",
    "escalation.resolved": "A person resolved an escalation; the conversation is closed.",
    "conversation.resolved": "The agent closed a conversation it resolved (the customer "
    "thanked it after an answer); the next message starts a new one.",
    "customer.merged": "Two customer records were proven to be one person; `data.merged_id` "
    "now answers as `data.customer_id`.",
}


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC with `Z`: the API's one time format."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def message_data(message: Message) -> dict[str, Any]:
    """A message as an event carries it."""
    meta = message.meta or {}
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "customer_id": message.customer_id,
        "channel": str(message.channel),
        "author": str(message.author),
        "text": message.text,
        "parts": list(meta.get("parts") or [message.text]),
        "subject": message.subject,
        "in_reply_to": meta.get("in_reply_to"),
        "sent_at": utc_text(message.sent_at),
    }


def reply_data(
    message: Message, *, outcome: str | None, intent: str | None, review_id: str | None
) -> dict[str, Any]:
    """An AI reply as `message.replied` and `message.held` carry it."""
    return {
        "conversation_id": message.conversation_id,
        "customer_id": message.customer_id,
        "outcome": outcome,
        "intent": intent,
        "review_id": review_id,
        "message": message_data(message),
    }


def escalation_data(row: Escalation, *, packet: bool = False) -> dict[str, Any]:
    """An escalation as its events carry it (the packet only when it is created)."""
    data: dict[str, Any] = {
        "escalation": {
            "id": row.id,
            "status": str(row.status),
            "channel": str(row.channel),
            "reason": row.reason_code,
            "priority": row.priority,
            "customer_id": row.customer_id,
            "conversation_id": row.conversation_id,
            "assignee": row.assignee,
            "created_at": utc_text(row.created_at),
            "claimed_at": utc_text(row.claimed_at) if row.claimed_at else None,
            "resolved_at": utc_text(row.resolved_at) if row.resolved_at else None,
            "resolved_by": row.resolved_by_name,
        },
        "conversation_id": row.conversation_id,
        "customer_id": row.customer_id,
    }
    if packet:
        data["packet"] = row.packet
    return data


@dataclass(frozen=True)
class EventSink:
    """Writes events when a webhook subscribes to them, and nothing otherwise."""

    subscribed: frozenset[str] = frozenset()

    @classmethod
    def for_types(cls, enabled: bool, types: Iterable[str] | None = None) -> EventSink:
        """All types (or `types`) when `enabled`; none otherwise."""
        if not enabled:
            return cls()
        chosen = frozenset(types) if types else frozenset(EVENT_TYPES)
        unknown = chosen - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event type(s): {', '.join(sorted(unknown))}")
        return cls(chosen)

    @property
    def enabled(self) -> bool:
        return bool(self.subscribed)

    def emit(
        self,
        session: Session,
        type_: str,
        data: dict[str, Any],
        *,
        customer_id: str | None = None,
        conversation_id: str | None = None,
    ) -> str | None:
        """Add the event to `session` (committed with the caller's change); its id, or None when
        no subscription wants it."""
        if type_ not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type_!r}")
        if type_ not in self.subscribed:
            return None
        row = OutboundEvent(
            type=type_, data=data, customer_id=customer_id, conversation_id=conversation_id
        )
        session.add(row)
        return row.id


NO_EVENTS = EventSink()


def report_merges(
    session: Session,
    events: EventSink,
    survivor_id: str,
    merged_ids: Iterable[str],
    *,
    channel: str | None,
    reason: str,
) -> None:
    """`customer.merged` for each record folded into `survivor_id`."""
    for merged_id in merged_ids:
        events.emit(
            session,
            "customer.merged",
            {
                "customer_id": survivor_id,
                "merged_id": merged_id,
                "channel": channel,
                "reason": reason,
            },
            customer_id=survivor_id,
        )
