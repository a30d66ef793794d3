"""The Shopify Admin REST records a sandbox store is made of, and what each one must have.

A field without a default is REQUIRED: the sandbox cannot serve the record without it, so a
missing, null or malformed value stops start-up (`fixtures.FixtureError`). Every other field is
OPTIONAL: an export may leave it out or null, and `record_defaults` fills it in (a stable id, the
shop's currency, a total computed from the lines...). A present optional value must still be
well formed. Keys not modelled here are kept exactly as exported: a real shop's export has many
more, and the sandbox passes them through.

REST enum values are lower case (`partially_refunded`); the views upper-case them into the
GraphQL enums of `schema.graphql`, so each `Literal` below lists only values that map onto one.
"""

from __future__ import annotations

import reprlib
import types
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tools.sandbox.values import money_str, parse_time


def _money(value: Any) -> str:
    """A REST amount: a decimal string such as "12.50" (a JSON number is turned into one)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"not an amount: {reprlib.repr(value)}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {reprlib.repr(value)}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {reprlib.repr(value)}")
    return value if isinstance(value, str) else money_str(amount)


def _timestamp(value: Any) -> str:
    """An ISO 8601 timestamp such as "2026-11-19T08:02:01-05:00" (kept as exported)."""
    try:
        parse_time(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO 8601 timestamp: {reprlib.repr(value)}") from None
    if not isinstance(value, str) or not value:
        raise ValueError(f"not an ISO 8601 timestamp: {reprlib.repr(value)}")
    return value


def _tags(value: Any) -> str | list[str]:
    """REST tags: one comma-separated string, or (some exports) a list of strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(t, str | int | float) for t in value):
        return [str(t) for t in value]
    raise ValueError(f"not a comma-separated string or a list of tags: {reprlib.repr(value)}")


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


Id = Annotated[int, Field(gt=0)]
"""A Shopify REST id: a positive integer (a numeric string is accepted)."""
Money = Annotated[str, BeforeValidator(_money)]
Timestamp = Annotated[str, BeforeValidator(_timestamp)]
Tags = Annotated[str | list[str], BeforeValidator(_tags)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
"""A quantity: GraphQL `Int` is 32-bit."""
Stock = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]

CurrencyCode = Literal[
    "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "INR",
    "JPY", "KRW", "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "USD", "ZAR",
]  # fmt: skip
Currency = Annotated[CurrencyCode, BeforeValidator(_upper)]
FinancialStatus = Annotated[
    Literal[
        "authorized", "expired", "paid", "partially_paid", "partially_refunded", "pending",
        "refunded", "voided",
    ],
    BeforeValidator(_lower),
]  # fmt: skip
OrderFulfillmentStatus = Annotated[
    Literal[
        "fulfilled", "in_progress", "on_hold", "open", "partial", "partially_fulfilled",
        "pending_fulfillment", "request_declined", "restocked", "scheduled", "unfulfilled",
    ],
    BeforeValidator(_lower),
]  # fmt: skip
CancelReason = Annotated[
    Literal["customer", "declined", "fraud", "inventory", "other", "staff"],
    BeforeValidator(_lower),
]
FulfillmentState = Annotated[
    Literal["cancelled", "error", "failure", "open", "pending", "success"],
    BeforeValidator(_lower),
]
TransactionKind = Annotated[
    Literal[
        "authorization", "capture", "change", "emv_authorization", "refund", "sale",
        "suggested_refund", "void",
    ],
    BeforeValidator(_lower),
]  # fmt: skip
TransactionStatus = Annotated[
    Literal["awaiting_response", "error", "failure", "pending", "success", "unknown"],
    BeforeValidator(_lower),
]
RestockType = Annotated[
    Literal["cancel", "legacy_restock", "no_restock", "return"], BeforeValidator(_lower)
]
CustomerState = Annotated[
    Literal["declined", "disabled", "enabled", "invited"], BeforeValidator(_lower)
]


