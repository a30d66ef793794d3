"""Proactive shipping updates on SMS and WhatsApp: a short message when an order ships, is out
for delivery, is delivered or cannot be delivered, to customers who want one.

For one shipment change of one order, each of `sms` and `whatsapp` decides on its own, in this
order (the first reason to stop is recorded as a `shipping_update_skipped` event, so every
message not sent is visible):

1. the channel takes shipping updates (`channels.<ch>.proactive.shipping_updates`, channel
   enabled) and wants this kind of change (`proactive.events`);
2. the shop knows the order and a phone for it: the shop customer's phone (the number their SMS
   consent is about), else the order's own phone; never the shipping address's, which may be a
   gift recipient's;
3. consent: a recorded answer on the channel (`STOP`/`START`) always wins; otherwise, with
   `opt_in: required`, only the shop's SMS marketing consent (`subscribed`) lets SMS through
   and nothing lets WhatsApp through; with `unless_opted_out`, anyone the shop has not seen
   unsubscribe;
4. not sent before: one row per channel, fulfillment and status (`ship:<ch>:<id>:<status>`), so
   a redelivered webhook or the same status twice sends nothing new;
5. WhatsApp: an approved template is configured, or the customer wrote within 24 hours (free
   text is allowed only then);
6. the frequency cap: at most `max_per_day` shipping updates per customer and channel in any 24
   hours, queued ones included;
7. quiet hours (store time, may wrap midnight): an update due inside them is scheduled for their
   end (the row's `next_attempt_at`).

An update that goes is recorded as the AI's message on the customer's current conversation (so a
reply continues the same session, and `order_replied_to` tells the agent which order "when will
it arrive?" is about) and queued in the outbox for the delivery worker. The customer is found by
the shop's identifiers; one the inbox does not know yet is created, with the shop's customer
record (id, email, phone), or else the order's phone, as proven identifiers: the shop vouches
for them, as it does when the agent links a shop record (`agent.proof.link_shop_customer`).
Updates are fixed wording from the order's facts, not AI replies, so no review stage holds them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from agent.shipment_updates import (
    POLICY_EVENT,
    WORDING,
    OrderContact,
    Shipment,
    Update,
    quiet_until,
    update_text,
)
from inbox.consent import consent_of
from inbox.conversations import as_utc, current_conversation, record_event, record_message
from inbox.identity import IdentityClaim, InvalidIdentifier, canonical_customer, resolve_customer
from inbox.models import (
    Author,
    Channel,
    ConsentState,
    Customer,
    Direction,
    Identity,
    IdentityKind,
    Message,
    OutboxMessage,
    OutboxStatus,
)
from inbox.outbound_events import NO_EVENTS, EventSink, report_merges
from inbox.outbox import queue
from tools.policy import ChannelPolicy, StorePolicy

logger = logging.getLogger("threadline.proactive")

PURPOSE = "shipping_update"
"""The outbox rows' `purpose`, and the recorded message's `meta["proactive"]`."""
CHANNELS: tuple[Channel, ...] = (Channel.sms, Channel.whatsapp)
PROVIDERS = {Channel.sms: "twilio", Channel.whatsapp: "whatsapp"}
CAP_PERIOD = timedelta(hours=24)
WHATSAPP_WINDOW = timedelta(hours=24)
REPLY_WINDOW = timedelta(days=7)
"""A message answers a shipping update when nothing else was said on the channel in between
and it came within this long."""
SKIPPED_EVENT = "shipping_update_skipped"
QUEUED_EVENT = "shipping_update_queued"


class Outcome(StrEnum):
    queued = "queued"
    scheduled = "scheduled"
    """Queued for the end of quiet hours."""
    skipped = "skipped"


class Skip(StrEnum):
    """Why an update did not go on a channel (the skip event's `reason`)."""

    updates_off = "updates_off"
    not_an_update = "not_an_update"
    """A status no customer needs to hear of (label printed, confirmed), or a cancelled
    fulfillment."""
    event_not_wanted = "event_not_wanted"
    unknown_order = "unknown_order"
    no_phone = "no_phone"
    opted_out = "opted_out"
    no_consent = "no_consent"
    already_sent = "already_sent"
    needs_template = "needs_template"
    capped = "capped"


@dataclass(frozen=True)
class Decision:
    """What became of the update on one channel."""

    channel: str
    outcome: Outcome
    reason: Skip | None = None
    outbox_id: str | None = None
    send_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "outcome": self.outcome.value,
            "reason": self.reason.value if self.reason else None,
            "outbox_id": self.outbox_id,
            "send_at": self.send_at.isoformat() if self.send_at else None,
        }


