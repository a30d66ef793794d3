"""Fjord & Pine Outfitters: a second full store, written by a function, and its facts for tests.

Not the demo store: another name, currency (CAD), timezone (America/Toronto), return window (45
days), refund limit (150), exclusion tag (`no-returns`), its own products, customers, orders and
knowledge wording. `write_second_store(root)` writes the store directory; the module-level
`ORDERS`, `CUSTOMERS`, `PRODUCTS` are the very records it writes, so tests pick orders by what they
are (open, delivered N days ago, carrying a no-returns item…) and derive every expected fact from
the data, never from the agent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

TODAY = date(2026, 6, 15)  # a Monday; the fixtures' business date (store.json `today`)
STORE_NAME = "Fjord & Pine Outfitters"
CURRENCY = "CAD"
TIMEZONE = "America/Toronto"
SUPPORT_EMAIL = "help@fjordandpine.example"
WINDOW_DAYS = 45
REFUND_LIMIT = Decimal("150")
NO_RETURNS = "no-returns"
EDT = "-04:00"  # Toronto's offset on every date written here (all between April and June)

# --- knowledge: the facts, then the documents built from them ----------------------------------

RETURN_FEE = "9.95"
"""Flat return-label fee (CAD) taken off a refund to the card."""
REFUND_BANK_TIME = "5 to 10 business days"
SHIPPING_TIME = "3 to 7 business days"
EXPRESS_TIME = "1 to 2 business days"
SHIP_COUNTRIES = ("Canada", "United States")
HOURS_DAYS = ("Monday", "Friday")
GIFT_CARD_VALIDITY = "five years"
WARRANTY_YEARS = "two years"

SOURCE = {
    "return_window": "returns.md#how-long-you-have",
    "return_cost": "returns.md#what-a-return-costs",
    "return_exclusions": "returns.md#things-we-cant-take-back",
    "refund_time": "refunds.md#when-the-money-reaches-your-card",
    "shipping_where": "shipping.md#where-we-deliver",
    "shipping_time": "shipping.md#how-long-delivery-takes",
    "express": "shipping.md#express-delivery",
    "exchanges": "exchanges.md#swapping-a-size-or-colour",
    "gift_cards": "gift-cards.md#buying-a-gift-card",
    "hours": "contact.md#support-hours",
}

KNOWLEDGE: dict[str, str] = {
    "returns.md": f"""\
# Sending gear back

## How long you have

Changed your mind? You can ask us to take back anything bought from Fjord & Pine within \
{WINDOW_DAYS} days of the day it was delivered. The carrier's delivery scan starts the clock; \
if a parcel was never scanned as delivered, we count from the day it left our Toronto warehouse. \
After day {WINDOW_DAYS} we are not able to accept the return.

## What a return costs

We email you a prepaid Canada Post return label. A flat ${RETURN_FEE} return-shipping fee is \
taken off the refund when the money goes back to your card. Returns for store credit and returns \
of items that reached you damaged or wrong cost you nothing.

## Things we can't take back

Gift cards and anything from our clearance corner are marked "no returns" on the product page \
and cannot be sent back. Gear has to be clean and unused, with its tags, so we can sell it again; \
boots must have been tried on indoors only.

## Starting a return

Reply to any message from us with your order number and the item you'd like to send back, or use \
the Returns page on fjordandpine.example. Drop the parcel at any post office within 14 days of \
getting the label.
""",
    "refunds.md": f"""\
# Getting your money back

## When we issue a refund

Our warehouse checks every returned parcel within two business days of it arriving, then sends \
the refund to the way you paid. You get an email the moment it is on its way.

## When the money reaches your card

After we send a refund, your bank takes {REFUND_BANK_TIME} to show it on your credit or debit \
card statement. PayPal is usually faster, about three business days. Gift card balances are \
restored straight away.

## Larger refunds

Refunds of up to $150 are approved on the spot when the order qualifies. Anything larger is \
checked by a member of our team first, normally within one business day.
""",
    "shipping.md": f"""\
# Delivery

## Where we deliver

We ship to every province and territory in {SHIP_COUNTRIES[0]} and to all fifty states of the \
{SHIP_COUNTRIES[1]}. We do not ship outside North America yet, and we can't deliver to \
freight forwarders.

## How long delivery takes

Orders leave our Toronto warehouse within one business day. Standard delivery then takes \
{SHIPPING_TIME} in Canada and 5 to 9 business days to the United States. Standard shipping is \
free on Canadian orders over $99 and $12 below that.

