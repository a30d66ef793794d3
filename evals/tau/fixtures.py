"""τ²'s retail records as Shopify Admin REST records (customers, products, orders).

Identifiers: order names stay τ²'s (`#W2611340`), since the agent reads letter-prefixed names and
the sandbox searches them as written, so a case can name an order exactly as τ²'s task does;
`order_number` keeps the digits. Numeric REST ids are derived from τ²'s own ids (products and
variants keep their numeric ids; orders, lines and fulfillments add a fixed base to the order's
digits; customers are numbered in user-id order), so every run writes the same ids.

Dates: τ² has none. Each order gets a time before the store's `TODAY` from its status (pending
orders are the newest, then processed, delivered and cancelled ones) and its position in the
user's order list (later is newer), so "my most recent order" means what τ² meant, and every
delivered order arrived 5 to 8 days ago: inside the store's 30-day return window.

Statuses: `pending` is paid and unfulfilled; `processed` is fulfilled and in transit; `delivered`
is fulfilled with a delivered shipment; `cancelled` is cancelled and fully refunded (τ²'s leftover
shipment record of a cancelled order is dropped: a cancelled Shopify order never shipped);
`return requested` / `exchange requested` are delivered orders tagged so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from evals.tau.dataset import Json, TauRetail

TODAY = date(2026, 5, 20)
"""The store's business date (`store.json` `today`): every record is dated before it."""
CURRENCY = "USD"
ORDER_ID_BASE = 5_000_000_000_000
FULFILLMENT_ID_BASE = 4_000_000_000_000
"""Kept small: the sandbox numbers a fulfillment's lines `fulfillment id * 1000 + position`."""
LINE_ID_BASE = 10_000_000_000_000
CUSTOMER_ID_BASE = 7_000_000_000_000
SAVED_ADDRESS_OFFSET = 100_000_000
"""A customer's saved address id: the customer's id plus this."""
CATALOGUE_SINCE = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
"""When every product (and the oldest customer account) was created."""

PLACED_HOURS_AGO = {"pending": 8, "processed": 80, "delivered": 220, "cancelled": 500}
"""Hours before `TODAY` the newest order of each status was placed."""
HOURS_PER_LIST_STEP = 6
"""How much older each earlier order in a user's list is than the next one."""
SHIP_AFTER = timedelta(hours=24)
DELIVER_AFTER = timedelta(hours=72)
CANCEL_AFTER = timedelta(hours=3)
STATUS_TAGS = {"return requested": "return-requested", "exchange requested": "exchange-requested"}
GATEWAYS = {"credit_card": "shopify_payments", "paypal": "paypal", "gift_card": "gift_card"}

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DC": "District of Columbia", "DE": "Delaware",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip


# ---- small conversions ------------------------------------------------------------------------
def order_digits(order_id: str) -> int:
    """`#W2611340` -> 2611340."""
    return int("".join(ch for ch in order_id if ch.isdigit()))


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def money(value: float | Decimal) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def customer_ids(data: TauRetail) -> dict[str, int]:
    """Each τ² user id's Shopify customer id, numbered in user-id order."""
    return {user: CUSTOMER_ID_BASE + rank for rank, user in enumerate(sorted(data.users), 1)}


def address(place: Json, first_name: str, last_name: str) -> Json:
    """A τ² address (USA only) as a Shopify mailing address."""
    state = str(place.get("state") or "")
    return {
        "first_name": first_name,
        "last_name": last_name,
        "name": f"{first_name} {last_name}",
        "company": None,
        "address1": place.get("address1"),
        "address2": place.get("address2") or None,
        "city": place.get("city"),
        "province": US_STATES.get(state, state),
        "province_code": state,
        "zip": place.get("zip"),
        "country": "United States",
        "country_code": "US",
        "phone": None,
    }


# ---- dates --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderTimes:
    """When an order was placed, and (depending on its status) shipped, delivered or cancelled."""

    placed: datetime
    shipped: datetime | None = None
    delivered: datetime | None = None
    cancelled: datetime | None = None

    @property
    def last(self) -> datetime:
        return self.cancelled or self.delivered or self.shipped or self.placed


