"""Generate the demo store's sandbox fixtures (Shopify Admin REST JSON shape), deterministically.

Run `python stores/demo/generate_sandbox.py` from the project root; it rewrites
`stores/demo/sandbox/{store,customers,products,orders,scenarios}.json`. The same seed always gives
the same bytes, so the committed output can be checked with `git diff --exit-code`.

Every date is relative to the fixed business date `TODAY`; `scenarios.json` names example orders
for each state (in transit, delivered outside the return window, final sale, ...) for tests and
evals.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

SEED = 20261120
TODAY = date(2026, 11, 20)
OUT_DIR = Path(__file__).resolve().parent / "sandbox"

CUSTOMER_ID0 = 7_204_118_000_000
PRODUCT_ID0 = 8_112_540_000_000
VARIANT_ID0 = 44_590_310_000_000
ORDER_ID0 = 5_931_770_000_000
LINE_ID0 = 14_870_220_000_000
FULFILLMENT_ID0 = 5_310_440_000_000
REFUND_ID0 = 952_180_000_000
TRANSACTION_ID0 = 7_020_660_000_000

# title, product_type, price, tags, options (name -> values)
CATALOG: list[tuple[str, str, str, list[str], dict[str, list[str]]]] = [
    (
        "Ridgeline Rain Shell",
        "Jackets",
        "189.00",
        ["outerwear", "waterproof"],
        {"Size": ["S", "M", "L", "XL"], "Color": ["Spruce", "Black"]},
    ),
    (
        "Harbor Fleece Pullover",
        "Fleece",
        "79.00",
        ["fleece"],
        {"Size": ["S", "M", "L", "XL"], "Color": ["Heather Grey", "Navy"]},
    ),
    (
        "Summit Down Parka",
        "Jackets",
        "329.00",
        ["outerwear", "down"],
        {"Size": ["S", "M", "L"], "Color": ["Black", "Ember"]},
    ),
    (
        "Trailhead Merino Tee",
        "Tops",
        "48.00",
        ["merino", "base-layer"],
        {"Size": ["XS", "S", "M", "L", "XL"]},
    ),
    (
        "Cascade Flannel Shirt",
        "Tops",
        "68.00",
        ["flannel"],
        {"Size": ["S", "M", "L", "XL"], "Color": ["Red Plaid", "Green Plaid"]},
    ),
    (
        "Portage Canvas Pants",
        "Bottoms",
        "88.00",
        ["pants"],
        {"Waist": ["30", "32", "34", "36"], "Inseam": ["30", "32"]},
    ),
    ("Switchback Hiking Shorts", "Bottoms", "54.00", ["shorts"], {"Size": ["S", "M", "L"]}),
    (
        "Alder Wool Socks (3-Pack)",
        "Accessories",
        "24.00",
        ["socks", "merino"],
        {"Size": ["S/M", "L/XL"]},
    ),
    ("Tamarack Beanie", "Accessories", "28.00", ["hat"], {"Color": ["Rust", "Charcoal", "Cream"]}),
    (
        "Basin Trail Runner",
        "Footwear",
        "139.00",
        ["footwear"],
        {"Size": ["7", "8", "9", "10", "11", "12"]},
    ),
    (
        "Granite Mid Hiking Boot",
        "Footwear",
        "189.00",
        ["footwear", "waterproof"],
        {"Size": ["7", "8", "9", "10", "11", "12"]},
    ),
    ("Lakeshore Sandal", "Footwear", "64.00", ["footwear"], {"Size": ["7", "8", "9", "10", "11"]}),
    ("Backcountry 38L Pack", "Packs", "159.00", ["packs"], {"Color": ["Slate", "Moss"]}),
    ("Daytrip 18L Pack", "Packs", "89.00", ["packs"], {"Color": ["Slate", "Ochre", "Black"]}),
    (
        "Kettle Insulated Bottle 750ml",
        "Gear",
        "32.00",
        ["drinkware"],
        {"Color": ["Steel", "Forest", "Clay"]},
    ),
    ("Ember Camp Mug", "Gear", "18.00", ["drinkware"], {"Color": ["Enamel White", "Enamel Blue"]}),
    ("Northstar 2P Tent", "Camping", "349.00", ["camping", "tents"], {"Color": ["Sand"]}),
    ("Drift 20F Sleeping Bag", "Camping", "219.00", ["camping"], {"Length": ["Regular", "Long"]}),
    ("Lantern Headlamp 300", "Gear", "39.00", ["lighting"], {"Color": ["Black", "Orange"]}),
    ("Boundary Trekking Poles", "Gear", "99.00", ["poles"], {"Length": ["Standard"]}),
    (
        "Cove Packable Puffer Vest",
        "Jackets",
        "119.00",
        ["outerwear", "down"],
        {"Size": ["S", "M", "L", "XL"], "Color": ["Navy", "Olive"]},
    ),
    ("Meadow Sun Hoodie", "Tops", "58.00", ["sun-protection"], {"Size": ["S", "M", "L", "XL"]}),
    (
        "Outpost Leather Belt",
        "Accessories",
        "45.00",
        ["leather"],
        {"Size": ["32", "34", "36", "38"]},
    ),
    (
        "Ferry Crew Sweatshirt",
        "Tops",
        "62.00",
        ["casual"],
        {"Size": ["S", "M", "L", "XL"], "Color": ["Oat", "Pine"]},
    ),
    (
        "Timberline Softshell Jacket",
        "Jackets",
        "149.00",
        ["outerwear"],
        {"Size": ["S", "M", "L", "XL"]},
    ),
    # final-sale items: samples, last season, personal-care
    (
        "Sample Sale Ridgeline Shell (Last Season)",
        "Jackets",
        "94.00",
        ["outerwear", "final-sale", "clearance"],
        {"Size": ["S", "M", "L"]},
    ),
    (
        "Clearance Harbor Fleece Vest",
        "Fleece",
        "39.00",
        ["fleece", "final-sale", "clearance"],
        {"Size": ["S", "M", "L", "XL"]},
    ),
    (
        "Mineral Sunscreen SPF 50",
        "Personal Care",
        "16.00",
        ["personal-care", "final-sale"],
        {"Size": ["3 oz"]},
    ),
    (
        "Trail Lip Balm (2-Pack)",
        "Personal Care",
        "9.00",
        ["personal-care", "final-sale"],
        {"Size": ["Standard"]},
    ),
    (
        "Engraved Camp Knife",
        "Gear",
        "72.00",
        ["personalized", "final-sale"],
        {"Finish": ["Walnut", "Olive Wood"]},
    ),
    ("Gift Card", "Gift Cards", "50.00", ["gift-card", "final-sale"], {"Denomination": ["$50"]}),
    ("Waxed Canvas Tote", "Accessories", "84.00", ["bags"], {"Color": ["Tan", "Olive"]}),
    (
        "Quilted Camp Blanket",
        "Camping",
        "110.00",
        ["camping", "blankets"],
        {"Color": ["Red", "Forest"]},
    ),
]

FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sophia",
    "Elijah",
    "Isabella",
    "Lucas",
    "Mia",
    "Aiden",
    "Harper",
    "Ethan",
    "Amara",
    "Kenji",
    "Priya",
    "Diego",
    "Chloe",
    "Samuel",
    "Zoe",
    "Omar",
    "Leah",
    "Caleb",
    "Nora",
    "Hiro",
    "Fatima",
    "Jonah",
    "Grace",
    "Ravi",
    "Elena",
    "Marcus",
    "Ingrid",
    "Tomás",
    "Aisha",
    "Owen",
    "Freya",
    "Malik",
    "Julia",
    "Wei",
    "Sienna",
    "Felix",
    "Maya",
    "Arjun",
    "Clara",
    "Dmitri",
]
LAST = [
    "Bennett",
    "Okafor",
    "Nguyen",
    "Ramirez",
    "Schmidt",
    "Patel",
    "Kowalski",
    "Johansson",
    "Murphy",
    "Tanaka",
    "Hughes",
    "Silva",
    "Fischer",
    "Haddad",
    "Lindqvist",
    "Morales",
    "O'Brien",
    "Chen",
    "Dubois",
    "Walker",
    "Kim",
    "Rossi",
    "Adeyemi",
    "Foster",
    "Novak",
    "Sato",
    "Whitfield",
    "Castillo",
    "Becker",
    "Moreau",
]

# city, province, province_code, zip, country, country_code, area code, tax rate
US_PLACES = [
    ("Portland", "Oregon", "OR", "97214", "503", "0.000"),
    ("Seattle", "Washington", "WA", "98103", "206", "0.101"),
    ("Denver", "Colorado", "CO", "80205", "303", "0.088"),
    ("Burlington", "Vermont", "VT", "05401", "802", "0.070"),
    ("Asheville", "North Carolina", "NC", "28801", "828", "0.070"),
    ("Austin", "Texas", "TX", "78704", "512", "0.0825"),
    ("Brooklyn", "New York", "NY", "11215", "718", "0.08875"),
    ("Minneapolis", "Minnesota", "MN", "55408", "612", "0.0803"),
    ("Boise", "Idaho", "ID", "83702", "208", "0.060"),
    ("Salt Lake City", "Utah", "UT", "84102", "801", "0.0775"),
    ("Madison", "Wisconsin", "WI", "53703", "608", "0.055"),
    ("Bend", "Oregon", "OR", "97701", "541", "0.000"),
]
INTL_PLACES = [
    ("Vancouver", "British Columbia", "BC", "V6K 2G8", "Canada", "CA", "+1604", "0.12"),
    ("Toronto", "Ontario", "ON", "M5V 2T6", "Canada", "CA", "+1416", "0.13"),
    ("Manchester", "England", "ENG", "M1 1AE", "United Kingdom", "GB", "+44161", "0.20"),
    ("Munich", "Bavaria", "BY", "80331", "Germany", "DE", "+4989", "0.19"),
    ("Melbourne", "Victoria", "VIC", "3000", "Australia", "AU", "+613", "0.10"),
    ("Kyoto", "Kyoto", "JP-26", "600-8216", "Japan", "JP", "+8175", "0.10"),
]
STREETS = [
    "Alder St",
    "Maple Ave",
    "Cedar Ln",
    "Harbor Rd",
    "Pine St",
    "Willow Way",
    "Birch Ct",
    "Lakeview Dr",
    "Summit Ave",
    "Elm St",
    "Ridge Rd",
    "Juniper Pl",
]

# scenario name -> number of orders
SCENARIOS: dict[str, int] = {
    "unfulfilled": 22,
    "unfulfilled_payment_pending": 4,
    "partially_fulfilled": 12,
    "in_transit": 20,
    "out_for_delivery": 5,
    "delivery_failure": 3,
    "delivered_recent": 26,
    "delivered_outside_window": 22,
    "cancelled": 10,
    "partially_refunded": 10,
    "refunded": 8,
    "final_sale_delivered": 10,
    "high_value_delivered": 8,
}
INTERNATIONAL_SHARE = 0.15


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def stamp(moment: datetime) -> str:
    """Shopify REST timestamps: local time with offset (the shop is in America/New_York)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(
        day, time(rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=UTC
    )


@dataclass
class Ids:
    """Monotonic id counters, one per Shopify resource type."""

    line: int = LINE_ID0
    fulfillment: int = FULFILLMENT_ID0
    refund: int = REFUND_ID0
    transaction: int = TRANSACTION_ID0

    def next(self, kind: str) -> int:
        value = getattr(self, kind) + 1
        setattr(self, kind, value)
        return value


def build_products(rng: random.Random) -> list[dict[str, Any]]:
    products = []
    variant_id = VARIANT_ID0
    for index, (title, ptype, price, tags, options) in enumerate(CATALOG):
        product_id = PRODUCT_ID0 + index + 1
        created = at(TODAY - timedelta(days=400 - index * 3), rng)
        combos: list[list[str]] = [[]]
        for values in options.values():
            combos = [[*combo, value] for combo in combos for value in values]
        variants = []
        for position, combo in enumerate(combos, start=1):
            variant_id += 1
            sku = "NW-" + "".join(w[0] for w in title.split() if w[0].isalnum()).upper()
            sku += "-" + "-".join(v.replace(" ", "").upper()[:4] for v in combo)
            variants.append(
                {
                    "id": variant_id,
                    "product_id": product_id,
                    "title": " / ".join(combo),
                    "price": price,
                    "compare_at_price": None,
                    "sku": sku,
                    "position": position,
                    "inventory_policy": "deny",
                    "fulfillment_service": "manual",
                    "inventory_management": "shopify",
                    "option1": combo[0] if combo else None,
                    "option2": combo[1] if len(combo) > 1 else None,
                    "option3": None,
                    "taxable": ptype != "Gift Cards",
                    "grams": rng.randint(80, 2400),
                    "inventory_quantity": rng.randint(0, 140),
                    "requires_shipping": True,
                    "created_at": stamp(created),
                    "updated_at": stamp(created),
                }
            )
        products.append(
            {
                "id": product_id,
                "title": title,
                "handle": title.lower().replace("(", "").replace(")", "").replace(" ", "-"),
                "body_html": f"<p>{title} from Northwind Outfitters.</p>",
                "vendor": "Northwind Outfitters",
                "product_type": ptype,
                "status": "active",
                "tags": ", ".join(tags),
                "created_at": stamp(created),
                "updated_at": stamp(created),
                "published_at": stamp(created),
                "options": [
                    {"name": name, "position": i + 1, "values": values}
                    for i, (name, values) in enumerate(options.items())
                ],
                "variants": variants,
            }
        )
    return products


def build_customers(rng: random.Random) -> list[dict[str, Any]]:
    customers = []
    used: set[str] = set()
    for index in range(48):
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if (first, last) not in used:
                used.add((first, last))  # type: ignore[arg-type]
                break
        kind = (
            "both" if index % 3 == 0 or index % 5 == 1 else ("email" if index % 3 == 1 else "phone")
        )
        intl = index % 8 == 7
        if intl:
            city, prov, pcode, zip_, country, ccode, prefix, _ = INTL_PLACES[
                (index // 8) % len(INTL_PLACES)
            ]
            phone = prefix + str(rng.randint(1_000_000, 9_999_999))
        else:
            city, prov, pcode, zip_, area, _ = rng.choice(US_PLACES)
            country, ccode = "United States", "US"
            phone = f"+1{area}555{rng.randint(0, 9999):04d}"
        domain = rng.choice(
            ["gmail.com", "outlook.com", "icloud.com", "proton.me", "yahoo.com", "fastmail.com"]
        )
        slug = (first + "." + last).lower().replace("'", "").replace("á", "a")
        email = f"{slug}{rng.choice(['', '', str(rng.randint(2, 99))])}@{domain}"
        email_value = email if kind in ("email", "both") else None
        phone_value = phone if kind in ("phone", "both") else None
        created = at(TODAY - timedelta(days=rng.randint(200, 900)), rng)
        address = {
            "first_name": first,
            "last_name": last,
            "company": None,
            "address1": f"{rng.randint(12, 4800)} {rng.choice(STREETS)}",
            "address2": rng.choice([None, None, None, f"Apt {rng.randint(1, 40)}"]),
            "city": city,
            "province": prov,
            "province_code": pcode,
            "zip": zip_,
            "country": country,
            "country_code": ccode,
            "phone": phone_value,
            "name": f"{first} {last}",
        }
        customer_id = CUSTOMER_ID0 + index + 1
        customers.append(
            {
                "id": customer_id,
                "email": email_value,
                "phone": phone_value,
                "first_name": first,
                "last_name": last,
                "state": "enabled",
                "verified_email": email_value is not None,
                "tags": "",
                "currency": "USD",
                "created_at": stamp(created),
                "updated_at": stamp(created),
                "orders_count": 0,
                "total_spent": "0.00",
                "note": None,
                "accepts_marketing": rng.random() < 0.4,
                "default_address": {
                    "id": customer_id + 90_000_000,
                    "customer_id": customer_id,
                    "default": True,
                    **address,
                },
                "addresses": [
                    {
                        "id": customer_id + 90_000_000,
                        "customer_id": customer_id,
                        "default": True,
                        **address,
                    }
                ],
            }
        )
    return customers


def tracking_for(country_code: str, rng: random.Random) -> tuple[str, str, str]:
    """A carrier, a tracking number in that carrier's format, and its public tracking URL."""
    if country_code == "CA":
        number = "".join(str(rng.randint(0, 9)) for _ in range(16))
        return (
            "Canada Post",
            number,
            f"https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
        )
    if country_code != "US":
        number = "".join(str(rng.randint(0, 9)) for _ in range(10))
        return (
            "DHL Express",
            number,
            f"https://www.dhl.com/us-en/home/tracking/tracking-express.html?tracking-id={number}",
        )
    carrier = rng.choice(["UPS", "UPS", "USPS", "FedEx"])
    if carrier == "UPS":
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXY0123456789") for _ in range(6))
        number = "1Z" + letters + "".join(str(rng.randint(0, 9)) for _ in range(10))
        return carrier, number, f"https://www.ups.com/track?loc=en_US&tracknum={number}"
    if carrier == "USPS":
        number = "9400" + "".join(str(rng.randint(0, 9)) for _ in range(18))
        return carrier, number, f"https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"
    number = "".join(str(rng.randint(0, 9)) for _ in range(12))
    return carrier, number, f"https://www.fedex.com/fedextrack/?trknbr={number}"


def order_age(scenario: str, rng: random.Random) -> int:
    """Days between the order and TODAY, chosen so each scenario's dates make sense."""
    return {
        "unfulfilled": rng.randint(0, 3),
        "unfulfilled_payment_pending": rng.randint(0, 2),
        "partially_fulfilled": rng.randint(3, 9),
        "in_transit": rng.randint(2, 7),
        "out_for_delivery": rng.randint(3, 6),
        "delivery_failure": rng.randint(8, 14),
        "delivered_recent": rng.randint(6, 30),
        "delivered_outside_window": rng.randint(45, 240),
        "cancelled": rng.randint(1, 60),
        "partially_refunded": rng.randint(12, 60),
        "refunded": rng.randint(14, 90),
        "final_sale_delivered": rng.randint(6, 25),
        "high_value_delivered": rng.randint(6, 24),
    }[scenario]


def pick_lines(
    scenario: str, products: list[dict[str, Any]], rng: random.Random
) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
    regular = [p for p in products if "final-sale" not in p["tags"]]
    final_sale = [
        p for p in products if "final-sale" in p["tags"] and p["product_type"] != "Gift Cards"
    ]
    if scenario == "high_value_delivered":
        pool = [p for p in regular if Decimal(p["variants"][0]["price"]) >= 139]
        count = rng.randint(1, 2)
    elif scenario == "partially_fulfilled" or scenario in ("partially_refunded", "refunded"):
        pool, count = regular, rng.randint(2, 4)
    else:
        pool, count = regular, rng.choice([1, 1, 1, 2, 2, 3])
    chosen = rng.sample(pool, count)
    if scenario == "final_sale_delivered":
        chosen = [rng.choice(final_sale), *chosen[: rng.randint(0, 1)]]
    elif rng.random() < 0.06:
        chosen.append(rng.choice(final_sale))
    lines = []
    for product in chosen:
        variant = rng.choice(product["variants"])
        quantity = 1 if Decimal(variant["price"]) > 60 else rng.choice([1, 1, 2, 3])
        lines.append((product, variant, quantity))
    return lines


def build_order(
    index: int,
    scenario: str,
    created: datetime,
    customer: dict[str, Any],
    products: list[dict[str, Any]],
    rng: random.Random,
    ids: Ids,
) -> dict[str, Any]:
    address = {
        k: v
        for k, v in customer["default_address"].items()
        if k not in ("id", "customer_id", "default")
    }
    country = address["country_code"]
    rate = Decimal(
        next((p[7] for p in INTL_PLACES if p[0] == address["city"]), None)
        or next(p[5] for p in US_PLACES if p[0] == address["city"])
    )
    line_items = []
    for product, variant, quantity in pick_lines(scenario, products, rng):
        price = Decimal(variant["price"])
        discount = (
            Decimal(money(price * quantity * Decimal("0.15")))
            if rng.random() < 0.12
            else Decimal(0)
        )
        tax = (
            Decimal(money((price * quantity - discount) * rate))
            if variant["taxable"]
            else Decimal(0)
        )
        line_items.append(
            {
                "id": ids.next("line"),
                "admin_graphql_api_id": None,
                "product_id": product["id"],
                "variant_id": variant["id"],
                "title": product["title"],
                "variant_title": variant["title"] or None,
                "name": product["title"] + (f" - {variant['title']}" if variant["title"] else ""),
                "sku": variant["sku"],
                "vendor": product["vendor"],
                "quantity": quantity,
                "fulfillable_quantity": quantity,
                "fulfillment_status": None,
                "price": money(price),
                "total_discount": money(discount),
                "requires_shipping": True,
                "taxable": variant["taxable"],
                "gift_card": False,
                "grams": variant["grams"],
                "tax_lines": (
                    [
                        {
                            "title": "Sales Tax" if country == "US" else "VAT/GST",
                            "price": money(tax),
                            "rate": float(rate),
                        }
                    ]
                    if tax
                    else []
                ),
            }
        )
    for line in line_items:
        line["admin_graphql_api_id"] = f"gid://shopify/LineItem/{line['id']}"
    subtotal = sum(
        (
            Decimal(li["price"]) * li["quantity"] - Decimal(li["total_discount"])
            for li in line_items
        ),
        Decimal(0),
    )
    tax_total = sum((Decimal(t["price"]) for li in line_items for t in li["tax_lines"]), Decimal(0))
    if country != "US":
        shipping = ("International Express", Decimal("24.95"))
    elif subtotal >= 75:
        shipping = ("Free Standard Shipping", Decimal("0.00"))
    else:
        shipping = rng.choice(
            [("Standard Shipping", Decimal("7.95")), ("Express Shipping", Decimal("19.95"))]
        )
    total = subtotal + tax_total + shipping[1]
    order_id = ORDER_ID0 + index
    order: dict[str, Any] = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{1000 + index}",
        "order_number": 1000 + index,
        "number": index,
        "email": customer["email"],
        "contact_email": customer["email"],
        "phone": customer["phone"],
        "created_at": stamp(created),
        "processed_at": stamp(created),
        "updated_at": stamp(created),
        "closed_at": None,
        "cancelled_at": None,
        "cancel_reason": None,
        "currency": "USD",
        "presentment_currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": None,
        "confirmed": True,
        "test": False,
        "gateway": "shopify_payments",
        "payment_gateway_names": ["shopify_payments"],
        "subtotal_price": money(subtotal),
        "total_line_items_price": money(
            sum((Decimal(li["price"]) * li["quantity"] for li in line_items), Decimal(0))
        ),
        "total_discounts": money(
            sum((Decimal(li["total_discount"]) for li in line_items), Decimal(0))
        ),
        "total_tax": money(tax_total),
        "total_price": money(total),
        "taxes_included": False,
        "tags": "",
        "note": None,
        "source_name": "web",
        "customer": {k: customer[k] for k in ("id", "email", "phone", "first_name", "last_name")},
        "shipping_address": address,
        "billing_address": dict(address),
        "shipping_lines": [
            {
                "id": order_id + 3_000_000,
                "title": shipping[0],
                "code": shipping[0].upper().replace(" ", "_"),
                "price": money(shipping[1]),
                "source": "shopify",
            }
        ],
        "line_items": line_items,
        "fulfillments": [],
        "refunds": [],
    }
    apply_scenario(order, scenario, created, rng, ids)
    return order


def fulfill(
    order: dict[str, Any],
    lines: list[dict[str, Any]],
    when: datetime,
    status: str | None,
    updated: datetime,
    rng: random.Random,
    ids: Ids,
) -> None:
    carrier, number, url = tracking_for(order["shipping_address"]["country_code"], rng)
    fulfillment_id = ids.next("fulfillment")
    for line in lines:
        line["fulfillable_quantity"] = 0
        line["fulfillment_status"] = "fulfilled"
    order["fulfillments"].append(
        {
            "id": fulfillment_id,
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
            "order_id": order["id"],
            "status": "success",
            "service": "manual",
            "name": f"{order['name']}.{len(order['fulfillments']) + 1}",
            "created_at": stamp(when),
            "updated_at": stamp(updated),
            "tracking_company": carrier,
            "tracking_number": number,
            "tracking_numbers": [number],
            "tracking_url": url,
            "tracking_urls": [url],
            "shipment_status": status,
            "line_items": [dict(line) for line in lines],
        }
    )
    unfulfilled = [li for li in order["line_items"] if li["fulfillable_quantity"] > 0]
    order["fulfillment_status"] = "partial" if unfulfilled else "fulfilled"
    order["updated_at"] = stamp(max(updated, when))


def add_refund(
    order: dict[str, Any],
    lines: list[dict[str, Any]],
    when: datetime,
    ids: Ids,
    note: str,
    shipping: bool = False,
) -> None:
    refund_lines, amount = [], Decimal(0)
    for line in lines:
        subtotal = Decimal(line["price"]) * line["quantity"] - Decimal(line["total_discount"])
        tax = sum((Decimal(t["price"]) for t in line["tax_lines"]), Decimal(0))
        amount += subtotal + tax
        refund_lines.append(
            {
                "id": ids.next("refund") + 40_000_000,
                "line_item_id": line["id"],
                "quantity": line["quantity"],
                "restock_type": "return",
                "subtotal": money(subtotal),
                "total_tax": money(tax),
            }
        )
    adjustments = []
    if shipping:
        ship = Decimal(order["shipping_lines"][0]["price"])
        amount += ship
        if ship:
            adjustments.append(
                {
                    "id": ids.next("refund") + 60_000_000,
                    "kind": "shipping_refund",
                    "amount": money(-ship),
                    "reason": "Shipping refund",
                }
            )
    refund_id = ids.next("refund")
    order["refunds"].append(
        {
            "id": refund_id,
            "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
            "order_id": order["id"],
            "created_at": stamp(when),
            "processed_at": stamp(when),
            "note": note,
            "restock": True,
            "refund_line_items": refund_lines,
            "order_adjustments": adjustments,
            "transactions": [
                {
                    "id": ids.next("transaction"),
                    "order_id": order["id"],
                    "kind": "refund",
                    "status": "success",
                    "gateway": order["gateway"],
                    "amount": money(amount),
                    "currency": "USD",
                    "created_at": stamp(when),
                }
            ],
        }
    )
    refunded = sum(
        (Decimal(t["amount"]) for r in order["refunds"] for t in r["transactions"]), Decimal(0)
    )
    order["financial_status"] = (
        "refunded" if refunded >= Decimal(order["total_price"]) else "partially_refunded"
    )
    order["updated_at"] = stamp(when)


def apply_scenario(
    order: dict[str, Any], scenario: str, created: datetime, rng: random.Random, ids: Ids
) -> None:
    lines = order["line_items"]
    shipped = created + timedelta(days=rng.randint(1, 2), hours=rng.randint(1, 6))
    now = datetime.combine(TODAY, time(9, 0), tzinfo=UTC)
    if scenario == "unfulfilled_payment_pending":
        order["financial_status"] = "pending"
        order["gateway"] = "manual"
        order["payment_gateway_names"] = ["Bank Deposit"]
    elif scenario == "cancelled":
        when = created + timedelta(hours=rng.randint(2, 30))
        order["cancelled_at"] = stamp(when)
        order["closed_at"] = stamp(when)
        order["cancel_reason"] = rng.choice(["customer", "customer", "inventory", "declined"])
        if order["cancel_reason"] == "declined":
            order["financial_status"] = "voided"
        else:
            add_refund(order, lines, when, ids, "Order cancelled", shipping=True)
        order["updated_at"] = stamp(when)
    elif scenario == "partially_fulfilled":
        status = rng.choice(["in_transit", "confirmed", "delivered"])
        updated = min(shipped + timedelta(days=3), now) if status == "delivered" else shipped
        fulfill(order, lines[: len(lines) - 1], shipped, status, updated, rng, ids)
    elif scenario in ("in_transit", "out_for_delivery", "delivery_failure"):
        status = {
            "in_transit": rng.choice(["in_transit", "in_transit", "confirmed", "label_printed"]),
            "out_for_delivery": "out_for_delivery",
            "delivery_failure": "failure",
        }[scenario]
        fulfill(order, lines, shipped, status, min(shipped + timedelta(days=2), now), rng, ids)
    elif scenario != "unfulfilled":
        transit = timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 8))
        delivered = min(shipped + transit, now - timedelta(days=1))
        if scenario in ("delivered_recent", "final_sale_delivered", "high_value_delivered"):
            delivered = max(delivered, now - timedelta(days=rng.randint(2, 24)))
        fulfill(order, lines, shipped, "delivered", delivered, rng, ids)
        if scenario == "partially_refunded":
            add_refund(
                order,
                lines[:1],
                delivered + timedelta(days=rng.randint(3, 8)),
                ids,
                "Returned item",
            )
        elif scenario == "refunded":
            add_refund(
                order,
                lines,
                delivered + timedelta(days=rng.randint(3, 10)),
                ids,
                "Full return",
                shipping=rng.random() < 0.5,
            )
        if scenario == "delivered_outside_window" or rng.random() < 0.3:
            order["closed_at"] = stamp(delivered + timedelta(days=1))


