"""Privacy duties: export everything held on a person, erase it, or erase the whole shop.

A *subject* is every customer record that one person's identifiers reach (Shopify customer id,
email, phone; matched after normalisation, claimed or proven), together with the records merged
into those or that they were merged into. What a subject owns in each table is written once
(`Subject.owns`), and both the export and the erasure read it, so an export never shows data
that an erasure would leave behind.

Erasure deletes rows; what remains is a tombstone event (`customer_redacted`, `shop_redacted`)
holding counts and a keyed digest of the person's Shopify id, never their data. The agent's
checkpointed sessions live outside these tables and are reached through `Sessions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, delete, false, or_, true, update
from sqlmodel import Session, SQLModel, col, select

from inbox.conversations import record_event
from inbox.identity import InvalidIdentifier, canonical_customer, normalise
from inbox.models import (
    ChannelConsent,
    Conversation,
    Customer,
    Escalation,
    Event,
    Identity,
    IdentityKind,
    Message,
    OutboxMessage,
    PrivacyExport,
    Review,
    ToolCall,
    Trace,
    VerificationCode,
)

PRIVACY_EVENTS = frozenset(
    {
        "customer_data_exported",
        "customer_redacted",
        "shop_redacted",
        "privacy_request_ignored",
        "privacy_export_read",
    }
)
"""Events that record a privacy duty itself: they hold no personal data and outlive erasures."""

_CONTACT_KINDS = (IdentityKind.email, IdentityKind.phone, IdentityKind.whatsapp)


class Sessions(Protocol):
    """The agent's checkpointed sessions: one thread per customer id."""

    def state(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's latest values, or None when it has none."""
        ...

    def delete(self, thread_id: str) -> None:
        """Remove the thread with every checkpoint and pending write."""
        ...

    def thread_ids(self) -> set[str]:
        """Every thread that has a checkpoint."""
        ...


@dataclass(frozen=True)
class Subject:
    """Whose data a privacy duty covers."""

    customer_ids: tuple[str, ...] = ()
    """The customer records, merged ones included."""
    contacts: tuple[str, ...] = ()
    """Normalised emails and phones that reach the person: codes and outbox messages addressed
    to them are theirs, whichever record asked for them."""
    shopify_customer_id: str | None = None
    everything: bool = False
    """The whole shop: every customer, and the rows that belong to no customer."""

    def owns(self, model: type[SQLModel]) -> ColumnElement[bool]:
        """The rows of `model` that hold this subject's data."""
        if self.everything:
            return col(Event.kind).not_in(PRIVACY_EVENTS) if model is Event else true()
        ids = list(self.customer_ids)
        conversations = select(Conversation.id).where(col(Conversation.customer_id).in_(ids))
        messages = select(Message.id).where(col(Message.customer_id).in_(ids))
        if model is Customer:
            return col(Customer.id).in_(ids)
        if model in (Identity, Conversation):
            return col(model.customer_id).in_(ids)
        if model in (Message, Escalation, Trace):
            return or_(
                col(model.customer_id).in_(ids),
                col(model.conversation_id).in_(conversations),
            )
        if model is Review:
            return or_(
                col(Review.conversation_id).in_(conversations), col(Review.message_id).in_(messages)
            )
        if model is Event:
            return and_(
                col(Event.kind).not_in(PRIVACY_EVENTS),
                or_(
                    col(Event.customer_id).in_(ids),
                    col(Event.conversation_id).in_(conversations),
                ),
            )
        if model is ToolCall:
            # Write keys are `<tool>:<customer id>:<proposal id>` (the agent's pending actions).
            keys = [col(ToolCall.idempotency_key).contains(f":{i}:", autoescape=True) for i in ids]
            return or_(false(), *keys)
        if model is VerificationCode:
            return or_(
                col(VerificationCode.customer_id).in_(ids),
                col(VerificationCode.value).in_(self.contacts),
            )
        if model is OutboxMessage:
            return or_(
                col(OutboxMessage.customer_id).in_(ids),
                col(OutboxMessage.recipient).in_(self.contacts),
            )
        if model is ChannelConsent:
            return or_(
                col(ChannelConsent.customer_id).in_(ids),
                col(ChannelConsent.address).in_(self.contacts),
            )
        raise ValueError(f"no ownership rule for {model.__name__}")

    def owns_export(self, shopify_customer_id: str | None, customer_ids: Iterable[str]) -> bool:
        """Whether an export (made for that Shopify id, of those records) is this subject's."""
        if self.everything:
            return True
        named = self.shopify_customer_id is not None
        return (named and shopify_customer_id == self.shopify_customer_id) or bool(
            set(customer_ids) & set(self.customer_ids)
        )


def find_subject(
    session: Session,
    *,
    shopify_customer_id: int | str | None = None,
    email: str | None = None,
    phone: str | None = None,
    region: str = "US",
) -> Subject:
    """The records the shop's identifiers reach, normalised as identity resolution stores them."""
    wanted: list[tuple[IdentityKind, str]] = []
    for kind, value in (
        (IdentityKind.shopify, shopify_customer_id),
        (IdentityKind.email, email),
        (IdentityKind.phone, phone),
    ):
        if value is None or not str(value).strip():
            continue
        try:
            normal = normalise(kind, str(value), region)
        except InvalidIdentifier:  # nothing can be stored under a value that does not normalise
            continue
        wanted.append((kind, normal))
        if kind is IdentityKind.phone:
            wanted.append((IdentityKind.whatsapp, normal))
    matches = session.exec(
        select(Identity).where(
            or_(
                false(),
                *[and_(col(Identity.kind) == k, col(Identity.value) == v) for k, v in wanted],
            )
        )
    ).all()
    ids = with_merged(session, {row.customer_id for row in matches})
    held = session.exec(
        select(Identity)
        .where(col(Identity.customer_id).in_(ids))
        .where(col(Identity.kind).in_(_CONTACT_KINDS))
    ).all()
    contacts = {v for k, v in wanted if k is not IdentityKind.shopify} | {r.value for r in held}
    shopify_id = next((v for k, v in wanted if k is IdentityKind.shopify), None)
    return Subject(tuple(sorted(ids)), tuple(sorted(contacts)), shopify_id)


def with_merged(session: Session, customer_ids: Iterable[str]) -> set[str]:
    """The records standing for `customer_ids`, and every record ever merged into those."""
    roots = {c.id for i in customer_ids if (c := canonical_customer(session, i)) is not None}
    group, frontier = set(roots), set(roots)
    while frontier:
        absorbed = session.exec(
            select(Customer.id).where(col(Customer.merged_into_id).in_(frontier))
        ).all()
        frontier = set(absorbed) - group
        group |= frontier
    return group


# --- export ----------------------------------------------------------------------------------

_EXPORTED: tuple[tuple[str, type[SQLModel], frozenset[str]], ...] = (
    ("customers", Customer, frozenset()),
    ("identities", Identity, frozenset()),
    ("conversations", Conversation, frozenset()),
    ("messages", Message, frozenset({"lease_until"})),
    ("escalations", Escalation, frozenset()),
    ("reviews", Review, frozenset()),
    ("tool_calls", ToolCall, frozenset()),
    ("traces", Trace, frozenset()),
    ("events", Event, frozenset()),
    ("verification_codes", VerificationCode, frozenset({"code_hash", "salt"})),
    ("outbox", OutboxMessage, frozenset()),
    ("channel_consents", ChannelConsent, frozenset()),
)
"""What an export holds, per table, and the fields left out (secrets, bookkeeping)."""


def export_customer(
    session: Session,
    subject: Subject,
    sessions: Sessions,
    *,
    shop_domain: str,
    data_request_id: str | None,
    orders_requested: list[int],
    delivery_id: str,
) -> PrivacyExport:
    """Gather everything held on the subject into a stored export, and record the event."""
    data: dict[str, Any] = {
        "shop_domain": shop_domain,
        "shopify_customer_id": subject.shopify_customer_id,
        "data_request_id": data_request_id,
        "orders_requested": orders_requested,
    }
    counts: dict[str, int] = {}
    for name, model, hidden in _EXPORTED:
        rows = session.exec(select(model).where(subject.owns(model))).all()
        # Enum columns read back as plain strings, which is what the export holds anyway.
        data[name] = [
            row.model_dump(mode="json", exclude=set(hidden), warnings=False) for row in rows
        ]
        counts[name] = len(rows)
    data["messages"].sort(key=lambda m: (m["sent_at"], m["id"]))
    states = {cid: sessions.state(cid) for cid in subject.customer_ids}
    # Checkpoints hold plain data; anything else is exported as its text.
    data["sessions"] = json.loads(
        json.dumps({k: v for k, v in states.items() if v is not None}, default=str)
    )
    counts["sessions"] = len(data["sessions"])
    export = PrivacyExport(
        shop_domain=shop_domain,
        shopify_customer_id=subject.shopify_customer_id,
        data_request_id=data_request_id,
        customer_ids=list(subject.customer_ids),
        data=data,
    )
    session.add(export)
    session.flush()
    record_event(
        session,
        "customer_data_exported",
        payload={
            "export_id": export.id,
            "data_request_id": data_request_id,
            "customer_ids": list(subject.customer_ids),
            "counts": counts,
            "delivery_id": delivery_id,
        },
    )
    return export


# --- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eraser:
    """Deletes one kind of data a subject owns; returns how many rows went."""

    name: str
    erase: Callable[[Session, Subject], int]


def _rows_of(model: type[SQLModel]) -> Callable[[Session, Subject], int]:
    def erase(session: Session, subject: Subject) -> int:
        result = session.exec(delete(model).where(subject.owns(model)))
        return int(result.rowcount or 0)

    return erase


def _exports(session: Session, subject: Subject) -> int:
    # Few rows, and the customer ids sit in a JSON list: matched here rather than in SQL.
    exports = session.exec(
        select(PrivacyExport.id, PrivacyExport.shopify_customer_id, PrivacyExport.customer_ids)
    ).all()
    owned = [id_ for id_, shopify_id, ids in exports if subject.owns_export(shopify_id, ids)]
    session.exec(delete(PrivacyExport).where(col(PrivacyExport.id).in_(owned)))
    return len(owned)


def _customers(session: Session, subject: Subject) -> int:
    # Merged records point at each other: unlink them first, so the order of deletes is free.
    session.exec(update(Customer).where(subject.owns(Customer)).values(merged_into_id=None))
    return _rows_of(Customer)(session, subject)


ERASERS: tuple[Eraser, ...] = (
    Eraser("privacy_exports", _exports),
    Eraser("tool_calls", _rows_of(ToolCall)),
    Eraser("traces", _rows_of(Trace)),
    Eraser("reviews", _rows_of(Review)),
    Eraser("escalations", _rows_of(Escalation)),
    Eraser("verification_codes", _rows_of(VerificationCode)),
    # The outbox (one-time codes now; replies and order updates later) is one entry like the
    # others: a new table that holds a person's data gets its eraser here, and an ownership
    # rule in `Subject.owns`, which the export reads too.
    Eraser("outbox", _rows_of(OutboxMessage)),
    Eraser("channel_consents", _rows_of(ChannelConsent)),
    Eraser("events", _rows_of(Event)),
    Eraser("messages", _rows_of(Message)),
    Eraser("conversations", _rows_of(Conversation)),
    Eraser("identities", _rows_of(Identity)),
    Eraser("customers", _customers),
)
"""In order: rows that point at others go before the rows they point at."""


def erase(session: Session, subject: Subject, sessions: Sessions) -> dict[str, int]:
    """Delete everything the subject owns, checkpoint threads included; rows erased per kind.

    The session is flushed, not committed: the caller commits once the threads are gone too.
    """
    counts = {eraser.name: eraser.erase(session, subject) for eraser in ERASERS}
    session.flush()
    threads = set(subject.customer_ids)
    if subject.everything:
        threads |= sessions.thread_ids()
    existing = [t for t in sorted(threads) if sessions.state(t) is not None]
    for thread_id in existing:
        sessions.delete(thread_id)
    counts["sessions"] = len(existing)
    return counts


def redact_customer(
    session: Session,
    subject: Subject,
    sessions: Sessions,
    *,
    shop_domain: str,
    subject_digest: str,
    orders_to_redact: list[int],
    delivery_id: str,
) -> dict[str, int]:
    """Erase one person and leave a tombstone: a digest and counts, no personal data."""
    counts = erase(session, subject, sessions)
    record_event(
        session,
        "customer_redacted",
        payload={
            "shop_domain": shop_domain,
            "subject_digest": subject_digest,
            "customer_ids": list(subject.customer_ids),
            "erased": counts,
            "orders_to_redact": len(orders_to_redact),
            "delivery_id": delivery_id,
        },
    )
    return counts


def redact_shop(
    session: Session, sessions: Sessions, *, shop_domain: str, delivery_id: str
) -> dict[str, int]:
    """Erase every customer's data (one shop per deployment) and leave a tombstone."""
    customer_ids = tuple(session.exec(select(Customer.id)).all())
    counts = erase(session, Subject(customer_ids, everything=True), sessions)
    record_event(
        session,
        "shop_redacted",
        payload={"shop_domain": shop_domain, "erased": counts, "delivery_id": delivery_id},
    )
    return counts
