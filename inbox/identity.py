"""Identity resolution: which customer is this, across every channel they write from?

The rules, in order of trust:

* A *verified* identifier is one the channel proved (the email came from that address, the SMS
  from that phone) or the customer proved (e.g. by matching an order). An *unverified* one is a
  claim ("my email is …").
* A verified identifier that matches a verified identity is strong evidence: the sender is that
  customer. When one message carries strong evidence for several customers, they are one person,
  and the records are merged into the oldest, with an audit event.
* A verified identifier that matches an identity someone only *claimed* moves to the prover.
* An unverified claim never joins a message to another customer and never triggers a merge; it is
  reported as a conflict so the agent can ask the customer to prove it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlmodel import Session, col, select

from inbox.models import (
    Conversation,
    Customer,
    Event,
    Identity,
    IdentityKind,
    Message,
    utcnow,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HANDLE = re.compile(r"^[a-z0-9._\-]{1,100}$")
_SHOPIFY_GID = re.compile(r"^gid://shopify/Customer/([0-9]+)$")


class InvalidIdentifier(ValueError):
    """An identifier that cannot be normalised (a malformed email, an impossible phone number)."""


def normalise(kind: IdentityKind | str, value: str, default_region: str = "US") -> str:
    """The canonical form under which an identifier is stored and matched.

    NUL characters are dropped first, as the API drops them from every request: no identifier
    has one, and PostgreSQL refuses them whichever way a value arrives (a webhook, a shop).
    """
    kind = IdentityKind(kind)
    raw = value.replace("\x00", "").strip()
    if not raw:
        raise InvalidIdentifier(f"{kind.value}: empty value")
    if kind is IdentityKind.email:
        email = raw.lower()
        if not _EMAIL.match(email) or len(email) > 320:
            raise InvalidIdentifier("email: not an email address")
        return email
    if kind in (IdentityKind.phone, IdentityKind.whatsapp):
        return _e164(raw, default_region, kind.value)
    if kind is IdentityKind.instagram:
        handle = raw.lstrip("@").lower()
        if not _HANDLE.match(handle):
            raise InvalidIdentifier("instagram: not a handle")
        return handle
    if kind is IdentityKind.shopify:
        match = _SHOPIFY_GID.match(raw)
        number = match.group(1) if match else raw
        if not (number.isascii() and number.isdigit()):  # "²".isdigit() is true
            raise InvalidIdentifier("shopify: not a Shopify customer id")
        return number
    if len(raw) > 255:
        raise InvalidIdentifier(f"{kind.value}: too long")
    return raw


def _e164(raw: str, default_region: str, label: str) -> str:
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(f"{label}: not a phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentifier(f"{label}: not a possible phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # A national number of zeros reads back as a shorter one ("+43000000" → "+4300000" →
    # "+430000"): refused, so that a stored number always matches itself written again.
    again = phonenumbers.parse(e164)
    if phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164) != e164:
        raise InvalidIdentifier(f"{label}: not a possible phone number")
    return e164


@dataclass(frozen=True)
class IdentityClaim:
    """One identifier a message carries, already normalised."""

    kind: IdentityKind
    value: str
    verified: bool

    def __post_init__(self) -> None:
        # Rows read back from the database carry the kind as a plain string.
        object.__setattr__(self, "kind", IdentityKind(self.kind))

    @classmethod
    def of(
        cls, kind: IdentityKind | str, value: str, *, verified: bool, region: str = "US"
    ) -> IdentityClaim:
        return cls(IdentityKind(kind), normalise(kind, value, region), verified)


@dataclass
class Resolution:
    """The outcome of resolving one message's identifiers."""

    customer: Customer
    created: bool = False
    linked: list[Identity] = field(default_factory=list)
    """Identities added to the customer by this message."""
    merged_ids: list[str] = field(default_factory=list)
    """Customers folded into `customer` because this message proved they are one person."""
    conflicts: list[IdentityClaim] = field(default_factory=list)
    """Unverified claims that belong to another customer: not linked, worth verifying."""


def canonical_customer(session: Session, customer_id: str) -> Customer | None:
    """The customer record that now stands for `customer_id`, following merges."""
    customer = session.get(Customer, customer_id)
    seen: set[str] = set()
    while customer is not None and customer.merged_into_id and customer.id not in seen:
        seen.add(customer.id)
        customer = session.get(Customer, customer.merged_into_id)
    return customer


