"""A shipment change as Threadline tells a customer of it: which changes count, the shop's
contact for the order, the words of the update, and when quiet hours let it go.

Pure parts of `agent.proactive` (which decides and queues): no database here; `read_contact` is
the one call to the shop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.channels import format_reply, sms_segments
from inbox.conversations import as_utc
from inbox.models import Channel
from tools.client import ShopifyClient
from tools.identity import customer_number
from tools.policy import QuietHours, ShippingEvent

logger = logging.getLogger("threadline.proactive")


class Update(StrEnum):
    """The shipment changes worth a message (Shopify's `shipment_status` values)."""

    in_transit = "in_transit"
    """Shipped: also a new fulfillment that has no carrier status yet."""
    out_for_delivery = "out_for_delivery"
    delivered = "delivered"
    attempted_delivery = "attempted_delivery"
    failure = "failure"


POLICY_EVENT: dict[Update, ShippingEvent] = {
    Update.in_transit: "in_transit",
    Update.out_for_delivery: "out_for_delivery",
    Update.delivered: "delivered",
    Update.attempted_delivery: "failure",
    Update.failure: "failure",
}
"""The `proactive.events` entry that lets each change through (a missed delivery attempt is a
failed delivery to the customer)."""


@dataclass(frozen=True)
class Wording:
    """One change in words: the WhatsApp template's `{{3}}`, and the SMS headline with and
    without the carrier (after "<store>: ")."""

    phrase: str
    with_carrier: str
    without_carrier: str
    tracking_link: bool = True


WORDING: dict[Update, Wording] = {
    Update.in_transit: Wording(
        "has shipped",
        "your order {order} has shipped with {carrier}.",
        "your order {order} has shipped.",
    ),
    Update.out_for_delivery: Wording(
        "is out for delivery",
        "your order {order} is out for delivery with {carrier}.",
        "your order {order} is out for delivery.",
    ),
    Update.delivered: Wording(
        "was delivered",
        "your order {order} was delivered by {carrier}.",
        "your order {order} was delivered.",
        tracking_link=False,
    ),
    Update.attempted_delivery: Wording(
        "missed a delivery attempt",
        "{carrier} tried to deliver your order {order}.",
        "the carrier tried to deliver your order {order}.",
    ),
    Update.failure: Wording(
        "could not be delivered",
        "{carrier} couldn't deliver your order {order}.",
        "the carrier couldn't deliver your order {order}.",
    ),
}
"""Every `Update` has its words (a test checks the table is complete)."""

LONG_CLOSING = "Reply here with any questions, STOP to opt out."
SHORT_CLOSING = "Reply STOP to opt out."


@dataclass(frozen=True)
class Shipment:
    """One shipment change, as the shop's fulfillment webhook reports it."""

    fulfillment_id: str
    order_id: str
    status: str | None
    """Shopify's `shipment_status` (`in_transit`, `delivered`, …), None before the carrier's
    first scan."""
    fulfillment_status: str | None = "success"
    order_name: str | None = None
    """From the fulfillment's name (`#1042.1` → `#1042`), until the shop says."""
    carrier: str | None = None
    tracking_url: str | None = None

    @property
    def update(self) -> Update | None:
        """The change worth a message, if this is one."""
        if (self.fulfillment_status or "success").lower() != "success":
            return None
        if self.status is None:
            return Update.in_transit  # fulfilled, the carrier has not scanned it yet
        try:
            return Update(self.status.lower())
        except ValueError:
            return None


# --- timing and words -------------------------------------------------------------------------


def store_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown store timezone %r: quiet hours are read in UTC", name)
        return ZoneInfo("UTC")


def quiet_until(now: datetime, quiet: QuietHours | None, timezone: str) -> datetime | None:
    """The end of the quiet period `now` falls in (UTC), or None outside quiet hours."""
    if quiet is None or quiet.start == quiet.end:
        return None
    zone = store_zone(timezone)
    local = as_utc(now).astimezone(zone)
    start, end = _clock(quiet.start), _clock(quiet.end)
    moment = local.time().replace(tzinfo=None)
    day: date = local.date()
    if start < end:
        if not start <= moment < end:
            return None
    elif moment >= start:
        day += timedelta(days=1)  # wraps midnight: it ends tomorrow morning
    elif moment >= end:
        return None
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def update_text(
    store: str,
    update: Update,
    order: str,
    *,
    carrier: str | None = None,
    tracking_url: str | None = None,
    channel: Channel | str = Channel.sms,
) -> str:
    """The update's words: the store, the order, the carrier and the tracking link when known,
    how to answer and how to stop. On SMS, the fullest variant that fits one segment (plain
    GSM-7 where the names allow), else the fullest of the fewest segments."""
    words = WORDING[update]
    link = tracking_url.strip() if tracking_url and words.tracking_link else ""
    carrier = (carrier or "").strip()
    full = words.with_carrier if carrier else words.without_carrier
    short = words.without_carrier
    labelled = f"Track it: {link}" if link else ""
    # Most to least complete; SMS takes the first that fits one segment.
    variants = [
        (full, labelled, LONG_CLOSING),
        (full, labelled, SHORT_CLOSING),
        (short, labelled, SHORT_CLOSING),
        (full, link, SHORT_CLOSING),
        (short, link, SHORT_CLOSING),
    ]
    texts = [
        " ".join(
            p for p in (f"{store}:", head.format(order=order, carrier=carrier), track, end) if p
        )
        for head, track, end in variants
    ]
    if Channel(channel) is not Channel.sms:
        return texts[0]
    plain = [format_reply(text, "sms").text for text in texts]
    return min(plain, key=sms_segments)  # the first of the fewest segments


@dataclass(frozen=True)
class OrderContact:
    """Who an order belongs to and how to reach them, as the shop says."""

    order_name: str
    phone: str | None
    phone_is_customers: bool = False
    """The phone is the shop customer's (their SMS consent is about it), not the order's."""
    sms_marketing: str | None = None
    """The shop customer's SMS marketing state (`subscribed`, `unsubscribed`, …), if known."""
    email: str | None = None
    """The shop customer's email (None for a guest order)."""
    shopify_customer_id: str | None = None
    first_name: str | None = None
    name: str | None = None


# --- the shop ---------------------------------------------------------------------------------

ORDER_CONTACT = """
query ShipmentContact($id: ID!) {
  order(id: $id) {
    id name email phone
    customer {
      id firstName lastName email phone
      defaultPhoneNumber { phoneNumber marketingState }
    }
  }
}
"""


def read_contact(client: ShopifyClient, order_id: str) -> OrderContact | None:
    """The order's contact from the shop (no ownership check: the shop itself asks); None when
    the shop has no such order. A shop failure raises `tools.errors.ShopifyError`."""
    number = str(order_id).rsplit("/", 1)[-1]
    data = client.execute(ORDER_CONTACT, {"id": f"gid://shopify/Order/{number}"})
    order = data.get("order")
    if not order:
        return None
    customer = order.get("customer") or {}
    default_phone = customer.get("defaultPhoneNumber") or {}
    customer_phone = default_phone.get("phoneNumber") or customer.get("phone")
    state = default_phone.get("marketingState") if default_phone.get("phoneNumber") else None
    names = [n for n in (customer.get("firstName"), customer.get("lastName")) if n]
    return OrderContact(
        order_name=str(order.get("name") or f"#{number}"),
        phone=customer_phone or order.get("phone"),
        phone_is_customers=bool(customer_phone),
        sms_marketing=str(state).lower() if state else None,
        email=customer.get("email"),
        shopify_customer_id=customer_number(customer.get("id")),
        first_name=customer.get("firstName"),
        name=" ".join(names) or None,
    )