## Express delivery

Need it for the weekend? Express arrives in {EXPRESS_TIME} to most Canadian cities for a flat \
$24; order before noon Eastern for same-day dispatch. Express isn't available to the territories.

## Carriers and tracking

We ship with Canada Post, UPS and Purolator, whichever is fastest to your address. Your tracking \
number arrives by email as soon as the parcel is scanned.
""",
    "exchanges.md": f"""\
# Exchanges

## Swapping a size or colour

Boots too snug or jacket the wrong shade? We swap any returnable item for another size or colour \
of the same product within {WINDOW_DAYS} days of delivery. The new one ships as soon as the \
carrier scans the parcel you send back, and exchanges ship both ways at no cost. If the size you \
want has sold out we refund you instead.
""",
    "gift-cards.md": f"""\
# Gift cards

## Buying a gift card

Fjord & Pine gift cards come in $50 and $100 amounts and are delivered by email within a few \
minutes, so there is nothing to ship. They can be spent online on anything in the shop and stay \
valid for {GIFT_CARD_VALIDITY}.

## Gift card balance

Your balance is shown at checkout once you enter the card code. Gift cards can't be exchanged for \
cash and can't be returned.
""",
    "contact.md": f"""\
# Talking to us

## Support hours

Our team answers {HOURS_DAYS[0]} to {HOURS_DAYS[1]}, 9am\u20136pm Eastern. Messages sent in the \
evening or at the weekend are answered on the next working day, and our assistant can track \
orders and answer questions at any hour.

## Email and phone

Write to {SUPPORT_EMAIL} or call 1-855-555-0164 during opening hours. Include your order number so \
we can help on the first reply.
""",
    "warranty.md": f"""\
# Our warranty

## What the warranty covers

Tents, sleeping bags, jackets, boots and headlamps are guaranteed against faults in materials and \
workmanship for {WARRANTY_YEARS} from delivery. We repair the item, replace it, or refund it if \
neither is possible. Normal wear and tear, accidents and home repairs are not covered.

## Making a warranty claim

Send us your order number, a short description and a photo of the fault. We reply within two \
business days with a prepaid label if the item needs to come back to us.
""",
    "sizing.md": """\
# Finding your size

## Rain jackets

The Squall rain jackets are cut roomy so a fleece fits underneath. If you are between sizes, \
take the smaller one. Sleeves run long.

## Boots

Portage hiking boots fit true to size with a thin sock. Wear the socks you hike in when you try \
them, and go half a size up if you use thick wool socks or have wide feet.
""",
    "damaged-items.md": """\
# Damaged or wrong items

## Something arrived broken

If an item reaches you damaged, faulty or not what you ordered, tell us within 14 days with your \
order number and a photo. We send a replacement or refund it, and you never pay to send it back.
""",
}

POLICY_YAML = f"""\
# Fjord & Pine Outfitters: the action rules (README "Store directory").
store:
  name: "{STORE_NAME}"
  currency: {CURRENCY}
  timezone: {TIMEZONE}
  support_email: {SUPPORT_EMAIL}
returns:
  window_days: {WINDOW_DAYS}
  exclude_tags: [{NO_RETURNS}]
refunds:
  auto_approve_limit: {REFUND_LIMIT}
cancellations:
  allowed_fulfillment_statuses: [unfulfilled]
address_changes:
  allowed_fulfillment_statuses: [unfulfilled]
verification:
  require_identity_match: true
escalation:
  topics: [legal, chargeback, self_harm, harassment]
  max_ai_turns: 6
channels:
  email: {{stage: autonomous, sample_rate: 0}}
  sms: {{stage: autonomous, sample_rate: 0}}
  chat: {{stage: autonomous, sample_rate: 0}}
  instagram: {{stage: autonomous, sample_rate: 0}}
  whatsapp: {{stage: autonomous, sample_rate: 0}}
  messenger: {{stage: autonomous, sample_rate: 0}}
  voice: {{stage: autonomous, sample_rate: 0}}