def resolve_customer(
    session: Session,
    claims: list[IdentityClaim],
    *,
    name: str | None = None,
    channel: str | None = None,
) -> Resolution:
    """Find or create the customer behind `claims`, linking and merging as the rules allow."""
    if not claims:
        raise InvalidIdentifier("a message needs at least one identifier of its sender")
    claims = _dedupe(claims)
    rows = {c: _find_identity(session, c) for c in claims}

    strong: list[Customer] = []
    for claim, row in rows.items():
        if claim.verified and row is not None and row.verified:
            owner = canonical_customer(session, row.customer_id)
            if owner is not None and owner.id not in {c.id for c in strong}:
                strong.append(owner)

    resolution: Resolution
    if not strong:
        customer = Customer(name=name)
        session.add(customer)
        session.flush()
        resolution = Resolution(customer=customer, created=True)
        _event(session, "customer_created", customer.id, channel, {})
    else:
        survivor, *others = sorted(strong, key=lambda c: (c.created_at, c.id))
        resolution = Resolution(customer=survivor)
        for absorbed in others:
            evidence = [c.kind.value for c, r in rows.items() if r and c.verified]
            merge_customers(
                session,
                survivor,
                absorbed,
                reason="verified_identifiers",
                channel=channel,
                evidence={"kinds": evidence},
            )
            resolution.merged_ids.append(absorbed.id)
        if name and not survivor.name:
            survivor.name = name

    customer = resolution.customer
    for claim, row in rows.items():
        if row is None:
            identity = Identity(
                customer_id=customer.id, kind=claim.kind, value=claim.value, verified=claim.verified
            )
            session.add(identity)
            resolution.linked.append(identity)
            continue
        owner = canonical_customer(session, row.customer_id)
        if owner is not None and owner.id == customer.id:
            if claim.verified and not row.verified:
                row.verified = True
                _event(
                    session, "identity_verified", customer.id, channel, {"kind": claim.kind.value}
                )
            continue
        if claim.verified:  # the row was only claimed by its owner: the prover takes it
            previous = row.customer_id
            row.customer_id = customer.id
            row.verified = True
            resolution.linked.append(row)
            _event(
                session,
                "identity_reassigned",
                customer.id,
                channel,
                {"kind": claim.kind.value, "identity_id": row.id, "from_customer_id": previous},
            )
        else:
            resolution.conflicts.append(claim)
            _event(
                session,
                "identity_conflict",
                customer.id,
                channel,
                {
                    "kind": claim.kind.value,
                    "identity_id": row.id,
                    "owner_customer_id": row.customer_id,
                },
            )
    for identity in resolution.linked:
        _event(
            session,
            "identity_linked",
            customer.id,
            channel,
            {"kind": identity.kind, "verified": identity.verified},
        )
    customer.updated_at = utcnow()
    session.flush()
    return resolution


def merge_customers(
    session: Session,
    survivor: Customer,
    absorbed: Customer,
    *,
    reason: str,
    channel: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> None:
    """Fold `absorbed` into `survivor`: identities, conversations and messages all move.

    The absorbed record stays, pointing at the survivor, so old ids keep resolving; the merge is
    recorded as a `customers_merged` event for audit.
    """
    if survivor.id == absorbed.id:
        return
    moved: dict[str, int] = {}
    for model in (Identity, Conversation, Message):
        rows = session.exec(select(model).where(col(model.customer_id) == absorbed.id)).all()
        for row in rows:
            row.customer_id = survivor.id
        moved[model.__tablename__] = len(rows)
    absorbed.merged_into_id = survivor.id
    absorbed.updated_at = utcnow()
    if not survivor.name and absorbed.name:
        survivor.name = absorbed.name
    _event(
        session,
        "customers_merged",
        survivor.id,
        channel,
        {"absorbed_customer_id": absorbed.id, "reason": reason, "moved": moved, **(evidence or {})},
    )
    session.flush()


def _dedupe(claims: list[IdentityClaim]) -> list[IdentityClaim]:
    merged: dict[tuple[IdentityKind, str], bool] = {}
    for claim in claims:
        key = (claim.kind, claim.value)
        merged[key] = merged.get(key, False) or claim.verified
    return [IdentityClaim(kind, value, verified) for (kind, value), verified in merged.items()]


def _find_identity(session: Session, claim: IdentityClaim) -> Identity | None:
    return session.exec(
        select(Identity).where(Identity.kind == claim.kind, Identity.value == claim.value)
    ).first()


def _event(
    session: Session, kind: str, customer_id: str, channel: str | None, payload: dict[str, Any]
) -> None:
    session.add(Event(kind=kind, customer_id=customer_id, channel=channel, payload=payload))


def link_verified(
    session: Session,
    customer_id: str,
    claims: list[IdentityClaim],
    *,
    channel: str | None = None,
    source: str = "proof",
) -> Resolution:
    """Attach identifiers that were just proven for `customer_id` (by an order, by the shop).

    Goes through `resolve_customer` anchored on the customer's own verified identities, so a
    proven identifier that belongs to another record merges the two, with the usual audit.
    """
    customer = canonical_customer(session, customer_id)
    if customer is None:
        raise ValueError(f"no customer {customer_id}")
    anchors = [
        IdentityClaim(row.kind, row.value, True)
        for row in session.exec(
            select(Identity).where(Identity.customer_id == customer.id, col(Identity.verified))
        ).all()
    ]
    proven = [IdentityClaim(c.kind, c.value, True) for c in claims]
    if not anchors:
        # Nothing proven yet (e.g. a new chat visitor): anchor on the record itself.
        for claim in proven:
            row = _find_identity(session, claim)
            if row is None:
                session.add(
                    Identity(
                        customer_id=customer.id, kind=claim.kind, value=claim.value, verified=True
                    )
                )
        session.flush()
        anchors = proven[:1]
    resolution = resolve_customer(session, anchors + proven, channel=channel)
    _event(
        session,
        "identity_proven",
        resolution.customer.id,
        channel,
        {"kinds": sorted({c.kind.value for c in proven}), "source": source},
    )
    session.flush()
    return resolution