def build_orders(
    customers: list[dict[str, Any]], products: list[dict[str, Any]], rng: random.Random
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    plan = [name for name, count in SCENARIOS.items() for _ in range(count)]
    dated = []
    for scenario in plan:
        day = TODAY - timedelta(days=order_age(scenario, rng))
        created = at(day, rng)
        if day == TODAY:
            created = created.replace(hour=rng.randint(0, 8))
        dated.append((created, scenario))
    dated.sort()
    weights = [3 if i % 4 == 0 else 1 for i in range(len(customers))]
    ids = Ids()
    orders, scenarios = [], {name: [] for name in SCENARIOS}  # type: ignore[var-annotated]
    for index, (created, scenario) in enumerate(dated, start=1):
        customer = rng.choices(customers, weights=weights)[0]
        order = build_order(index, scenario, created, customer, products, rng, ids)
        orders.append(order)
        scenarios[scenario].append(order["name"])
        if len(order["line_items"]) > 1:
            scenarios.setdefault("multi_item", []).append(order["name"])
        if order["shipping_address"]["country_code"] != "US":
            scenarios.setdefault("international", []).append(order["name"])
        if order["financial_status"] not in ("pending", "voided"):
            customer["orders_count"] += 1
            customer["total_spent"] = money(
                Decimal(customer["total_spent"]) + Decimal(order["total_price"])
            )
    orders.reverse()  # the REST API lists newest first
    return orders, scenarios


def write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(out_dir: Path = OUT_DIR) -> None:
    """Write every fixture file into `out_dir` (default: the demo store's sandbox/)."""
    rng = random.Random(SEED)
    products = build_products(rng)
    customers = build_customers(rng)
    orders, scenarios = build_orders(customers, products, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(
        out_dir / "store.json",
        {
            "today": TODAY.isoformat(),
            "shop": {
                "name": "Northwind Outfitters",
                "email": "help@northwind-outfitters.example",
                "currency": "USD",
                "timezone": "America/New_York",
                "myshopify_domain": "northwind-outfitters.myshopify.com",
            },
        },
    )
    write_json(out_dir / "customers.json", {"customers": customers})
    write_json(out_dir / "products.json", {"products": products})
    write_json(out_dir / "orders.json", {"orders": orders})
    write_json(out_dir / "scenarios.json", {"today": TODAY.isoformat(), "orders": scenarios})


if __name__ == "__main__":
    main()