class Record(BaseModel):
    """A REST object: modelled fields checked, every other key kept as exported."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_missing(cls, data: Any) -> Any:
        """Exports write `null` for "not set": that is a missing required field, or the default."""
        if not isinstance(data, dict):
            return data

        def keep(key: str, value: Any) -> bool:
            field = cls.model_fields.get(key)
            return (
                value is not None
                or field is None
                or (not field.is_required() and field.default is None)
            )

        return {key: value for key, value in data.items() if keep(key, value)}


class Resource(Record):
    """A record of its own fixture file, known by its Shopify id."""

    id: Id


class Address(Record):
    """A postal address (an order's shipping or billing address)."""

    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None


class CustomerAddress(Address):
    """One of a customer's saved addresses."""

    id: Id | None = None
    customer_id: Id | None = None
    default: bool = False


class Customer(Resource):
    """`customers.json`: one customer."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    note: str | None = None
    state: CustomerState = "enabled"
    tags: Tags = ""
    verified_email: bool = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    orders_count: Count | None = None
    total_spent: Money | None = None
    currency: Currency | None = None
    default_address: CustomerAddress | None = None
    addresses: list[CustomerAddress] = Field(default_factory=list)


class Variant(Record):
    """One variant of a product."""

    id: Id
    price: Money
    product_id: Id | None = None
    title: str = "Default Title"
    sku: str | None = None
    inventory_quantity: Stock | None = None


class Product(Resource):
    """`products.json`: one product; its `tags` mark final-sale items."""

    title: str | None = None
    handle: str | None = None
    vendor: str = ""
    product_type: str = ""
    status: str = "active"
    tags: Tags = ""
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    variants: list[Variant] = Field(default_factory=list)


class TaxLine(Record):
    title: str = "Tax"
    price: Money = "0.00"
    rate: float | None = None


class LineItem(Record):
    """One line of an order."""

    id: Id
    price: Money
    quantity: Count
    title: str | None = None
    name: str | None = None
    variant_title: str | None = None
    sku: str | None = None
    vendor: str | None = None
    product_id: Id | None = None
    variant_id: Id | None = None
    total_discount: Money = "0.00"
    tax_lines: list[TaxLine] = Field(default_factory=list)
    requires_shipping: bool = True
    taxable: bool = True


class FulfillmentLine(Record):
    """A line of a fulfillment: REST repeats the order's line item (its `id` is that line's id)."""

    id: Id | None = None
    quantity: Count | None = None


class Fulfillment(Record):
    """One shipment; `shipment_status: delivered` counts as delivered at `updated_at`."""

    id: Id | None = None
    name: str | None = None
    status: FulfillmentState = "success"
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    shipment_status: str | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_numbers: list[str] = Field(default_factory=list)
    tracking_url: str | None = None
    tracking_urls: list[str] = Field(default_factory=list)
    line_items: list[FulfillmentLine] = Field(default_factory=list)


class Transaction(Record):
    """A payment (`order.transactions`) or a refund's money movement (`refund.transactions`)."""

    id: Id | None = None
    amount: Money
    kind: TransactionKind | None = None
    status: TransactionStatus = "success"
    gateway: str | None = None
    created_at: Timestamp | None = None
    parent_id: Id | None = None
    currency: Currency | None = None


class RefundLine(Record):
    """Units of one order line a refund gave back."""

    id: Id | None = None
    line_item_id: Id
    quantity: Count
    restock_type: RestockType = "no_restock"
    subtotal: Money | None = None
    total_tax: Money | None = None


class OrderAdjustment(Record):
    """A refund's adjustment; `kind: shipping_refund` is refunded shipping (a negative amount)."""

    id: Id | None = None
    amount: Money
    kind: str = "refund_discrepancy"


class Refund(Record):
    id: Id | None = None
    created_at: Timestamp | None = None
    processed_at: Timestamp | None = None
    note: str | None = None
    refund_line_items: list[RefundLine] = Field(default_factory=list)
    transactions: list[Transaction] = Field(default_factory=list)
    order_adjustments: list[OrderAdjustment] = Field(default_factory=list)


class ShippingLine(Record):
    id: Id | None = None
    title: str = "Shipping"
    code: str | None = None
    price: Money = "0.00"


class OrderCustomer(Customer):
    """The order's copy of its customer; without an `id` the order is a guest's. A customer
    missing from `customers.json` is served from this copy."""

    id: Id | None = None  # type: ignore[assignment]


class Order(Resource):
    """`orders.json`: one order."""

    name: Annotated[str, Field(min_length=1)]
    created_at: Timestamp
    line_items: list[LineItem]
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: Tags = ""
    processed_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    closed_at: Timestamp | None = None
    cancelled_at: Timestamp | None = None
    cancel_reason: CancelReason | None = None
    confirmed: bool = True
    test: bool = False
    currency: Currency | None = None
    financial_status: FinancialStatus | None = None
    fulfillment_status: OrderFulfillmentStatus | None = None
    gateway: str | None = None
    taxes_included: bool = False
    total_line_items_price: Money | None = None
    total_discounts: Money | None = None
    subtotal_price: Money | None = None
    total_tax: Money | None = None
    total_price: Money | None = None
    customer: OrderCustomer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fulfillments: list[Fulfillment] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)
    transactions: list[Transaction] = Field(default_factory=list)


COLLECTIONS: dict[str, type[Resource]] = {
    "customers": Customer,
    "orders": Order,
    "products": Product,
}
"""Each fixture list and the model of its records."""


def _nested_model(annotation: Any) -> tuple[type[Record] | None, bool]:
    """(the record model inside a field's type, whether it is a list of them)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _nested_model(get_args(annotation)[0])
    if origin is list:
        model, _ = _nested_model(get_args(annotation)[0])
        return model, True
    if origin in (Union, types.UnionType):
        for member in get_args(annotation):
            model, many = _nested_model(member)
            if model is not None:
                return model, many
        return None, False
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return annotation, False
    return None, False


def field_paths(model: type[Record], prefix: str) -> Iterator[tuple[str, bool]]:
    """Every modelled field under `model` as (`orders[].refunds[].id`, required), depth first."""
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}"
        yield path, info.is_required()
        nested, many = _nested_model(info.annotation)
        if nested is not None:
            yield from field_paths(nested, f"{path}[]" if many else path)


def all_field_paths() -> list[tuple[str, bool]]:
    """Every modelled field of every fixture file, with whether it is required."""
    return [
        item
        for collection, model in COLLECTIONS.items()
        for item in field_paths(model, f"{collection}[]")
    ]