# --- deciding ---------------------------------------------------------------------------------


def dedupe_key(channel: Channel | str, shipment: Shipment, update: Update) -> str:
    return f"ship:{Channel(channel).value}:{shipment.fulfillment_id}:{update.value}"


def shipping_update(
    session: Session,
    policy: StorePolicy,
    shipment: Shipment,
    contact: OrderContact | None,
    *,
    now: datetime,
    region: str = "US",
    events: EventSink = NO_EVENTS,
) -> list[Decision]:
    """Decide and queue the update on each channel, in the caller's transaction (it commits)."""
    now = as_utc(now)
    update = shipment.update
    phone = _e164(contact.phone if contact else None, region)
    order = contact.order_name if contact else shipment.order_name
    facts = {
        "order": order,
        "fulfillment_id": shipment.fulfillment_id,
        "status": shipment.status,
    }
    known = _customer_by_phone(session, phone)
    decisions: dict[Channel, Decision] = {}
    passing: list[tuple[Channel, ChannelPolicy, Update]] = []
    for channel in CHANNELS:
        rule = policy.channels.get(channel.value)
        reason = _first_check(session, rule, channel, shipment, update, contact, phone)
        if reason is not None:
            decisions[channel] = _skip(session, channel, reason, known, facts)
        else:
            assert rule is not None and update is not None
            passing.append((channel, rule, update))
    if passing:
        assert contact is not None and phone is not None
        customer = _customer(session, contact, phone, passing[0][0], events)
        for channel, rule, change in passing:
            decisions[channel] = _send(
                session, policy, rule, channel, shipment, change, contact, phone, customer, now
            )
    outcomes = [decisions[channel] for channel in CHANNELS]
    logger.info(
        "shipping update %s for %s: %s",
        shipment.status or "shipped",
        order,
        ", ".join(f"{d.channel} {d.reason or d.outcome}" for d in outcomes),
    )
    return outcomes


def _first_check(
    session: Session,
    rule: ChannelPolicy | None,
    channel: Channel,
    shipment: Shipment,
    update: Update | None,
    contact: OrderContact | None,
    phone: str | None,
) -> Skip | None:
    """Checks 1-4 of the module docstring (none needs the customer's record)."""
    if rule is None or not rule.enabled or not rule.proactive.shipping_updates:
        return Skip.updates_off
    if update is None:
        return Skip.not_an_update
    if POLICY_EVENT[update] not in rule.proactive.events:
        return Skip.event_not_wanted
    if contact is None:
        return Skip.unknown_order
    if phone is None:
        return Skip.no_phone
    refused = _consent(session, rule, channel, phone, contact)
    if refused is not None:
        return refused
    key = dedupe_key(channel, shipment, update)
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
        return Skip.already_sent
    return None


def _consent(
    session: Session, rule: ChannelPolicy, channel: Channel, phone: str, contact: OrderContact
) -> Skip | None:
    recorded = consent_of(session, channel, phone)
    if recorded == ConsentState.opted_out:
        return Skip.opted_out
    if recorded == ConsentState.opted_in:
        return None
    shop = contact.sms_marketing if channel is Channel.sms and contact.phone_is_customers else None
    if shop in ("unsubscribed", "redacted"):
        return Skip.opted_out
    if rule.proactive.opt_in == "unless_opted_out" or shop == "subscribed":
        return None
    return Skip.no_consent


