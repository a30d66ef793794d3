"""`POST /webhooks/chatwoot`: Threadline as a Chatwoot Agent Bot.

**Verification.** Chatwoot signs every agent-bot delivery (since 4.13) with the bot's own
secret: `X-Chatwoot-Signature: sha256=<hex>` is the HMAC-SHA256 of
`<X-Chatwoot-Timestamp>.<raw body>`, the timestamp in Unix seconds. That secret is not the bot's
access token (Chatwoot keeps them apart so either can be rotated alone): it is
`THREADLINE_CHATWOOT_WEBHOOK_SECRET`, and `THREADLINE_CHATWOOT_TOKEN` is what Threadline answers
with. A delivery without a valid signature is refused (401), as is one whose timestamp is more
than `webhook_replay_seconds` away from now (a replay). Unless the secret, the token and
`THREADLINE_CHATWOOT_URL` are all set, the channel is off and the route answers 404.

**Events.** Chatwoot sends the bot every message of its inboxes and their status changes:

* `message_created`, incoming: the customer's message, deduplicated on Chatwoot's message id. It
  is answered (through the outbox, by the Application API) only while the conversation is
  `pending`, i.e. the bot holds it, and no person has taken the Threadline case; otherwise it is
  recorded on the case and left to the person.
* `message_created`, outgoing by a user (a person on the team): recorded as that person's reply,
  and the case is theirs from then on: the agent never speaks on it again (until it is resolved).
* `conversation_opened` (or `conversation_status_changed` to `open`): a person took the
  conversation, or the bot handed it over; the case is marked as the person's.
* `conversation_resolved` (or the status changed to `resolved`): the case and any escalation on
  it are resolved; the customer's next message starts a new case, which the bot answers again.

The bot's own messages, private notes and every other event are acknowledged and ignored.
Redeliveries change nothing twice (message ids, and `X-Chatwoot-Delivery` for status changes).
A message Chatwoot cannot deliver to the bot hands the conversation to a person on Chatwoot's
side, so the route answers at once and works the turn in the background.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.context import Services
from agent.proof import InvalidSender, sender_identity
from agent.service import InboundRequest
from api.channels.chatwoot import (
    SOURCE,
    ChatwootSender,
    ConversationEvent,
    MessageEvent,
    channel_of,
    customer_fields,
    record_unanswered,
    resolve_case,
    take_over,
    thread_case,
    thread_of,
)
from api.channels.intake import ChannelIntake
from api.channels.runtime import MAX_TEXT, channel_intake, invalid, json_body, store_policy
from api.channels.signatures import check_timestamped_signature
from api.deps import EngineDep, EventsDep, SettingsDep
from api.errors import ApiError
from api.settings import Settings
from inbox.conversations import (
    DuplicateMessage,
    current_conversation,
    find_message,
    record_message,
)
from inbox.identity import resolve_customer
from inbox.models import Author, ConversationStatus, Direction, OutboxMessage
from inbox.outbound_events import EventSink, report_merges
from inbox.webhook_deliveries import claim_delivery

logger = logging.getLogger("threadline.channels")

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
DELIVERY_HEADER = "X-Chatwoot-Delivery"


# --- handling one delivery -------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One verified delivery, and what its handler may reach."""

    engine: Engine
    events: EventSink
    delivery_id: str | None
    intake: ChannelIntake | None
    """The store's intake (message events only)."""

    @property
    def services(self) -> Services:
        assert self.intake is not None
        return self.intake.resolver.services

    def claim(self, session: Session, topic: str) -> bool:
        """Record the delivery id in the work's transaction; False when it was handled before
        (always True when Chatwoot sent none)."""
        if not self.delivery_id:
            return True
        return claim_delivery(session, SOURCE, self.delivery_id, topic)


def clean_text(content: str | None) -> str:
    """The message's words as stored: no NUL (PostgreSQL refuses it), at most `MAX_TEXT`."""
    return (content or "").replace("\x00", "").strip()[:MAX_TEXT]


