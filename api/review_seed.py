"""`threadline review seed`: fill a store's review queue with realistic customer emails.

The emails are written around the store's own sandbox fixtures (its customers, orders and
products), so every order number, item and name is one the agent can look up. Each goes through
the resolver exactly as `POST /v1/messages` sends it; on a channel in stage `review` the reply is
held and becomes a pending review. External ids are stable (`threadline-seed-01-track`, ...), so
running the seed again finds the messages already there and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent.service import InboundRequest, Resolver
from inbox.models import Message
from tools.sandbox.fixtures import load_fixtures

Order = dict[str, Any]

NEW_ADDRESS = "85 Linden Street, Apt 4B, Cambridge, MA 02139"
"""Where the address-change email asks an order to go."""


@dataclass(frozen=True)
class ShopView:
    """What the templates choose orders by: the fixtures and the store's date."""

    customers: dict[Any, dict[str, Any]]
    final_sale: frozenset[Any]
    """Product ids tagged `final-sale`."""
    today: date

    def shipment_statuses(self, order: Order) -> set[str]:
        return {str(f.get("shipment_status")) for f in order.get("fulfillments") or []}

    def days_since_shipped(self, order: Order) -> int | None:
        shipped = [str(f.get("created_at") or "")[:10] for f in order.get("fulfillments") or []]
        dates = [date.fromisoformat(d) for d in shipped if d]
        return (self.today - max(dates)).days if dates else None

    def is_final_sale(self, item: dict[str, Any]) -> bool:
        return item.get("product_id") in self.final_sale


@dataclass(frozen=True)
class SeedEmail:
    """One kind of customer email: which order it is about, and how the customer writes it."""

    key: str
    """What the email is about; part of its external id (`threadline-seed-01-track`)."""
    subject: str
    body: str
    """`str.format` fields (the subject's too): first, order, number, item, date, address."""
    wants: Callable[[ShopView, Order], bool] | None
    """Which orders fit; None for a question about no order in particular."""
    item: Callable[[ShopView, Order], dict[str, Any] | None] = lambda shop, order: None
    """The line item the email talks about (default: the first)."""


def _open(order: Order) -> bool:
    return not order.get("cancelled_at") and order.get("financial_status") == "paid"


def _unshipped_item(shop: ShopView, order: Order) -> dict[str, Any] | None:
    return next(
        (i for i in order["line_items"] if i.get("fulfillment_status") != "fulfilled"), None
    )


def _final_sale_item(shop: ShopView, order: Order) -> dict[str, Any] | None:
    return next((i for i in order["line_items"] if shop.is_final_sale(i)), None)


def _delivered_recently(shop: ShopView, order: Order) -> bool:
    days = shop.days_since_shipped(order)
    return (
        _open(order)
        and shop.shipment_statuses(order) == {"delivered"}
        and days is not None
        and 3 <= days <= 20
        and not any(shop.is_final_sale(i) for i in order["line_items"])
    )