def _send(
    session: Session,
    policy: StorePolicy,
    rule: ChannelPolicy,
    channel: Channel,
    shipment: Shipment,
    update: Update,
    contact: OrderContact,
    phone: str,
    customer: Customer,
    now: datetime,
) -> Decision:
    """Checks 5-7 for a known customer, then the message and its outbox row."""
    facts = {
        "order": contact.order_name,
        "fulfillment_id": shipment.fulfillment_id,
        "status": shipment.status,
    }
    proactive = rule.proactive
    template = proactive.template if channel is Channel.whatsapp else None
    free_text_only = channel is Channel.whatsapp and not template
    if free_text_only and not _wrote_within(session, customer.id, channel, now, WHATSAPP_WINDOW):
        return _skip(session, channel, Skip.needs_template, customer.id, facts)
    stale = _waiting(session, channel, shipment, now)
    if _sent_lately(session, customer.id, channel, now) - len(stale) >= proactive.max_per_day:
        return _skip(session, channel, Skip.capped, customer.id, facts)
    quiet_end = quiet_until(now, proactive.quiet_hours, policy.store.timezone)
    send_at = quiet_end or now
    text = update_text(
        policy.store.name,
        update,
        contact.order_name,
        carrier=shipment.carrier,
        tracking_url=shipment.tracking_url,
        channel=channel,
    )
    key = dedupe_key(channel, shipment, update)
    meta: dict[str, Any] = {"order": contact.order_name, "update": update.value}
    if template:
        parameters = [contact.first_name or "there", contact.order_name, WORDING[update].phrase]
        meta["template"] = {
            "name": template,
            "language": proactive.template_language,
            "parameters": parameters,
        }
    try:
        with session.begin_nested():
            _supersede(session, stale, key)
            conversation = current_conversation(session, customer.id, channel)
            message = record_message(
                session,
                conversation,
                direction=Direction.outbound,
                channel=channel,
                author=Author.ai,
                text=text,
                sent_at=send_at,
                meta={
                    "proactive": PURPOSE,
                    "order": contact.order_name,
                    "fulfillment_id": shipment.fulfillment_id,
                    "update": update.value,
                    "dedupe_key": key,
                },
            )
            row = queue(
                session,
                OutboxMessage(
                    customer_id=customer.id,
                    conversation_id=conversation.id,
                    message_id=message.id,
                    channel=channel,
                    provider=PROVIDERS[channel],
                    recipient=phone,
                    purpose=PURPOSE,
                    body=text,
                    meta=meta,
                    dedupe_key=key,
                    next_attempt_at=send_at,
                    created_at=now,
                ),
            )
            if row.message_id != message.id:
                raise _QueuedElsewhere
    except _QueuedElsewhere:  # a concurrent delivery queued the same update first
        return _skip(session, channel, Skip.already_sent, customer.id, facts)
    outcome = Outcome.scheduled if quiet_end else Outcome.queued
    record_event(
        session,
        QUEUED_EVENT,
        channel=channel.value,
        customer_id=customer.id,
        conversation_id=conversation.id,
        payload={
            **facts,
            "outbox_id": row.id,
            "outcome": outcome.value,
            "send_at": send_at.isoformat(),
        },
    )
    return Decision(channel.value, outcome, outbox_id=row.id, send_at=send_at)


class _QueuedElsewhere(Exception):
    """Undoes the message of an update another delivery queued meanwhile."""


def _skip(
    session: Session,
    channel: Channel,
    reason: Skip,
    customer_id: str | None,
    facts: dict[str, Any],
) -> Decision:
    record_event(
        session,
        SKIPPED_EVENT,
        channel=channel.value,
        customer_id=customer_id,
        payload={**facts, "reason": reason.value},
    )
    return Decision(channel.value, Outcome.skipped, reason=reason)


def _e164(phone: str | None, region: str) -> str | None:
    if not phone:
        return None
    try:
        return IdentityClaim.of(IdentityKind.phone, phone, verified=True, region=region).value
    except InvalidIdentifier:
        return None


def _customer_by_phone(session: Session, phone: str | None) -> str | None:
    """The inbox customer who has this phone, without creating one."""
    if phone is None:
        return None
    row = session.exec(
        select(Identity).where(Identity.kind == IdentityKind.phone, Identity.value == phone)
    ).first()
    customer = canonical_customer(session, row.customer_id) if row else None
    return customer.id if customer else None