"""

# --- catalogue --------------------------------------------------------------------------------

_PRODUCT_BASE = 7301000000000
_VARIANT_BASE = 4470100000000

_CATALOGUE: list[tuple[str, str, str, str, list[tuple[str, str]], bool]] = [
    # title, product_type, tags, sku prefix, [(variant title, price)], requires_shipping
    ("Lakeshore 2P Tent", "Tents", "camping, tents", "FP-LST", [("Moss", "329.00")], True),
    (
        "Boreal Down Sleeping Bag",
        "Sleeping bags",
        "camping, sleeping-bags",
        "FP-BDS",
        [("Regular", "249.00"), ("Long", "269.00")],
        True,
    ),
    (
        "Blue Squall Rain Jacket",
        "Jackets",
        "outerwear, waterproof",
        "FP-SRJ-BL",
        [("S", "139.00"), ("M", "139.00"), ("L", "139.00")],
        True,
    ),
    (
        "Red Squall Rain Jacket",
        "Jackets",
        "outerwear, waterproof",
        "FP-SRJ-RD",
        [("S", "139.00"), ("M", "139.00"), ("L", "139.00")],
        True,
    ),
    (
        "Portage Hiking Boots",
        "Footwear",
        "footwear, hiking",
        "FP-PHB",
        [("8", "189.00"), ("9", "189.00"), ("10", "189.00"), ("11", "189.00")],
        True,
    ),
    ("Campfire Enamel Mug", "Camp kitchen", "camp-kitchen", "FP-CEM", [("Pine", "18.00")], True),
    (
        "Fjord & Pine Gift Card",
        "Gift cards",
        f"gift-card, {NO_RETURNS}",
        "FP-GC",
        [("$50", "50.00"), ("$100", "100.00")],
        False,
    ),
    (
        "Merino Trail Socks",
        "Socks",
        "socks, merino",
        "FP-MTS",
        [("S", "24.00"), ("M", "24.00"), ("L", "24.00")],
        True,
    ),
    (
        "Clearance Trekking Poles",
        "Hiking",
        f"clearance, {NO_RETURNS}, hiking",
        "FP-CTP",
        [("Pair", "59.00")],
        True,
    ),
    ("Beacon Headlamp", "Lighting", "lighting", "FP-BHL", [("Black", "45.00")], True),
]


def _products() -> list[dict[str, Any]]:
    products = []
    for n, (title, kind, tags, sku, variants, shipping) in enumerate(_CATALOGUE, start=1):
        pid = _PRODUCT_BASE + n
        products.append(
            {
                "id": pid,
                "admin_graphql_api_id": f"gid://shopify/Product/{pid}",
                "title": title,
                "handle": title.lower().replace("& ", "").replace(" ", "-"),
                "body_html": f"<p>{title} from {STORE_NAME}.</p>",
                "vendor": STORE_NAME,
                "product_type": kind,
                "status": "active",
                "tags": tags,
                "created_at": f"2025-09-01T10:00:00{EDT}",
                "updated_at": f"2025-09-01T10:00:00{EDT}",
                "published_at": f"2025-09-01T10:00:00{EDT}",
                "options": [{"name": "Title", "position": 1, "values": [v for v, _ in variants]}],
                "variants": [
                    {
                        "id": _VARIANT_BASE + n * 10 + k,
                        "product_id": pid,
                        "title": variant,
                        "price": price,
                        "compare_at_price": None,
                        "sku": f"{sku}-{variant.strip('$').upper()}",
                        "position": k,
                        "inventory_policy": "deny",
                        "fulfillment_service": "manual",
                        "inventory_management": "shopify",
                        "option1": variant,
                        "option2": None,
                        "option3": None,
                        "taxable": shipping,
                        "grams": 900 if shipping else 0,
                        "inventory_quantity": 40,
                        "requires_shipping": shipping,
                        "created_at": f"2025-09-01T10:00:00{EDT}",
                        "updated_at": f"2025-09-01T10:00:00{EDT}",
                    }
                    for k, (variant, price) in enumerate(variants, start=1)
                ],
            }
        )
    return products


# --- customers --------------------------------------------------------------------------------

_CUSTOMER_BASE = 6209000000000
# first, last, email, phone, address1, city, province, province code, zip, taxes [(title, rate)]
_PEOPLE: list[tuple[str, str, str | None, str | None, str, str, str, str, str, list]] = [
    (
        "Elise",
        "Tremblay",
        "elise.tremblay@example.ca",
        "+14165550148",
        "88 Queen St E",
        "Toronto",
        "Ontario",
        "ON",
        "M5C 1S6",
        [("HST", "0.13")],
    ),
    (
        "Marcus",
        "Okafor",
        "marcus.okafor@example.com",
        None,
        "41 King William St",
        "Hamilton",
        "Ontario",
        "ON",
        "L8R 1A2",
        [("HST", "0.13")],
    ),
    (
        "Priya",
        "Raman",
        None,
        "+16475550192",
        "2150 Burnhamthorpe Rd W",
        "Mississauga",
        "Ontario",
        "ON",
        "L5L 3A2",
        [("HST", "0.13")],
    ),
    (
        "Hamish",
        "Campbell",
        "hamish.campbell@example.ca",
        "+16135550177",
        "17 Sparks St",
        "Ottawa",
        "Ontario",
        "ON",
        "K1P 5B5",
        [("HST", "0.13")],
    ),
    (
        "Sofia",
        "Moreau",
        "sofia.moreau@example.ca",
        None,
        "4350 Rue Saint-Denis",
        "Montréal",
        "Quebec",
        "QC",
        "H2J 2L1",
        [("GST", "0.05"), ("QST", "0.09975")],
    ),
    (
        "Jonah",
        "Whitefeather",
        None,
        "+14375550101",
        "9 Dundas St W",
        "Toronto",
        "Ontario",
        "ON",
        "M5G 1Z3",
        [("HST", "0.13")],
    ),
    (
        "Aiko",
        "Tanaka",
        "aiko.tanaka@example.com",
        "+16045550123",
        "1055 W Georgia St",
        "Vancouver",
        "British Columbia",
        "BC",
        "V6E 3P3",
        [("GST", "0.05"), ("PST", "0.07")],
    ),
    (
        "Liam",
        "Brennan",
        "liam.brennan@example.ca",
        None,
        "1505 Barrington St",
        "Halifax",
        "Nova Scotia",
        "NS",
        "B3J 3K5",
        [("HST", "0.14")],
    ),
    (
        "Noor",
        "Haddad",
        "noor.haddad@example.ca",
        "+14165550199",
        "220 Yonge St",
        "Toronto",
        "Ontario",
        "ON",
        "M5B 2H1",
        [("HST", "0.13")],
    ),
    (
        "Owen",
        "Fraser",
        "owen.fraser@example.ca",
        None,
        "12 Water St",
        "St. John's",
        "Newfoundland and Labrador",
        "NL",
        "A1C 1A1",
        [("HST", "0.15")],
    ),
    (
        "Mei",
        "Chen",
        "mei.chen@example.ca",
        None,
        "75 Spadina Ave",
        "Toronto",
        "Ontario",
        "ON",
        "M5V 2J4",
        [("HST", "0.13")],
    ),
]


def _address(person: tuple) -> dict[str, Any]:
    first, last, _email, phone, address1, city, province, code, zip_code, _taxes = person
    return {
        "first_name": first,
        "last_name": last,
        "company": None,
        "address1": address1,
        "address2": None,
        "city": city,
        "province": province,
        "province_code": code,
        "zip": zip_code,
        "country": "Canada",
        "country_code": "CA",
        "phone": phone,
        "name": f"{first} {last}",
    }


# --- orders -----------------------------------------------------------------------------------

_CARRIERS = {
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    "UPS": "https://www.ups.com/track?loc=en_CA&tracknum={}",
    "Purolator": "https://www.purolator.com/en/shipping/tracker?pin={}",
}


def _at(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:{17 if hour % 2 else 42}:00{EDT}"


def _ago(days: int) -> date:
    return TODAY - timedelta(days=days)


# Each order: number, customer index, [(product index, variant index, quantity)], state, extra.
# state: unfulfilled | in_transit | partial | delivered | cancelled_refunded | refunded
# extra: carrier, tracking number, shipped N days ago, delivered N days ago, placed N days ago.
_ORDER_SPECS: list[tuple[int, int, list[tuple[int, int, int]], str, dict[str, Any]]] = [
    (4101, 0, [(5, 0, 2), (9, 0, 1)], "unfulfilled", {"placed": 1}),
    (4102, 8, [(7, 1, 3)], "unfulfilled", {"placed": 1}),
    (4103, 1, [(3, 1, 1)], "unfulfilled", {"placed": 2}),
    (4104, 7, [(1, 0, 1)], "unfulfilled", {"placed": 0}),
    (4105, 4, [(9, 0, 1)], "unfulfilled", {"placed": 1}),
    (
        4106,
        1,
        [(4, 2, 1)],
        "in_transit",
        {"placed": 4, "carrier": "UPS", "tracking": "1Z8V47W26834512093", "shipped": 2},
    ),
    (
        4107,
        2,
        [(2, 1, 1)],
        "in_transit",
        {"placed": 5, "carrier": "Canada Post", "tracking": "7023210039414604", "shipped": 3},
    ),
    (
        4108,
        6,
        [(0, 0, 1)],
        "in_transit",
        {"placed": 5, "carrier": "Purolator", "tracking": "329014785521", "shipped": 3},
    ),
    (
        4109,
        5,
        [(5, 0, 1)],
        "in_transit",
        {"placed": 6, "carrier": "Canada Post", "tracking": "7023210039419981", "shipped": 4},
    ),
    (4110, 5, [(7, 2, 2)], "unfulfilled", {"placed": 1}),
    (
        4111,
        4,
        [(4, 1, 1), (8, 0, 1)],
        "partial",
        {"placed": 7, "carrier": "UPS", "tracking": "1Z8V47W26834577310", "shipped": 4},
    ),
    (
        4112,
        1,
        [(2, 2, 1), (7, 1, 1)],
        "delivered",
        {"placed": 16, "carrier": "Canada Post", "tracking": "7023210039402217", "delivered": 10},
    ),
    (
        4113,
        0,
        [(9, 0, 1)],
        "delivered",
        {"placed": 13, "carrier": "Canada Post", "tracking": "7023210039405530", "delivered": 8},
    ),
    (
        4114,
        3,
        [(7, 0, 2)],
        "delivered",
        {"placed": 17, "carrier": "Canada Post", "tracking": "7023210039401145", "delivered": 12},
    ),
    (
        4115,
        6,
        [(0, 0, 1), (1, 1, 1)],
        "delivered",
        {"placed": 11, "carrier": "Purolator", "tracking": "329014780044", "delivered": 5},
    ),
    (
        4116,
        7,
        [(4, 3, 1)],
        "delivered",
        {"placed": 66, "carrier": "UPS", "tracking": "1Z8V47W26834500871", "delivered": 60},
    ),
    (
        4117,
        4,
        [(8, 0, 1), (3, 0, 1)],
        "delivered",
        {"placed": 21, "carrier": "Canada Post", "tracking": "7023210039398862", "delivered": 15},
    ),
    (4118, 7, [(2, 1, 1)], "cancelled_refunded", {"placed": 14, "cancelled": 13}),
    (
        4119,
        1,
        [(9, 0, 1)],
        "refunded",
        {
            "placed": 38,
            "carrier": "Canada Post",
            "tracking": "7023210039390017",
            "delivered": 34,
            "refunded": 25,
        },
    ),
    (
        4120,
        0,
        [(0, 0, 1), (4, 0, 1)],
        "delivered",
        {"placed": 12, "carrier": "UPS", "tracking": "1Z8V47W26834521766", "delivered": 6},
    ),
    (4121, 0, [(1, 0, 1)], "unfulfilled", {"placed": 0}),
    (4122, 3, [(6, 1, 1)], "delivered", {"placed": 20, "delivered": 20}),
    (
        4123,
        8,
        [(4, 2, 1)],
        "delivered",
        {"placed": 15, "carrier": "UPS", "tracking": "1Z8V47W26834533402", "delivered": 9},
    ),
    (
        4124,
        1,
        [(3, 2, 1)],
        "delivered",
        {"placed": 26, "carrier": "Canada Post", "tracking": "7023210039387746", "delivered": 20},
    ),
    (
        4125,
        9,
        [(0, 0, 1), (2, 1, 1)],
        "delivered",
        {"placed": 9, "carrier": "UPS", "tracking": "1Z8V47W26834540958", "delivered": 4},
    ),
    (4126, 10, [(5, 0, 1), (7, 1, 2)], "unfulfilled", {"placed": 1}),
    (
        4127,
        10,
        [(3, 1, 1)],
        "in_transit",
        {"placed": 4, "carrier": "Purolator", "tracking": "329014791306", "shipped": 1},
    ),
]


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _build_orders(
    products: list[dict[str, Any]], customers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    orders = []
    line_seq = 0
    fulfillment_seq = 0
    refund_seq = 0
    for number, who, items, state, extra in _ORDER_SPECS:
        person = _PEOPLE[who]
        customer = customers[who]
        email, phone = customer["email"], customer["phone"]
        order_id = 5820000000000 + number
        placed = _ago(extra["placed"])
        created = _at(placed, 10 + number % 8)
        lines = []
        for product_index, variant_index, quantity in items:
            product = products[product_index]
            variant = product["variants"][variant_index]
            line_seq += 1
            price = Decimal(variant["price"])
            taxes = (
                [
                    {
                        "title": title,
                        "price": _money(price * quantity * Decimal(rate)),
                        "rate": rate,
                    }
                    for title, rate in person[9]
                ]
                if variant["taxable"]
                else []
            )
            lines.append(
                {
                    "id": 15600000000000 + line_seq,
                    "admin_graphql_api_id": f"gid://shopify/LineItem/{15600000000000 + line_seq}",
                    "product_id": product["id"],
                    "variant_id": variant["id"],
                    "title": product["title"],
                    "variant_title": variant["title"],
                    "name": f"{product['title']} - {variant['title']}",
                    "sku": variant["sku"],
                    "vendor": STORE_NAME,
                    "quantity": quantity,
                    "fulfillable_quantity": quantity,
                    "fulfillment_status": None,
                    "price": variant["price"],
                    "total_discount": "0.00",
                    "requires_shipping": variant["requires_shipping"],
                    "taxable": variant["taxable"],
                    "gift_card": not variant["requires_shipping"],
                    "grams": variant["grams"],
                    "tax_lines": [{**t, "rate": float(t["rate"])} for t in taxes],
                }
            )
        subtotal = sum((Decimal(li["price"]) * li["quantity"] for li in lines), Decimal(0))
        tax = sum((Decimal(t["price"]) for li in lines for t in li["tax_lines"]), Decimal(0))
        needs_shipping = any(li["requires_shipping"] for li in lines)
        shipping = Decimal("0") if subtotal >= 99 or not needs_shipping else Decimal("12")
        total = subtotal + tax + shipping

        fulfillments: list[dict[str, Any]] = []
        to_ship: list[dict[str, Any]] = []
        if state in ("in_transit", "delivered", "refunded"):
            to_ship = lines
        elif state == "partial":
            to_ship = lines[:1]
        if to_ship:
            fulfillment_seq += 1
            fid = 5410000000000 + fulfillment_seq
            if "delivered" in extra:
                delivered = _ago(extra["delivered"])
                shipped = delivered - timedelta(days=0 if "carrier" not in extra else 3)
                status, updated = "delivered", _at(delivered, 14)
            else:
                shipped = _ago(extra["shipped"])
                status, updated = "in_transit", _at(TODAY, 7)
            carrier, tracking = extra.get("carrier"), extra.get("tracking")
            url = _CARRIERS[carrier].format(tracking) if carrier else None
            shipped_lines = []
            for li in to_ship:
                li["fulfillable_quantity"] = 0
                li["fulfillment_status"] = "fulfilled"
                shipped_lines.append(dict(li))
            fulfillments.append(
                {
                    "id": fid,
                    "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fid}",
                    "order_id": order_id,
                    "status": "success",
                    "service": "manual",
                    "name": f"#{number}.1",
                    "created_at": _at(shipped, 16),
                    "updated_at": updated,
                    "tracking_company": carrier,
                    "tracking_number": tracking,
                    "tracking_numbers": [tracking] if tracking else [],
                    "tracking_url": url,
                    "tracking_urls": [url] if url else [],
                    "shipment_status": status,
                    "line_items": shipped_lines,
                }
            )

        refunds: list[dict[str, Any]] = []
        cancelled_at = closed_at = cancel_reason = None
        financial_status = "paid"
        if state in ("cancelled_refunded", "refunded"):
            refund_seq += 1
            when = _at(_ago(extra.get("cancelled", extra.get("refunded", 0))), 11)
            if state == "cancelled_refunded":
                cancelled_at, closed_at, cancel_reason = when, when, "customer"
            financial_status = "refunded"
            refunds.append(
                {
                    "id": 952900000000 + refund_seq,
                    "admin_graphql_api_id": f"gid://shopify/Refund/{952900000000 + refund_seq}",
                    "order_id": order_id,
                    "created_at": when,
                    "processed_at": when,
                    "note": "Order cancelled" if cancelled_at else "Returned item",
                    "restock": True,
                    "refund_line_items": [
                        {
                            "id": 952950000000 + refund_seq * 10 + k,
                            "line_item_id": li["id"],
                            "quantity": li["quantity"],
                            "restock_type": "cancel" if cancelled_at else "return",
                            "subtotal": _money(Decimal(li["price"]) * li["quantity"]),
                            "total_tax": _money(
                                sum((Decimal(t["price"]) for t in li["tax_lines"]), Decimal(0))
                            ),
                        }
                        for k, li in enumerate(lines)
                    ],
                    "order_adjustments": [],
                    "transactions": [
                        {
                            "id": 7030000000000 + refund_seq,
                            "order_id": order_id,
                            "kind": "refund",
                            "status": "success",
                            "gateway": "shopify_payments",
                            "amount": _money(total),
                            "currency": CURRENCY,
                            "created_at": when,
                        }
                    ],
                }
            )
            if cancelled_at:
                for li in lines:
                    li["fulfillable_quantity"] = 0
        if state in ("delivered", "in_transit", "refunded"):
            fulfillment_status: str | None = "fulfilled"
        elif state == "partial":
            fulfillment_status = "partial"
        else:
            fulfillment_status = None
        address = _address(person)
        orders.append(
            {
                "id": order_id,
                "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
                "name": f"#{number}",
                "order_number": number,
                "number": number - 4000,
                "email": email,
                "contact_email": email,
                "phone": phone,
                "created_at": created,
                "processed_at": created,
                "updated_at": fulfillments[-1]["updated_at"] if fulfillments else created,
                "closed_at": closed_at,
                "cancelled_at": cancelled_at,
                "cancel_reason": cancel_reason,
                "currency": CURRENCY,
                "presentment_currency": CURRENCY,
                "financial_status": financial_status,
                "fulfillment_status": fulfillment_status,
                "confirmed": True,
                "test": False,
                "gateway": "shopify_payments",
                "payment_gateway_names": ["shopify_payments"],
                "subtotal_price": _money(subtotal),
                "total_line_items_price": _money(subtotal),
                "total_discounts": "0.00",
                "total_tax": _money(tax),
                "total_price": _money(total),
                "taxes_included": False,
                "tags": "",
                "note": None,
                "source_name": "web",
                "customer": {
                    "id": customer["id"],
                    "email": email,
                    "phone": phone,
                    "first_name": customer["first_name"],
                    "last_name": customer["last_name"],
                },
                "shipping_address": address if needs_shipping else None,
                "billing_address": address,
                "shipping_lines": [
                    {
                        "id": 5830000000000 + number,
                        "title": "Standard Shipping" if shipping else "Free Standard Shipping",
                        "code": "STANDARD",
                        "price": _money(shipping),
                        "source": "shopify",
                    }
                ]
                if needs_shipping
                else [],
                "line_items": lines,
                "fulfillments": fulfillments,
                "refunds": refunds,
            }
        )
    return orders


def _build_customers() -> list[dict[str, Any]]:
    customers = []
    for n, person in enumerate(_PEOPLE, start=1):
        first, last, email, phone = person[:4]
        cid = _CUSTOMER_BASE + n
        address = {
            "id": 6219000000000 + n,
            "customer_id": cid,
            "default": True,
            **_address(person),
        }
        customers.append(
            {
                "id": cid,
                "email": email,
                "phone": phone,
                "first_name": first,
                "last_name": last,
                "state": "enabled",
                "verified_email": bool(email),
                "tags": "",
                "currency": CURRENCY,
                "created_at": f"2025-{n:02d}-1{n % 9}T09:30:00-05:00",
                "updated_at": f"2025-{n:02d}-1{n % 9}T09:30:00-05:00",
                "orders_count": 0,
                "total_spent": "0.00",
                "note": None,
                "accepts_marketing": n % 2 == 0,
                "default_address": address,
                "addresses": [address],
            }
        )
    return customers


def build_records() -> tuple[list[dict], list[dict], list[dict]]:
    """(customers, products, orders) exactly as `write_second_store` writes them."""
    products = _products()
    customers = _build_customers()
    orders = _build_orders(products, customers)
    for customer in customers:
        mine = [o for o in orders if o["customer"]["id"] == customer["id"]]
        customer["orders_count"] = len(mine)
        customer["total_spent"] = _money(
            sum(
                (Decimal(o["total_price"]) for o in mine if o["financial_status"] == "paid"),
                Decimal(0),
            )
        )
    orders.sort(key=lambda o: o["created_at"], reverse=True)  # newest first, like an export
    return customers, products, orders


def write_second_store(root: Path) -> Path:
    """Write Fjord & Pine Outfitters under `root` and return the store directory."""
    store = root / "fjord-and-pine"
    sandbox = store / "sandbox"
    knowledge = store / "knowledge"
    sandbox.mkdir(parents=True)
    knowledge.mkdir()
    customers, products, orders = build_records()
    for name, items in (("customers", customers), ("products", products), ("orders", orders)):
        (sandbox / f"{name}.json").write_text(json.dumps({name: items}, indent=1), "utf-8")
    shop = {
        "name": STORE_NAME,
        "email": SUPPORT_EMAIL,
        "currency": CURRENCY,
        "timezone": TIMEZONE,
        "myshopify_domain": "fjord-and-pine.myshopify.com",
    }
    (sandbox / "store.json").write_text(
        json.dumps({"today": TODAY.isoformat(), "shop": shop}, indent=1), "utf-8"
    )
    (store / "policy.yaml").write_text(POLICY_YAML, "utf-8")
    for name, text in KNOWLEDGE.items():
        (knowledge / name).write_text(text, "utf-8")
    return store


# --- facts for tests: pick records by what they are -------------------------------------------

CUSTOMERS, _PRODUCT_LIST, _ORDERS_NEWEST_FIRST = build_records()
ORDERS = sorted(_ORDERS_NEWEST_FIRST, key=lambda o: o["order_number"])
PRODUCTS = {p["id"]: p for p in _PRODUCT_LIST}


def unshipped(order: dict[str, Any]) -> bool:
    """Paid, nothing sent yet, not cancelled."""
    return (
        not order.get("cancelled_at")
        and order.get("fulfillment_status") is None
        and order.get("financial_status") == "paid"
    )


def cancellable_here(order: dict[str, Any]) -> bool:
    """Unshipped, and cancelling it refunds no more than the limit: the agent may cancel it."""
    return unshipped(order) and Decimal(order["total_price"]) <= REFUND_LIMIT


def _local_date(stamp: str) -> date:
    return datetime.fromisoformat(stamp).date()  # every stamp here carries Toronto's offset


def delivered_on(order: dict[str, Any]) -> date | None:
    done = [f for f in order.get("fulfillments") or [] if f.get("shipment_status") == "delivered"]
    if not done or order.get("cancelled_at"):
        return None
    return max(_local_date(f["updated_at"]) for f in done)


def delivered_days_ago(order: dict[str, Any]) -> int | None:
    day = delivered_on(order)
    return None if day is None else (TODAY - day).days


def return_deadline(order: dict[str, Any]) -> date | None:
    day = delivered_on(order)
    return None if day is None else day + timedelta(days=WINDOW_DAYS)


def no_returns(line: dict[str, Any]) -> bool:
    product = PRODUCTS.get(line.get("product_id"), {})
    return NO_RETURNS in [t.strip() for t in str(product.get("tags", "")).split(",")]


def has_no_returns_item(order: dict[str, Any]) -> bool:
    return any(no_returns(li) for li in order["line_items"])


def order_total(order: dict[str, Any]) -> Decimal:
    return Decimal(order["total_price"])


def shipment(order: dict[str, Any]) -> dict[str, Any]:
    """The order's first parcel with a tracking number: carrier, number, ship date."""
    for f in order.get("fulfillments") or []:
        if f.get("tracking_number"):
            return {
                "carrier": f["tracking_company"],
                "number": f["tracking_number"],
                "shipped_on": _local_date(f["created_at"]),
                "status": f.get("shipment_status"),
            }
    raise LookupError(f"{order['name']} has no tracked parcel")