def ignored(reason: str) -> dict[str, Any]:
    return {"status": "ignored", "reason": reason}


DUPLICATE: dict[str, Any] = {"status": "duplicate"}


def on_message(delivery: Delivery, event: MessageEvent) -> dict[str, Any]:
    if event.private:
        return ignored("private_note")
    sender = event.sender.type if event.sender else None
    if event.message_type == "incoming":
        return take_customer_message(delivery, event)
    if event.message_type == "outgoing" and sender == "user":
        if sent_by_threadline(delivery.engine, event.id):
            return ignored("sent_by_threadline")  # the token is a person's, not the bot's
        return record_person_reply(delivery, event)
    return ignored("not_for_the_bot")  # the bot's own messages, templates, activity


def sent_by_threadline(engine: Engine, message_id: int) -> bool:
    """Whether Chatwoot gave this id to a message Threadline posted."""
    with Session(engine) as session:
        return (
            session.exec(
                select(OutboxMessage.id).where(
                    OutboxMessage.provider == SOURCE,
                    OutboxMessage.provider_message_id == str(message_id),
                )
            ).first()
            is not None
        )


def take_customer_message(delivery: Delivery, event: MessageEvent) -> dict[str, Any]:
    text = clean_text(event.content)
    if not text:
        return ignored("no_text")
    account, conversation = event.account.id, event.conversation.id
    channel = channel_of(event.conversation)
    services = delivery.services
    fields = customer_fields(channel, account, event.conversation, services.phone_region)
    request = InboundRequest(
        channel=channel.value,
        external_id=f"chatwoot:{event.id}",
        text=text,
        thread_id=thread_of(account, conversation),
        sent_at=event.created_at,
        origin={
            "provider": SOURCE,
            "reply_to": str(conversation),
            "account_id": account,
            "conversation_id": conversation,
        },
        **fields,
    )
    with Session(delivery.engine) as session:
        case = thread_case(session, thread_of(account, conversation))
        person_has_it = case is not None and case.status == ConversationStatus.escalated
    if event.conversation.status == "pending" and not person_has_it:
        assert delivery.intake is not None
        taken = delivery.intake.take(request)
        return {"status": "accepted"} if taken is not None else DUPLICATE
    recorded = record_unanswered(services, request)
    return {"status": "recorded", "answered": False} if recorded is not None else DUPLICATE


def record_person_reply(delivery: Delivery, event: MessageEvent) -> dict[str, Any]:
    """A person on the team wrote to the customer in Chatwoot: their reply joins the case, and
    the case is theirs."""
    account, conversation = event.account.id, event.conversation.id
    thread = thread_of(account, conversation)
    channel = channel_of(event.conversation)
    external_id = f"chatwoot:{event.id}"
    person = event.sender or ChatwootSender()
    services = delivery.services
    with Session(delivery.engine, expire_on_commit=False) as session:
        if find_message(session, channel, external_id) is not None:
            return DUPLICATE
        case = thread_case(session, thread)
        if case is None or case.status == ConversationStatus.resolved:
            # The person wrote before Threadline heard from the customer here: their case.
            fields = customer_fields(channel, account, event.conversation, services.phone_region)
            request = InboundRequest(
                channel=channel.value, external_id=external_id, text="", thread_id=thread, **fields
            )
            sender = sender_identity(request.sender, services.phone_region)
            found = resolve_customer(session, sender.claims, name=fields["name"], channel=channel)
            report_merges(
                session,
                delivery.events,
                found.customer.id,
                found.merged_ids,
                channel=channel.value,
                reason="proven_identifiers",
            )
            case = current_conversation(session, found.customer.id, channel)
        try:
            message = record_message(
                session,
                case,
                direction=Direction.outbound,
                channel=channel,
                author=Author.human,
                text=clean_text(event.content),
                external_id=external_id,
                thread_id=thread,
                sent_at=event.created_at,
                meta={
                    "agent": {"name": clean_text(person.name), "id": person.id},
                    "source": SOURCE,
                },
            )
        except DuplicateMessage:
            session.rollback()
            return DUPLICATE
        if channel.value not in case.channels:
            case.channels = [*case.channels, channel.value]
        if take_over(session, case, channel, message_id=message.id, chatwoot_user=person.id):
            logger.info("a person took Chatwoot conversation %s/%s", account, conversation)
        session.commit()
    return {"status": "recorded", "conversation_id": case.id}