EMAILS: tuple[SeedEmail, ...] = (
    SeedEmail(
        "track",
        "Where is my order?",
        "Hi there,\n\nI ordered the {item} on {date} (order {order}) and it still hasn't "
        "arrived. Could you let me know where it is and when I can expect it?\n\nThanks,\n{first}",
        lambda shop, o: _open(o) and shop.shipment_statuses(o) == {"in_transit"},
    ),
    SeedEmail(
        "return",
        "Returning the {item}",
        "Hello,\n\nThe {item} from order {order} arrived last week but it's too small for me. "
        "Can I send it back for a refund? What do I need to do?\n\nBest,\n{first}",
        _delivered_recently,
    ),
    SeedEmail(
        "cancel",
        "Please cancel order {order}",
        "Hi,\n\nI placed order {order} by mistake, I already picked up a {item} in town. "
        "Please cancel it before it ships.\n\nThank you,\n{first}",
        lambda shop, o: _open(o) and not o.get("fulfillment_status"),
    ),
    SeedEmail(
        "shipping-time",
        "Shipping before the holidays",
        "Hi!\n\nHow long does standard shipping usually take? I want to order a tent as a "
        "present and it needs to arrive before the holidays.\n\nCheers,\n{first}",
        None,
    ),
    SeedEmail(
        "address",
        "Wrong address on order {order}",
        "Hello,\n\nI just noticed I used my old address for order {order}. Could you send it to "
        "{address} instead?\n\nMany thanks,\n{first}",
        lambda shop, o: _open(o) and not o.get("fulfillment_status"),
    ),
    SeedEmail(
        "final-sale",
        "Can I return a sale item?",
        "Hi,\n\nI bought the {item} in the sale (order {order}) and it isn't what I expected. "
        "Am I able to return it?\n\nThanks,\n{first}",
        lambda shop, o: (
            shop.shipment_statuses(o) == {"delivered"} and _final_sale_item(shop, o) is not None
        ),
        _final_sale_item,
    ),
    SeedEmail(
        "out-for-delivery",
        "Is my parcel coming today?",
        "Hi,\n\nI got a notice that order {order} is out for delivery. Can you confirm it will "
        "arrive today? I need the {item} for a trip this weekend.\n\nThanks a lot,\n{first}",
        lambda shop, o: _open(o) and shop.shipment_statuses(o) == {"out_for_delivery"},
    ),
    SeedEmail(
        "refund-status",
        "Refund for order {order}",
        "Hi,\n\nI'm checking on the refund for order {order}. When will the money be back on "
        "my card?\n\n{first}",
        lambda shop, o: o.get("financial_status") == "refunded",
    ),
    SeedEmail(
        "partial",
        "Part of my order is missing",
        "Hi,\n\nA box for order {order} arrived but the {item} wasn't in it. Is it coming "
        "separately, and when?\n\n{first}",
        lambda shop, o: _open(o) and o.get("fulfillment_status") == "partial",
        _unshipped_item,
    ),
    SeedEmail(
        "discount-code",
        "Discount code not working",
        "Hi,\n\nI tried the code WELCOME10 at checkout and it says it's not valid. Is there a "
        "problem with it?\n\nThanks,\n{first}",
        None,
    ),
    SeedEmail(
        "delivery-failed",
        "Delivery failed?",
        "Hello,\n\nThe tracking for my order {order} says the delivery failed. Where is my "
        "package now, and what happens next?\n\nThanks,\n{first}",
        lambda shop, o: _open(o) and "failure" in shop.shipment_statuses(o),
    ),
    SeedEmail(
        "late-return",
        "Return the {item}",
        "Hi,\n\nI'd like to return the {item} from order {order}, I've hardly used it. Is that "
        "still possible?\n\nThanks,\n{first}",
        lambda shop, o: (
            _open(o)
            and shop.shipment_statuses(o) == {"delivered"}
            and (shop.days_since_shipped(o) or 0) > 60
        ),
    ),
    SeedEmail(
        "return-window",
        "Question about returns",
        "Hello,\n\nHow many days do I have to return something if it doesn't fit? And do I have "
        "to pay for the return shipping?\n\nThank you,\n{first}",
        None,
    ),
    SeedEmail(
        "pending-payment",
        "Payment still pending on {order}",
        "Hi,\n\nMy order {order} still says the payment is pending. Where is it up to? When "
        "will it ship?\n\n{first}",
        lambda shop, o: o.get("financial_status") == "pending" and not o.get("cancelled_at"),
    ),
    SeedEmail(
        "exchange",
        "Exchange for a bigger size",
        "Hi there,\n\nThe {item} from order {order} fits a bit tight. Can I exchange it for "
        "the next size up?\n\nThanks,\n{first}",
        _delivered_recently,
    ),
    SeedEmail(
        "sizing",
        "Sizing question",
        "Hi,\n\nDoes the Summit Down Parka run true to size? I'm usually a medium but I'd like "
        "room for a sweater underneath.\n\nThanks,\n{first}",
        None,
    ),
)