def orders_of(customer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for order in ORDERS:
        if (order.get("customer") or {}).get("id") == customer["id"]:
            yield order


def customer_of(order: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in CUSTOMERS if c["id"] == order["customer"]["id"])


def find(predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first order matching `predicate` (for reads that change nothing)."""
    for order in ORDERS:
        if predicate(order):
            return order
    raise LookupError("the second store has no order of that kind")


def pick(
    predicate: Callable[[dict[str, Any]], bool],
    used: set[str],
    among: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The first order matching `predicate` that no other test in the module took (for writes)."""
    for order in ORDERS if among is None else among:
        if order["name"] not in used and predicate(order):
            used.add(order["name"])
            return order
    raise LookupError("the second store has no order of that kind left")


MONTHS = [
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
]


def date_forms(day: date) -> list[str]:
    """Ways a reply may write `day`: 2026-04-16, April 16, Apr 16, 16 April, 16 Apr."""
    month = MONTHS[day.month - 1]
    forms = [day.isoformat()]
    for name in (month, month[:3]):
        forms += [f"{name} {day.day}", f"{day.day} {name}", f"{name}. {day.day}"]
    return forms


def mentions_date(text: str, day: date) -> bool:
    lowered = text.lower()
    return any(form.lower() in lowered for form in date_forms(day))