def on_conversation(delivery: Delivery, event: ConversationEvent) -> dict[str, Any]:
    status = {"conversation_opened": "open", "conversation_resolved": "resolved"}.get(
        event.event, event.status
    )
    if status not in ("open", "resolved"):
        return ignored(f"status_{status or 'unknown'}")
    account = event.account_number
    if account is None:
        return ignored("no_account")
    with Session(delivery.engine, expire_on_commit=False) as session:
        case = thread_case(session, thread_of(account, event.id))
        if case is None:
            return ignored("unknown_conversation")
        if not delivery.claim(session, event.event):
            return DUPLICATE
        changed = False
        if status == "open":
            changed = take_over(session, case, channel_of(event), chatwoot_status="open")
        elif case.status != ConversationStatus.resolved:
            resolve_case(session, case, delivery.events)
            changed = True
        session.commit()
        return {"status": "done" if changed else "unchanged", "conversation_id": case.id}


@dataclass(frozen=True)
class Kind:
    payload: type[BaseModel]
    handle: Callable[[Delivery, Any], dict[str, Any]]


EVENTS: dict[str, Kind] = {
    "message_created": Kind(MessageEvent, on_message),
    "conversation_opened": Kind(ConversationEvent, on_conversation),
    "conversation_resolved": Kind(ConversationEvent, on_conversation),
    "conversation_status_changed": Kind(ConversationEvent, on_conversation),
}
"""What each event's payload is and who handles it; other events are acknowledged, ignored."""


# --- the route -------------------------------------------------------------------------------


def webhook_secret(settings: Settings) -> str | None:
    """The bot's signing secret, when the channel is on (secret, token and URL all set)."""
    secret = settings.chatwoot_webhook_secret
    if secret is None or not secret.get_secret_value():
        return None
    if settings.chatwoot_token is None or not settings.chatwoot_url:
        return None
    return secret.get_secret_value()


@router.post("/chatwoot", include_in_schema=False)
async def chatwoot_webhook(
    request: Request, engine: EngineDep, settings: SettingsDep, events: EventsDep
) -> dict[str, Any]:
    """One agent-bot delivery. Chatwoot's contract, not the API's: outside the OpenAPI."""
    secret = webhook_secret(settings)
    if secret is None:
        raise ApiError(404, "not_found", "the Chatwoot channel is not configured")
    body = await request.body()
    check_timestamped_signature(
        body,
        request.headers,
        secret,
        settings.webhook_replay_seconds,
        signature_header=SIGNATURE_HEADER,
        timestamp_header=TIMESTAMP_HEADER,
    )
    document = json_body(body)
    if not isinstance(document, dict) or not isinstance(document.get("event"), str):
        raise ApiError(422, "invalid_payload", "a Chatwoot event is an object with an `event`")
    name = document["event"]
    kind = EVENTS.get(name)
    if kind is None:
        return {"event": name[:100], **ignored("event_not_handled")}
    try:
        payload = kind.payload.model_validate(document)
    except ValidationError as exc:
        raise invalid(exc, f"not a Chatwoot {name} payload") from None
    intake = None
    if isinstance(payload, MessageEvent):
        store_policy(request, channel_of(payload.conversation).value)  # 404 when turned off
        intake = channel_intake(request)
    delivery = Delivery(
        engine=engine,
        events=events,
        delivery_id=request.headers.get(DELIVERY_HEADER, "").strip()[:255] or None,
        intake=intake,
    )
    try:
        outcome = await run_in_threadpool(kind.handle, delivery, payload)
    except InvalidSender as exc:
        raise ApiError(422, "invalid_sender", str(exc)) from exc
    return {"event": name, **outcome}