def _customer(
    session: Session, contact: OrderContact, phone: str, channel: Channel, events: EventSink
) -> Customer:
    """The inbox customer for the order's contact, found or created (see the module docstring)."""
    claims = [IdentityClaim(IdentityKind.phone, phone, True)]
    for kind, value in (
        (IdentityKind.shopify, contact.shopify_customer_id),
        (IdentityKind.email, contact.email),
    ):
        if value:
            try:
                claims.append(IdentityClaim.of(kind, value, verified=True))
            except InvalidIdentifier:
                continue
    resolution = resolve_customer(session, claims, name=contact.name, channel=channel.value)
    report_merges(
        session,
        events,
        resolution.customer.id,
        resolution.merged_ids,
        channel=channel.value,
        reason="shop_record",
    )
    return resolution.customer


def _wrote_within(
    session: Session, customer_id: str, channel: Channel, now: datetime, period: timedelta
) -> bool:
    latest = session.exec(
        select(func.max(Message.sent_at)).where(
            Message.customer_id == customer_id,
            Message.channel == channel,
            Message.direction == Direction.inbound,
        )
    ).one()
    return latest is not None and now - as_utc(latest) < period


def _waiting(
    session: Session, channel: Channel, shipment: Shipment, now: datetime
) -> list[OutboxMessage]:
    """Earlier updates of this shipment on the channel still waiting for quiet hours to end
    (not being sent): a newer update replaces them."""
    prefix = f"ship:{channel.value}:{shipment.fulfillment_id}:"
    return list(
        session.exec(
            select(OutboxMessage).where(
                OutboxMessage.purpose == PURPOSE,
                OutboxMessage.channel == channel,
                OutboxMessage.status == OutboxStatus.pending,
                col(OutboxMessage.dedupe_key).startswith(prefix, autoescape=True),
                col(OutboxMessage.next_attempt_at) > now,
                col(OutboxMessage.lease_until).is_(None),
            )
        ).all()
    )


def _supersede(session: Session, stale: list[OutboxMessage], key: str) -> None:
    """Mark waiting updates replaced by `key`'s: not sent, and their messages off the
    conversation's sent record (kept as internal notes)."""
    for row in stale:
        row.status = OutboxStatus.superseded
        row.last_error = f"replaced by a later update ({key})"
        session.add(row)
        message = session.get(Message, row.message_id) if row.message_id else None
        if message is not None:
            message.direction = Direction.internal
            message.meta = {**message.meta, "superseded_by": key}
            session.add(message)
    session.flush()


def _sent_lately(session: Session, customer_id: str, channel: Channel, now: datetime) -> int:
    """Shipping updates queued for the customer on the channel in the last 24 hours."""
    return int(
        session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.customer_id == customer_id,
                OutboxMessage.channel == channel,
                OutboxMessage.purpose == PURPOSE,
                OutboxMessage.status != OutboxStatus.superseded,
                col(OutboxMessage.created_at) > now - CAP_PERIOD,
            )
        ).one()
    )


def order_replied_to(
    session: Session, customer_id: str, channel: str, message_id: str
) -> str | None:
    """The order of the shipping update that `message_id` answers: the last message on the
    channel before it, when that is an update sent within `REPLY_WINDOW`; else None."""
    inbound = session.get(Message, message_id)
    if inbound is None:
        return None
    sent_at = as_utc(inbound.sent_at)
    before = session.exec(
        select(Message)
        .where(
            Message.customer_id == customer_id,
            Message.channel == Channel(channel),
            Message.id != message_id,
            col(Message.sent_at) <= sent_at,
        )
        .order_by(col(Message.sent_at).desc(), col(Message.id).desc())
    ).first()
    if before is None or before.direction != Direction.outbound:
        return None
    if before.meta.get("proactive") != PURPOSE or sent_at - as_utc(before.sent_at) > REPLY_WINDOW:
        return None
    order = before.meta.get("order")
    return str(order) if order else None
