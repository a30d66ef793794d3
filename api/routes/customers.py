"""Customers, their identities across channels, and their cross-channel timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session, col, select

from api.deps import HelpdeskKey, ReaderKey, SessionDep, SettingsDep
from api.errors import KEYED, ApiError, error_responses
from api.schemas import (
    CustomerPage,
    CustomerPublic,
    IdentityPublic,
    MessagePublic,
    RecordId,
    TimelinePublic,
)
from inbox.conversations import InvalidCursor, timeline
from inbox.identity import InvalidIdentifier, canonical_customer, normalise
from inbox.models import Customer, Identity, IdentityKind, Message

router = APIRouter(
    prefix="/v1/customers", tags=["customers"], responses=error_responses(*KEYED, 422)
)


def message_public(message: Message) -> MessagePublic:
    return MessagePublic(
        id=message.id,
        conversation_id=message.conversation_id,
        direction=message.direction,
        channel=message.channel,
        author=message.author,
        text=message.text,
        subject=message.subject,
        external_id=message.external_id,
        thread_id=message.thread_id,
        sent_at=message.sent_at,
        metadata=message.meta,
    )


HANDLE_KINDS = (IdentityKind.instagram, IdentityKind.messenger, IdentityKind.chat_visitor)


@router.get("", response_model=CustomerPage, responses=error_responses(403))
def find_customers(
    session: SessionDep,
    settings: SettingsDep,
    _key: HelpdeskKey,
    email: Annotated[str | None, Query(max_length=320)] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    handle: Annotated[
        str | None, Query(max_length=255, description="An Instagram, Messenger or chat id.")
    ] = None,
    shopify_id: Annotated[
        str | None, Query(max_length=100, description="`123` or `gid://shopify/Customer/123`.")
    ] = None,
) -> CustomerPage:
    """Find customers by one identifier, normalised as messages' identifiers are (case, `@`,
    E.164 phones, Shopify gids). A record merged into another answers as the one it was merged
    into. Helpdesk and admin keys only: reviewers see customers through their cases."""
    given = {
        name: value
        for name, value in (
            ("email", email),
            ("phone", phone),
            ("handle", handle),
            ("shopify_id", shopify_id),
        )
        if value is not None
    }
    if len(given) != 1:
        raise ApiError(
            422,
            "validation_error",
            "give exactly one of email, phone, handle or shopify_id",
            [{"loc": ["query", name], "type": "value_error"} for name in given]
            or [{"loc": ["query"], "type": "missing"}],
        )
    ((name, raw),) = given.items()
    kinds = {
        "email": (IdentityKind.email,),
        "phone": (IdentityKind.phone, IdentityKind.whatsapp),
        "handle": HANDLE_KINDS,
        "shopify_id": (IdentityKind.shopify,),
    }[name]
    matches: list[tuple[IdentityKind, str]] = []
    for kind in kinds:
        try:
            matches.append((kind, normalise(kind, raw, settings.default_phone_region)))
        except InvalidIdentifier:
            continue
    if not matches:
        raise ApiError(
            422,
            "validation_error",
            f"{name} is not a valid identifier",
            [{"loc": ["query", name], "type": "value_error"}],
        )
    found: dict[str, Customer] = {}
    for kind, value in matches:
        rows = session.exec(
            select(Identity).where(Identity.kind == kind, Identity.value == value)
        ).all()
        for row in rows:
            customer = canonical_customer(session, row.customer_id)
            if customer is not None:
                found.setdefault(customer.id, customer)
    return CustomerPage(customers=[customer_public(session, c) for c in found.values()])


@router.get("/{customer_id}", response_model=CustomerPublic, responses=error_responses(404))
def get_customer(customer_id: RecordId, session: SessionDep, _key: ReaderKey) -> CustomerPublic:
    """A customer with every identifier known for them; a merged id answers with the survivor."""
    customer = canonical_customer(session, customer_id)
    if customer is None:
        raise ApiError(404, "not_found", "no such customer")
    return customer_public(session, customer)


def customer_public(session: Session, customer: Customer) -> CustomerPublic:
    identities = session.exec(
        select(Identity)
        .where(Identity.customer_id == customer.id)
        .order_by(col(Identity.created_at), col(Identity.id))
    ).all()
    merged = session.exec(select(Customer.id).where(Customer.merged_into_id == customer.id)).all()
    return CustomerPublic(
        id=customer.id,
        name=customer.name,
        identities=[
            IdentityPublic(kind=i.kind, value=i.value, verified=i.verified, created_at=i.created_at)
            for i in identities
        ],
        merged_ids=sorted(merged),
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


@router.get(
    "/{customer_id}/timeline",
    response_model=TimelinePublic,
    responses=error_responses(400, 404),
)
def get_timeline(
    customer_id: RecordId,
    session: SessionDep,
    _key: ReaderKey,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> TimelinePublic:
    """Every message on every channel, oldest first, `limit` at a time."""
    customer = canonical_customer(session, customer_id)
    if customer is None:
        raise ApiError(404, "not_found", "no such customer")
    try:
        page = timeline(session, customer.id, limit=limit, cursor=cursor)
    except InvalidCursor as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from exc
    return TimelinePublic(
        customer_id=customer.id,
        messages=[message_public(m) for m in page.messages],
        next_cursor=page.next_cursor,
    )
