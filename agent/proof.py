"""Identity proof: what a message proves about its sender, and what the customer proves later.

The one home of the rules (README "POST /v1/messages", DESIGN §3.3):

* The channel's own sender identifier is proven: the email on email; the phone on SMS, WhatsApp
  and voice; the handle on chat (the widget's visitor id), Instagram and Messenger.
* The calling helpdesk may vouch for more with `customer.verified` (a logged-in shopper).
* Everything else is a claim. An order number together with the email or phone on that order
  opens *that order* for reading (a grant, kept in the session state); it never merges records.
  A claimed email or phone becomes proven only by a one-time code sent to it
  (`agent.verification`, then `link_proven`), or by the shop's customer record joining it to a
  proven email or phone of the same account (`link_shop_customer`). Writes (cancel, return,
  refund, address change) need a proven identity unless `verification.writes: claim`.
* A message needs at least one identifier or a `thread_id`. When nothing it carries is proven,
  the session is keyed by the sender's handle, else the thread, else the claimed identifier
  (namespaced by channel): a *session key* continues the conversation but opens no order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from inbox.identity import (
    IdentityClaim,
    InvalidIdentifier,
    canonical_customer,
    link_verified,
)
from inbox.models import Identity, IdentityKind
from inbox.outbound_events import NO_EVENTS, EventSink, report_merges
from tools.identity import CustomerIdentity
from tools.results import Status

SENDER_FIELD = {
    "email": "email",
    "sms": "phone",
    "voice": "phone",
    "whatsapp": "phone",
    "chat": "handle",
    "instagram": "handle",
    "messenger": "handle",
}
"""The `customer` field that names the sender on each channel (proven by the channel itself)."""
VOUCHABLE = ("email", "phone", "handle")
"""What `customer.verified` may name."""


class InvalidSender(ValueError):
    """The message names no sender at all, or carries a malformed identifier."""


@dataclass(frozen=True)
class Sender:
    """The identifiers one inbound message carries, as the helpdesk sent them."""

    channel: str
    email: str | None = None
    phone: str | None = None
    handle: str | None = None
    thread_id: str | None = None
    verified: Sequence[str] = ()
    """Fields (`email`, `phone`, `handle`) the calling helpdesk authenticated."""


@dataclass(frozen=True)
class SenderIdentity:
    """What resolving the sender works from: proven and claimed identifiers, and the session key."""

    claims: list[IdentityClaim]
    """Every identifier to resolve the customer with (proven ones marked verified)."""
    claimed: dict[str, str] = field(default_factory=dict)
    """Normalised email/phone the sender only claimed (the agent may ask them to prove it)."""
    session_key: str | None = None
    """The key that carries an otherwise anonymous session (None when something is proven)."""


def proven_fields(sender: Sender) -> set[str]:
    """Which of the sender's fields count as proven on this channel."""
    proven = {field_name for field_name in sender.verified if field_name in VOUCHABLE}
    native = SENDER_FIELD.get(sender.channel)
    if native:
        proven.add(native)
    return {name for name in proven if getattr(sender, name)}


def _handle_kind(channel: str) -> IdentityKind:
    if channel == "instagram":
        return IdentityKind.instagram
    if channel == "messenger":
        return IdentityKind.messenger
    return IdentityKind.chat_visitor


def _handle_value(channel: str, handle: str) -> str:
    # On channels whose sender is an email or a phone, a handle is the helpdesk's own contact id:
    # namespaced so it never collides with a chat widget's visitor id.
    return handle if channel in ("chat", "instagram", "messenger") else f"{channel}:{handle}"


def sender_identity(sender: Sender, region: str) -> SenderIdentity:
    """Split the sender's identifiers into proven and claimed ones (see the module docstring)."""
    if not (sender.email or sender.phone or sender.handle or sender.thread_id):
        raise InvalidSender(
            "a message needs customer.email, customer.phone, customer.handle or thread_id"
        )
    unknown = [name for name in sender.verified if name not in VOUCHABLE]
    if unknown:
        raise InvalidSender(f"customer.verified may name email, phone or handle, not {unknown}")
    missing = [name for name in sender.verified if not getattr(sender, name)]
    if missing:
        raise InvalidSender(f"customer.verified names {missing} but the message does not carry it")
    proven = proven_fields(sender)
    claims: list[IdentityClaim] = []
    claimed: dict[str, str] = {}
    try:
        if sender.email:
            claim = IdentityClaim.of("email", sender.email, verified="email" in proven)
            claims.append(claim)
            if not claim.verified:
                claimed["email"] = claim.value
        if sender.phone:
            claim = IdentityClaim.of(
                "phone", sender.phone, verified="phone" in proven, region=region
            )
            claims.append(claim)
            if sender.channel == "whatsapp" and claim.verified:
                claims.append(IdentityClaim(IdentityKind.whatsapp, claim.value, True))
            if not claim.verified:
                claimed["phone"] = claim.value
        if sender.handle:
            kind = _handle_kind(sender.channel)
            value = _handle_value(sender.channel, sender.handle)
            # A handle always keys the session: it proves "the same sender as before".
            claims.append(IdentityClaim.of(kind, value, verified=True))
    except InvalidIdentifier as exc:
        raise InvalidSender(str(exc)) from exc
    if any(claim.verified for claim in claims):
        return SenderIdentity(claims, claimed)
    key = _session_key(sender, claimed)
    claims.append(IdentityClaim(IdentityKind.chat_visitor, key, True))
    return SenderIdentity(claims, claimed, session_key=key)


