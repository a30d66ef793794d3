"""What the API returns and accepts: public models, never table rows."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.escalation import REASON_CODES, EscalationPacket, Priority
from agent.response import MessageOut
from inbox.models import (
    Author,
    Channel,
    ConversationStatus,
    Direction,
    EscalationStatus,
    EventStatus,
    IdentityKind,
    Role,
)
from inbox.outbound_events import EventType

__all__ = ["MessageOut"]
"""The resolution response is the agent's own model (`agent.response`), served as is."""


EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""The dates a request may carry; beyond them a timestamp is a mistake (and near the ends of
Python's range, converting it between time zones overflows)."""


def _without_nul(value: Any) -> Any:
    """Strings with NUL characters removed, inside lists and mappings too (PostgreSQL refuses
    NUL in text, and no customer means one)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value


class StrictRequest(BaseModel):
    """Base for request bodies: unknown fields are refused, not ignored; NUL characters are
    dropped from every string before the length limits apply."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        return _without_nul(data)


RecordId = Annotated[str, Path(max_length=255), AfterValidator(_without_nul)]
"""A record's id in a path (`/v1/customers/{customer_id}`): NUL characters are dropped as from
bodies, so an id no record has is a 404 on every database (PostgreSQL refuses NUL in a query)."""


def sane_moment(value: datetime | None) -> datetime | None:
    """A timestamp between `EARLIEST` and `LATEST`; one without a zone is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        inside = EARLIEST <= value <= LATEST
    except OverflowError:  # an offset pushes it past year 9999
        inside = False
    if not inside:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


Moment = Annotated[datetime, AfterValidator(_as_utc)]
"""A timestamp the API returns: in UTC, written with `Z` (`2026-11-24T22:40:48.017Z`), whatever
zone the database hands back (SQLite drops it, PostgreSQL answers in the session's zone); the
one time format of every response, so each is an RFC 3339 `date-time` as the OpenAPI says."""


class IdentityPublic(BaseModel):
    kind: IdentityKind
    value: str
    verified: bool
    created_at: Moment


class CustomerPublic(BaseModel):
    id: str
    name: str | None
    identities: list[IdentityPublic]
    merged_ids: list[str] = Field(description="Customer ids that were merged into this one.")
    created_at: Moment
    updated_at: Moment


class MessagePublic(BaseModel):
    id: str
    conversation_id: str
    direction: Direction
    channel: Channel
    author: Author
    text: str
    subject: str | None
    external_id: str | None
    thread_id: str | None
    sent_at: Moment
    metadata: dict[str, Any]


class TimelinePublic(BaseModel):
    customer_id: str
    messages: list[MessagePublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ConversationPublic(BaseModel):
    id: str
    customer_id: str
    status: ConversationStatus
    channels: list[Channel]
    created_at: Moment
    updated_at: Moment
    closed_at: Moment | None
    messages: list[MessagePublic]


class KeyCreate(StrictRequest):
    role: Role
    name: str | None = Field(default=None, max_length=100)


class KeyPublic(BaseModel):
    id: str
    prefix: str
    role: Role
    name: str | None
    created_at: Moment
    revoked_at: Moment | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class Health(BaseModel):
    status: str = Field(description="`ok` (liveness), `ready`, or `unavailable` (with 503).")
    checks: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Readiness per part: `database` (`ok`/`unreachable`), `knowledge` (`ok`/"
            "`unavailable`), `models` (`loading` during the start-up warm-up, `ok`, or "
            "`failed (<error>)`)."
        ),
    )


class MessageCustomer(StrictRequest):
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    handle: str | None = Field(
        default=None, max_length=255, description="Social id or chat visitor id."
    )
    name: str | None = Field(default=None, max_length=200)
    verified: list[Literal["email", "phone", "handle"]] = Field(
        default_factory=list,
        max_length=3,
        description=(
            "Identifiers the calling helpdesk authenticated (e.g. a logged-in shopper's email); "
            "they count as proven like the channel's own sender."
        ),
    )


class MessageIn(StrictRequest):
    """One inbound customer message.

    Every identifier is optional on every channel, but a message needs at least one of
    `customer.email`, `customer.phone`, `customer.handle` or a `thread_id` (an anonymous visitor,
    whose thread is the session). The channel's own sender is proven: the email on email, the
    phone on sms/whatsapp/voice, the handle on chat/instagram/messenger; `customer.verified`
    adds what the helpdesk vouches for; anything else is a claim.
    """

    channel: Channel
    external_id: str = Field(min_length=1, max_length=255)
    thread_id: str | None = Field(default=None, max_length=255)
    customer: MessageCustomer = Field(default_factory=MessageCustomer)
    subject: str | None = Field(default=None, max_length=500)
    text: str = Field(min_length=1, max_length=20_000)
    sent_at: datetime | None = Field(
        default=None,
        description=(
            f"When the customer sent it: {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}, UTC if no zone."
        ),
    )

    @field_validator("sent_at")
    @classmethod
    def _sane_sent_at(cls, value: datetime | None) -> datetime | None:
        return sane_moment(value)


class EscalationSummary(BaseModel):
    id: str
    status: EscalationStatus
    channel: Channel
    reason: str = Field(json_schema_extra={"enum": list(REASON_CODES)})
    priority: Priority
    customer_id: str
    conversation_id: str
    webhook_status: Literal["disabled", "pending", "delivered", "failed"] = Field(
        description="The escalation webhook's delivery of the packet."
    )
    assignee: str | None = Field(description="Who has the case, as the helpdesk named them.")
    claimed_at: Moment | None
    resolved_at: Moment | None
    resolved_by: str | None = Field(description="Who resolved it.")
    created_at: Moment


class EscalationPage(BaseModel):
    escalations: list[EscalationSummary]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null at the end."
    )


class EscalationDetail(EscalationSummary):
    packet: EscalationPacket


class TraceOut(BaseModel):
    id: str
    customer_id: str
    conversation_id: str
    message_id: str
    created_at: Moment
    trace: dict[str, Any]


class EscalationUpdate(StrictRequest):
    status: EscalationStatus = Field(
        description="claimed: a person has it; resolved: closed, the AI answers again."
    )
    assignee: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Who takes (or resolved) it; default: the API key's name.",
    )


class ConversationUpdate(StrictRequest):
    status: Literal[ConversationStatus.open, ConversationStatus.resolved] = Field(
        description="resolved: closed by a person; open: handed back to the agent."
    )


class HumanAuthor(StrictRequest):
    name: str = Field(min_length=1, max_length=100, description="The agent's name.")
    id: str | None = Field(
        default=None, max_length=100, description="The agent's id in the helpdesk."
    )


class HumanReplyIn(StrictRequest):
    """A reply a person sent the customer from the helpdesk, recorded on the conversation."""

    channel: Channel = Field(description="The channel it went out on.")
    text: str = Field(min_length=1, max_length=20_000)
    author: HumanAuthor
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="The helpdesk's id of the reply; a repeat with the same id records nothing "
        "new (answered 200 with `Idempotent-Replay: true`).",
    )
    subject: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = Field(default=None, description="Default: now.")

    @field_validator("sent_at")
    @classmethod
    def _sane_sent_at(cls, value: datetime | None) -> datetime | None:
        return sane_moment(value)


class CustomerPage(BaseModel):
    customers: list[CustomerPublic] = Field(
        description="Customers holding a matching identifier (merged records answer as the "
        "one they were merged into)."
    )


class EventDeliveryPublic(BaseModel):
    id: str = Field(description="The event id, sent as `X-Threadline-Delivery`.")
    type: EventType
    status: EventStatus
    attempts: int
    last_status_code: int | None = Field(description="The receiver's last HTTP status.")
    last_error: str | None
    customer_id: str | None
    conversation_id: str | None
    created_at: Moment
    next_attempt_at: Moment | None = Field(description="When it is retried, if pending.")
    delivered_at: Moment | None


class EventDeliveryPage(BaseModel):
    deliveries: list[EventDeliveryPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for older deliveries.")


class ReviewCategory(StrEnum):
    """Why a reply was rejected or edited; the first four are critical (they block promotion)."""

    wrong_facts = "wrong_facts"
    wrong_action = "wrong_action"
    privacy = "privacy"
    tone = "tone"
    incomplete = "incomplete"
    other = "other"


class ReviewApprove(StrictRequest):
    note: str | None = Field(default=None, max_length=2000)


class ReviewEdit(StrictRequest):
    text: str = Field(min_length=1, max_length=20000, description="The reply to send instead.")
    category: ReviewCategory | None = None
    note: str | None = Field(default=None, max_length=2000)


class ReviewReject(StrictRequest):
    category: ReviewCategory
    note: str | None = Field(default=None, max_length=2000)


IntentName = Annotated[str, Field(min_length=1, max_length=50)]


class GatePromote(StrictRequest):
    intents: list[IntentName] | None = Field(
        default=None, max_length=50, description="Only these intents (the rest stay in review)."
    )
    note: str = Field(default="", max_length=2000)


class GateDemote(StrictRequest):
    to: Literal["review", "draft"] = "review"
    intent: IntentName | None = Field(default=None, description="Only this intent to review.")
    note: str = Field(default="", max_length=2000)


VISITOR_PATTERN = r"^[A-Za-z0-9_-]{22,64}$"
"""At least 22 url-safe characters: 128 random bits, as the widget's script makes (it makes 32)."""
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class WidgetMessageIn(StrictRequest):
    """One message a visitor typed into the widget."""

    visitor_id: str = Field(
        min_length=22,
        max_length=64,
        pattern=VISITOR_PATTERN,
        description="The visitor's random id (kept by the script): continues their conversation.",
    )
    message_id: str = Field(
        min_length=8,
        max_length=64,
        pattern=MESSAGE_ID_PATTERN,
        description="Random per message: a retried send with the same id is answered once.",
    )
    text: str = Field(min_length=1, max_length=4000)
    email: str | None = Field(
        default=None,
        max_length=320,
        description="An email the visitor typed in to be recognised: a claim, never proof.",
    )
    name: str | None = Field(default=None, max_length=200)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value

    @field_validator("email", "name")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()