def _shop_view(store_dir: Path, today: date | None) -> tuple[ShopView, list[Order]]:
    data = load_fixtures(store_dir / "sandbox")
    final_sale = frozenset(
        p["id"]
        for p in data.products
        if "final-sale" in {t.strip() for t in str(p.get("tags") or "").split(",")}
    )
    shop = ShopView(
        customers={c["id"]: c for c in data.customers},
        final_sale=final_sale,
        today=today or data.today or date.today(),
    )
    newest_first = sorted(data.orders, key=lambda o: str(o.get("created_at")), reverse=True)
    return shop, newest_first


def seed_requests(store_dir: Path, count: int, today: date | None = None) -> list[InboundRequest]:
    """`count` emails from different customers of the store's fixtures (fewer when the fixtures
    run out of fitting orders). The first n emails are the same whatever the count, so a bigger
    seed after a smaller one only adds."""
    shop, orders = _shop_view(store_dir, today)
    used: set[str] = set()
    customers = [c for c in shop.customers.values() if c.get("email")]
    requests = []
    for number in range(1, count + 1):
        email = EMAILS[(number - 1) % len(EMAILS)]
        order: Order | None = None
        customer: dict[str, Any] | None = None
        if email.wants is None:
            customer = next((c for c in customers if c["email"] not in used), None)
        else:
            for candidate in orders:
                owner = shop.customers.get((candidate.get("customer") or {}).get("id"))
                if (
                    owner
                    and owner.get("email")
                    and owner["email"] not in used
                    and email.wants(shop, candidate)
                    and (email.item(shop, candidate) or candidate["line_items"])
                ):
                    order, customer = candidate, owner
                    break
        if customer is None:
            continue
        used.add(customer["email"])
        fields = _fields(shop, email, order, customer)
        requests.append(
            InboundRequest(
                channel="email",
                external_id=f"threadline-seed-{number:02d}-{email.key}",
                text=email.body.format(**fields),
                email=customer["email"],
                name=" ".join(filter(None, [customer.get("first_name"), customer.get("last_name")]))
                or None,
                subject=email.subject.format(**fields),
            )
        )
    return requests


def _fields(
    shop: ShopView, email: SeedEmail, order: Order | None, customer: dict[str, Any]
) -> dict[str, str]:
    fields = {"first": str(customer.get("first_name") or "").strip(), "address": NEW_ADDRESS}
    if order is None:
        return fields | {"order": "", "number": "", "item": "", "date": ""}
    item = email.item(shop, order) or order["line_items"][0]
    created = datetime.fromisoformat(str(order["created_at"]))
    return fields | {
        "order": str(order["name"]),
        "number": str(order["name"]).lstrip("#"),
        "item": str(item["title"]),
        "date": f"{created:%B} {created.day}",
    }


def unsent(engine: Engine, requests: list[InboundRequest]) -> list[InboundRequest]:
    """The emails no earlier seed recorded (so the store need not start when there are none)."""
    channels = {r.channel for r in requests}
    with Session(engine) as session:
        rows = session.exec(
            select(Message.channel, Message.external_id)
            .where(col(Message.channel).in_(channels))
            .where(col(Message.external_id).in_([r.external_id for r in requests]))
        ).all()
    known = {(str(channel), external_id) for channel, external_id in rows}
    return [r for r in requests if (r.channel, r.external_id) not in known]


@dataclass
class SeedResult:
    held: list[str]
    """Review ids of the replies held by this run."""
    already: int
    """Emails a previous run had sent (same external id): nothing was added for them."""
    other: dict[str, int]
    """Emails answered otherwise this run (`replied`, `escalated`), by outcome."""


def seed(
    resolver: Resolver,
    requests: list[InboundRequest],
    progress: Callable[[int, InboundRequest, str], None] | None = None,
) -> SeedResult:
    """Send each email through the resolver, as `POST /v1/messages` does."""
    result = SeedResult(held=[], already=0, other={})
    for number, request in enumerate(requests, start=1):
        resolution = resolver.handle(request)
        response = resolution.response
        if resolution.duplicate:
            result.already += 1
            what = "already sent"
        elif response.outcome == "held_for_review" and response.review_id:
            result.held.append(response.review_id)
            what = f"held for review ({response.review_id})"
        else:
            result.other[response.outcome] = result.other.get(response.outcome, 0) + 1
            what = response.outcome
        if progress is not None:
            progress(number, request, what)
    return result
