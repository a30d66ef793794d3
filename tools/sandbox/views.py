"""REST-shaped sandbox records seen as Shopify Admin GraphQL objects.

Each `*_view` returns a dict keyed by GraphQL field name; fields that take arguments are
callables `(info, **args)`, which graphql-core's default resolver calls. Views are built per
request from the live store, so a mutation is visible to the next query at once.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tools.sandbox import ledger
from tools.sandbox.values import Json, iso_utc, money_str, split_tags, to_decimal

if TYPE_CHECKING:
    from tools.sandbox.store import SandboxStore


def gid(kind: str, value: Any) -> str:
    return f"gid://shopify/{kind}/{value}"


def gid_id(value: str, kind: str | None = None) -> str | None:
    """The numeric part of `gid://shopify/<kind>/<id>`; a bare number is accepted too."""
    text = str(value)
    if text.isdigit():
        return text
    prefix = "gid://shopify/"
    if not text.startswith(prefix):
        return None
    parts = text[len(prefix) :].split("/")
    if len(parts) != 2 or (kind and parts[0] != kind):
        return None
    return parts[1].split("?")[0]


def money_bag(amount: Decimal | str | int | None, currency: str) -> Json:
    money = {"amount": money_str(to_decimal(amount)), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _cursor(position: int) -> str:
    return base64.b64encode(f"arrayconnection:{position}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().split(":")[1]) + 1
    except (ValueError, IndexError):
        return 0


def connection(items: Sequence[Json]) -> Callable[..., Json]:
    """A Relay connection field (`nodes`, `edges`, `pageInfo`) over a list, paged by offset."""

    def resolve(
        _info: Any = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        **_: Any,
    ) -> Json:
        start = _offset(after)
        end = len(items) if before is None else max(_offset(before) - 1, 0)
        window = list(enumerate(items))[start:end]
        if first is not None:
            window = window[: max(first, 0)]
        if last is not None:
            window = window[-last:] if last > 0 else []
        return {
            "nodes": [node for _, node in window],
            "edges": [{"cursor": _cursor(i), "node": node} for i, node in window],
            "pageInfo": {
                "hasNextPage": bool(window) and window[-1][0] < len(items) - 1,
                "hasPreviousPage": bool(window) and window[0][0] > 0,
                "startCursor": _cursor(window[0][0]) if window else None,
                "endCursor": _cursor(window[-1][0]) if window else None,
            },
        }

    return resolve


def listing(items: Sequence[Json]) -> Callable[..., list[Json]]:
    """A plain list field with an optional `first` argument."""

    def resolve(_info: Any = None, first: int | None = None, **_: Any) -> list[Json]:
        return list(items if first is None else items[:first])

    return resolve


def address_view(address: Json | None, owner_id: Any) -> Json | None:
    if not address:
        return None
    name = address.get("name") or " ".join(
        n for n in (address.get("first_name"), address.get("last_name")) if n
    )
    lines = [
        address.get("address1"),
        address.get("address2"),
        " ".join(
            str(p)
            for p in (address.get("city"), address.get("province_code"), address.get("zip"))
            if p
        ),
        address.get("country"),
    ]
    return {
        "id": gid("MailingAddress", f"{owner_id}?model_name=Address"),
        "name": name,
        "firstName": address.get("first_name"),
        "lastName": address.get("last_name"),
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("province"),
        "provinceCode": address.get("province_code"),
        "zip": address.get("zip"),
        "country": address.get("country"),
        "countryCode": address.get("country_code"),
        "countryCodeV2": address.get("country_code"),
        "phone": address.get("phone"),
        "formatted": [str(x) for x in lines if x],
    }


def product_view(store: SandboxStore, product: Json) -> Json:
    variants = [variant_view(store, v, product) for v in product.get("variants") or []]
    return {
        "__typename": "Product",
        "id": gid("Product", product["id"]),
        "legacyResourceId": str(product["id"]),
        "title": product.get("title", ""),
        "handle": product.get("handle", ""),
        "vendor": product.get("vendor", ""),
        "productType": product.get("product_type", ""),
        "tags": split_tags(product.get("tags")),
        "status": str(product.get("status") or "active").upper(),
        "createdAt": iso_utc(product.get("created_at")),
        "updatedAt": iso_utc(product.get("updated_at") or product.get("created_at")),
        "variants": connection(variants),
    }


def variant_view(store: SandboxStore, variant: Json, product: Json | None = None) -> Json:
    owner = product or store.products.get(str(variant.get("product_id")))
    return {
        "__typename": "ProductVariant",
        "id": gid("ProductVariant", variant["id"]),
        "legacyResourceId": str(variant["id"]),
        "title": variant.get("title") or "Default Title",
        "sku": variant.get("sku"),
        "price": money_str(to_decimal(variant.get("price"))),
        "inventoryQuantity": variant.get("inventory_quantity"),
        "product": (lambda _info=None: product_view(store, owner)) if owner else None,
    }


SMS_MARKETING_STATES = frozenset(
    {"not_subscribed", "pending", "redacted", "subscribed", "unsubscribed"}
)


def sms_marketing_state(customer: Json) -> str:
    """The customer's SMS marketing consent (REST `sms_marketing_consent.state`) as GraphQL's
    `CustomerSmsMarketingState`; a customer without one has not subscribed."""
    consent = customer.get("sms_marketing_consent")
    state = str(consent.get("state") or "").lower() if isinstance(consent, dict) else ""
    return (state if state in SMS_MARKETING_STATES else "not_subscribed").upper()


def customer_view(store: SandboxStore, customer: Json) -> Json:
    from tools.sandbox.order_view import order_view
    from tools.sandbox.search import filter_orders

    currency = store.shop.get("currency", "USD")
    name = " ".join(n for n in (customer.get("first_name"), customer.get("last_name")) if n)
    addresses = [
        address_view(a, a.get("id", customer["id"])) for a in customer.get("addresses") or []
    ]

    def orders(
        _info: Any = None, query: str | None = None, reverse: bool = False, **page: Any
    ) -> Json:
        mine = [
            o
            for o in store.orders.values()
            if str((o.get("customer") or {}).get("id")) == str(customer["id"])
        ]
        found = filter_orders(mine, query, reverse=bool(reverse))
        return connection([order_view(store, o) for o in found])(None, **page)

    return {
        "__typename": "Customer",
        "id": gid("Customer", customer["id"]),
        "legacyResourceId": str(customer["id"]),
        "firstName": customer.get("first_name"),
        "lastName": customer.get("last_name"),
        "displayName": name or customer.get("email") or customer.get("phone") or "",
        "email": customer.get("email"),
        "phone": customer.get("phone"),
        "defaultEmailAddress": (
            {"emailAddress": customer["email"]} if customer.get("email") else None
        ),
        "defaultPhoneNumber": (
            {"phoneNumber": customer["phone"], "marketingState": sms_marketing_state(customer)}
            if customer.get("phone")
            else None
        ),
        "state": str(customer.get("state") or "enabled").upper(),
        "tags": split_tags(customer.get("tags")),
        "note": customer.get("note"),
        "verifiedEmail": bool(customer.get("verified_email")),
        "createdAt": iso_utc(customer.get("created_at")),
        "updatedAt": iso_utc(customer.get("updated_at") or customer.get("created_at")),
        "numberOfOrders": str(customer.get("orders_count") or 0),
        "amountSpent": {
            "amount": money_str(to_decimal(customer.get("total_spent"))),
            "currencyCode": customer.get("currency") or currency,
        },
        "defaultAddress": address_view(
            customer.get("default_address"),
            (customer.get("default_address") or {}).get("id", customer["id"]),
        ),
        "addresses": listing([a for a in addresses if a]),
        "orders": orders,
    }


def line_view(store: SandboxStore, order: Json, line: Json) -> Json:
    currency = order.get("currency") or "USD"
    quantity = int(line.get("quantity") or 0)
    price = to_decimal(line.get("price"))
    discounted = ledger.line_discounted_total(line)
    refundable = ledger.refundable_quantity(order, line)
    product = store.products.get(str(line.get("product_id")))
    variant = store.variants.get(str(line.get("variant_id")))
    return {
        "__typename": "LineItem",
        "id": gid("LineItem", line["id"]),
        "name": line.get("name") or line.get("title", ""),
        "title": line.get("title", ""),
        "variantTitle": line.get("variant_title"),
        "sku": line.get("sku"),
        "vendor": line.get("vendor"),
        "quantity": quantity,
        "currentQuantity": 0 if order.get("cancelled_at") else refundable,
        "refundableQuantity": refundable,
        "unfulfilledQuantity": ledger.unfulfilled_quantity(order, line),
        "requiresShipping": bool(line.get("requires_shipping", True)),
        "taxable": bool(line.get("taxable", True)),
        "originalUnitPriceSet": money_bag(price, currency),
        "discountedUnitPriceSet": money_bag(discounted / quantity if quantity else 0, currency),
        "originalTotalSet": money_bag(price * quantity, currency),
        "discountedTotalSet": money_bag(discounted, currency),
        "totalDiscountSet": money_bag(line.get("total_discount"), currency),
        "taxLines": listing(
            [
                {
                    "title": t.get("title", "Tax"),
                    "rate": t.get("rate"),
                    "ratePercentage": (
                        float(t["rate"]) * 100 if t.get("rate") is not None else None
                    ),
                    "priceSet": money_bag(t.get("price"), currency),
                }
                for t in line.get("tax_lines") or []
            ]
        ),
        "product": product_view(store, product) if product else None,
        "variant": variant_view(store, variant) if variant else None,
    }