def _session_key(sender: Sender, claimed: dict[str, str]) -> str:
    if sender.thread_id:
        thread = sender.thread_id.strip()[:200]
        return thread if sender.channel == "chat" else f"thread:{sender.channel}:{thread}"
    kind, value = next(iter(sorted(claimed.items())))
    return f"claim:{sender.channel}:{kind}:{value}"


# --- proof the customer gives later -----------------------------------------------------------
def load_identity(session: Session, customer_id: str) -> dict[str, Any]:
    """The customer's identifiers, split into what is proven (usable for orders) and all known."""
    customer = canonical_customer(session, customer_id)
    rows = session.exec(
        select(Identity).where(Identity.customer_id == (customer.id if customer else customer_id))
    ).all()
    verified = [row for row in rows if row.verified]
    return {
        "customer_id": customer.id if customer else customer_id,
        "name": customer.name if customer else None,
        "emails": sorted(r.value for r in verified if r.kind == "email"),
        "phones": sorted(r.value for r in verified if r.kind in ("phone", "whatsapp")),
        "shopify_customer_id": next((r.value for r in verified if r.kind == "shopify"), None),
        "known": [{"kind": str(r.kind), "value": r.value, "verified": r.verified} for r in rows],
    }


def customer_identity(
    identity: dict[str, Any],
    *,
    extra_emails: Sequence[str] = (),
    extra_phones: Sequence[str] = (),
) -> CustomerIdentity:
    """The proven identifiers as the order tools check ownership with."""
    return CustomerIdentity.of(
        email=[*identity.get("emails", []), *extra_emails],
        phone=[*identity.get("phones", []), *extra_phones],
        shopify_customer_id=identity.get("shopify_customer_id"),
    )


def shop_lookup_key(identity: dict[str, Any]) -> str:
    """The proven identifiers a shop lookup was made with."""
    return ",".join([*identity.get("emails", []), *identity.get("phones", [])])


def link_shop_customer(
    session: Session,
    identity: dict[str, Any],
    tools: Any,
    channel: str,
    checked: str | None = None,
    events: EventSink = NO_EVENTS,
) -> tuple[dict[str, Any], str | None, str | None]:
    """Join the shop's customer record to a customer we can identify by a proven email/phone.

    The merchant's record says which email, phone and Shopify id are one account; linking them
    is what lets an SMS find the case that started by email. Returns the identity, the key of a
    lookup that found no single record (`checked`, so the same identifiers are not looked up on
    every message), and the lookup's status for the trace (None when no lookup was made).
    """
    key = shop_lookup_key(identity)
    if tools is None or identity.get("shopify_customer_id") or not key or key == checked:
        return identity, checked, None
    proven = CustomerIdentity.of(email=identity["emails"], phone=identity["phones"])
    result = tools.lookup_customer(proven)
    records = result.data.get("customers") or []
    if result.status is Status.FAILED:
        return identity, checked, result.status.value  # try again next message
    if result.status is not Status.DONE or len(records) != 1:
        return identity, key, result.status.value
    record = records[0]
    claims: list[IdentityClaim] = []
    for kind, value in (
        ("shopify", record.get("id")),
        ("email", record.get("email")),
        ("phone", record.get("phone")),
    ):
        if value:
            try:
                claims.append(IdentityClaim.of(kind, str(value), verified=True))
            except InvalidIdentifier:
                continue
    resolution = link_verified(
        session, identity["customer_id"], claims, channel=channel, source="shop"
    )
    report_merges(
        session,
        events,
        resolution.customer.id,
        resolution.merged_ids,
        channel=channel,
        reason="shop_record",
    )
    if record.get("name") and not resolution.customer.name:
        resolution.customer.name = record["name"]
    session.commit()
    return load_identity(session, resolution.customer.id), checked, result.status.value


def link_proven(
    session: Session,
    customer_id: str,
    kind: str,
    value: str,
    *,
    channel: str,
    source: str,
    events: EventSink = NO_EVENTS,
) -> dict[str, Any]:
    """The customer proved they control `value` (a one-time code): link it to them.

    This is the only proof after the fact that joins records: a record that already holds the
    identifier as proven is merged into the customer's, with the usual audit event. Returns the
    customer's identity afterwards.
    """
    claim = IdentityClaim.of(kind, value, verified=True)
    resolution = link_verified(session, customer_id, [claim], channel=channel, source=source)
    report_merges(
        session,
        events,
        resolution.customer.id,
        resolution.merged_ids,
        channel=channel,
        reason=f"proven_{source}",
    )
    session.commit()
    return load_identity(session, resolution.customer.id)