def order_times(status: str, position: int, count: int, digits: int) -> OrderTimes:
    """Deterministic times for the `position`-th of a user's `count` orders (0 = oldest)."""
    kind = "delivered" if status in STATUS_TAGS else status
    hours = PLACED_HOURS_AGO[kind] + (count - 1 - position) * HOURS_PER_LIST_STEP
    placed = datetime.combine(TODAY, time(0), UTC) - timedelta(hours=hours, minutes=digits % 60)
    if kind == "pending":
        return OrderTimes(placed)
    if kind == "cancelled":
        return OrderTimes(placed, cancelled=placed + CANCEL_AFTER)
    shipped = placed + SHIP_AFTER
    if kind == "processed":
        return OrderTimes(placed, shipped=shipped)
    return OrderTimes(placed, shipped=shipped, delivered=shipped + DELIVER_AFTER)


def all_order_times(data: TauRetail) -> dict[str, OrderTimes]:
    times: dict[str, OrderTimes] = {}
    for user in data.users.values():
        owned = [o for o in user["orders"] if o in data.orders]
        for position, order_id in enumerate(owned):
            status = str(data.orders[order_id]["status"])
            times[order_id] = order_times(status, position, len(owned), order_digits(order_id))
    for order_id, order in data.orders.items():  # an order missing from its user's list
        times.setdefault(order_id, order_times(str(order["status"]), 0, 1, order_digits(order_id)))
    return times


# ---- customers and products ---------------------------------------------------------------------
def customers(data: TauRetail) -> list[Json]:
    ids = customer_ids(data)
    records = []
    for rank, user_id in enumerate(sorted(data.users)):
        user = data.users[user_id]
        first, last = user["name"]["first_name"], user["name"]["last_name"]
        since = stamp(CATALOGUE_SINCE + timedelta(hours=7 * rank))
        home = {
            "id": ids[user_id] + SAVED_ADDRESS_OFFSET,
            "customer_id": ids[user_id],
            "default": True,
            **address(user["address"], first, last),
        }
        records.append(
            {
                "id": ids[user_id],
                "email": user["email"],
                "phone": None,
                "first_name": first,
                "last_name": last,
                "state": "enabled",
                "verified_email": True,
                "tags": "",
                "note": None,
                "currency": CURRENCY,
                "created_at": since,
                "updated_at": since,
                "default_address": home,
                "addresses": [home],
            }
        )
    return records


def _variant_title(options: Json) -> str:
    return " / ".join(str(value) for value in options.values())


def products(data: TauRetail) -> list[Json]:
    """τ²'s products; its items are the variants (`sku` keeps τ²'s item id)."""
    since = stamp(CATALOGUE_SINCE)
    records = []
    for product_id, product in data.products.items():
        variants = list(product["variants"].values())
        names = list(variants[0]["options"]) if variants else []
        records.append(
            {
                "id": int(product_id),
                "title": product["name"],
                "handle": product["name"].lower().replace(" ", "-"),
                "vendor": "Tau Retail",
                "product_type": product["name"],
                "status": "active",
                "tags": "",
                "created_at": since,
                "updated_at": since,
                "options": [
                    {
                        "name": name,
                        "position": i,
                        "values": sorted({str(v["options"][name]) for v in variants}),
                    }
                    for i, name in enumerate(names, 1)
                ],
                "variants": [
                    {
                        "id": int(variant["item_id"]),
                        "product_id": int(product_id),
                        "title": _variant_title(variant["options"]),
                        "price": money(variant["price"]),
                        "sku": variant["item_id"],
                        "available": bool(variant["available"]),
                        "inventory_policy": "deny",
                        "inventory_quantity": None if variant["available"] else 0,
                        "created_at": since,
                        "updated_at": since,
                    }
                    for variant in variants
                ],
            }
        )
    return records
