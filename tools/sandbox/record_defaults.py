"""Filling in what an export left out, so every record serves every GraphQL field.

Runs after `records` has checked the required fields. Missing ids are minted, stably: a hash of
the kind, the parent's id and the position, in a range no real Shopify id reaches (2**52 and up),
checked against every real id of the same kind. Restarting over the same fixtures gives the same
ids, and a state file written by the sandbox keeps them. Other gaps get the value Shopify would
have reported (a total from the lines, a status from the refunds, the shop's currency).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from tools.sandbox.records import (
    CurrencyCode,
    Customer,
    FinancialStatus,
    Fulfillment,
    FulfillmentLine,
    LineItem,
    Order,
    OrderFulfillmentStatus,
    Product,
    Record,
    Refund,
    Transaction,
)
from tools.sandbox.values import money_str, parse_time, to_decimal

SYNTHETIC_ID_BASE = 2**52
"""Minted ids lie in [2**52, 2**53): above any real Shopify id, still exact in JavaScript."""
UNKNOWN_TIME = "1970-01-01T00:00:00+00:00"
"""`createdAt` of a customer or product whose export has no date at all."""
_GID = re.compile(r"^gid://shopify/LineItem/(\d+)$")


class Problem(Exception):
    """One record the sandbox cannot serve: where (in its collection) and why."""

    def __init__(self, collection: str, index: int, path: str, message: str) -> None:
        super().__init__(f"{collection}[{index}]: {path}: {message}")
        self.collection, self.index, self.path, self.message = collection, index, path, message


class IdMinter:
    """Stable ids for records an export gave none, never equal to a real id of the same kind."""

    def __init__(self) -> None:
        self._taken: dict[str, set[int]] = {}

    def reserve(self, kind: str, ids: Iterable[int | None]) -> None:
        self._taken.setdefault(kind, set()).update(i for i in ids if i is not None)

    def mint(self, kind: str, *key: object) -> int:
        taken = self._taken.setdefault(kind, set())
        for attempt in itertools.count():
            text = "/".join(str(part) for part in (kind, *key, attempt))
            digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
            candidate = SYNTHETIC_ID_BASE + int.from_bytes(digest, "big") % SYNTHETIC_ID_BASE
            if candidate not in taken:
                taken.add(candidate)
                return candidate
        raise AssertionError("unreachable")


def _order_transactions(order: Order) -> Iterator[Transaction]:
    yield from order.transactions
    for refund in order.refunds:
        yield from refund.transactions


def _reserve_real_ids(minter: IdMinter, customers: list[Customer], orders: list[Order]) -> None:
    embedded = [o.customer for o in orders if o.customer is not None]
    for customer in [*customers, *embedded]:
        default = [customer.default_address.id] if customer.default_address else []
        minter.reserve("MailingAddress", [a.id for a in customer.addresses] + default)
    for order in orders:
        refunds = order.refunds
        minter.reserve("Fulfillment", (f.id for f in order.fulfillments))
        minter.reserve("Refund", (r.id for r in refunds))
        minter.reserve("RefundLineItem", (li.id for r in refunds for li in r.refund_line_items))
        minter.reserve("OrderAdjustment", (a.id for r in refunds for a in r.order_adjustments))
        minter.reserve("OrderTransaction", (t.id for t in _order_transactions(order)))
        minter.reserve("ShippingLine", (s.id for s in order.shipping_lines))


def complete_records(
    customers: list[Customer],
    orders: list[Order],
    products: list[Product],
    currency: CurrencyCode,
) -> None:
    """Fill every optional field left out, in place; raises `Problem` for a dangling reference."""
    minter = IdMinter()
    _reserve_real_ids(minter, customers, orders)
    titles: dict[int, str] = {}
    for product in products:
        _complete_product(product)
        titles[product.id] = str(product.title)
    for index, order in enumerate(orders):
        _complete_order(order, index, minter, currency, titles)
    for customer in customers:
        _complete_customer(customer, customer.id, minter, currency, orders)
    for order in orders:
        if order.customer is not None:
            owner = order.customer.id or f"order-{order.id}"
            _complete_customer(order.customer, owner, minter, currency, orders, order.created_at)


def _complete_product(product: Product) -> None:
    if not product.title:
        product.title = product.handle or f"Product {product.id}"
    if not product.handle:
        product.handle = re.sub(r"[^a-z0-9]+", "-", product.title.lower()).strip("-")
    product.created_at = product.created_at or product.updated_at or UNKNOWN_TIME
    product.updated_at = product.updated_at or product.created_at
    for variant in product.variants:
        variant.product_id = variant.product_id or product.id


def _complete_customer(
    customer: Customer,
    owner: object,
    minter: IdMinter,
    currency: CurrencyCode,
    orders: list[Order],
    first_seen: str | None = None,
) -> None:
    """`owner` keys minted address ids; `first_seen` dates a customer with no date of its own."""
    mine = [
        o
        for o in orders
        if customer.id is not None and o.customer is not None and o.customer.id == customer.id
    ]
    first_order = min((o.created_at for o in mine), key=_moment, default=first_seen)
    customer.created_at = customer.created_at or customer.updated_at or first_order or UNKNOWN_TIME
    customer.updated_at = customer.updated_at or customer.created_at
    customer.currency = customer.currency or currency
    if customer.orders_count is None:
        customer.orders_count = len(mine)
    if customer.total_spent is None:
        spent = sum((to_decimal(o.total_price) for o in mine if not o.cancelled_at), Decimal(0))
        customer.total_spent = money_str(spent)
    for position, address in enumerate(customer.addresses):
        address.id = address.id or minter.mint("MailingAddress", owner, position)
        address.customer_id = address.customer_id or customer.id
    if customer.default_address is not None:
        default = customer.default_address
        default.id = default.id or minter.mint("MailingAddress", owner, "default")
        default.customer_id = default.customer_id or customer.id


def _moment(value: str) -> float:
    moment = parse_time(value)
    return moment.timestamp() if moment else 0.0


def _complete_order(
    order: Order, index: int, minter: IdMinter, currency: CurrencyCode, titles: dict[int, str]
) -> None:
    order.currency = order.currency or currency
    order.processed_at = order.processed_at or order.created_at
    order.updated_at = order.updated_at or order.created_at
    order.gateway = order.gateway or _first_gateway(order)
    for line in order.line_items:
        _complete_line(line, titles)
    _complete_totals(order)
    for position, shipping in enumerate(order.shipping_lines):
        shipping.id = shipping.id or minter.mint("ShippingLine", order.id, position)
    for position, fulfillment in enumerate(order.fulfillments):
        _complete_fulfillment(order, index, position, fulfillment, minter)
    for position, refund in enumerate(order.refunds):
        _complete_refund(order, index, position, refund, minter)
    for position, txn in enumerate(order.transactions):
        txn.id = txn.id or minter.mint("OrderTransaction", order.id, "order", position)
        txn.kind = txn.kind or "sale"
        _complete_transaction(order, txn, order.processed_at)
    if order.financial_status is None:
        order.financial_status = _financial_status(order)
    if "fulfillment_status" not in order.model_fields_set:
        order.fulfillment_status = _fulfillment_status(order)


def _first_gateway(order: Order) -> str:
    names = (order.model_extra or {}).get("payment_gateway_names")
    if isinstance(names, list) and names and isinstance(names[0], str):
        return names[0]
    return "manual"


def _complete_line(line: LineItem, titles: dict[int, str]) -> None:
    product_title = titles.get(line.product_id) if line.product_id else None
    line.title = line.title or product_title or line.name or ""
    if not line.name:
        variant = f" - {line.variant_title}" if line.variant_title else ""
        line.name = f"{line.title}{variant}"


def _line_total(line: LineItem) -> Decimal:
    return to_decimal(line.price) * line.quantity - to_decimal(line.total_discount)


def _line_tax(line: LineItem) -> Decimal:
    return sum((to_decimal(t.price) for t in line.tax_lines), Decimal(0))


def _complete_totals(order: Order) -> None:
    """Totals as Shopify computes them, for an export that left them out."""
    lines = order.line_items
    if order.total_line_items_price is None:
        gross = sum((to_decimal(li.price) * li.quantity for li in lines), Decimal(0))
        order.total_line_items_price = money_str(gross)
    if order.total_discounts is None:
        discounts = sum((to_decimal(li.total_discount) for li in lines), Decimal(0))
        order.total_discounts = money_str(discounts)
    if order.subtotal_price is None:
        subtotal = to_decimal(order.total_line_items_price) - to_decimal(order.total_discounts)
        order.subtotal_price = money_str(subtotal)
    if order.total_tax is None:
        order.total_tax = money_str(sum((_line_tax(li) for li in lines), Decimal(0)))
    if order.total_price is None:
        shipping = sum((to_decimal(s.price) for s in order.shipping_lines), Decimal(0))
        tax = Decimal(0) if order.taxes_included else to_decimal(order.total_tax)
        order.total_price = money_str(to_decimal(order.subtotal_price) + shipping + tax)


def _matching_line(order: Order, item: FulfillmentLine) -> LineItem | None:
    """The order line a fulfillment line without `id` repeats: by GraphQL id, variant, SKU, name."""
    extra = item.model_extra or {}
    match = _GID.match(str(extra.get("admin_graphql_api_id") or ""))
    if match:
        return next((li for li in order.line_items if li.id == int(match.group(1))), None)
    for key in ("variant_id", "sku", "name", "title"):
        wanted = extra.get(key)
        if wanted in (None, ""):
            continue
        found = [li for li in order.line_items if str(getattr(li, key)) == str(wanted)]
        if len(found) == 1:
            return found[0]
    return order.line_items[0] if len(order.line_items) == 1 else None


def _complete_fulfillment(
    order: Order, index: int, position: int, fulfillment: Fulfillment, minter: IdMinter
) -> None:
    fulfillment.id = fulfillment.id or minter.mint("Fulfillment", order.id, position)
    fulfillment.name = fulfillment.name or f"{order.name}.{position + 1}"
    fulfillment.created_at = fulfillment.created_at or fulfillment.updated_at or order.created_at
    fulfillment.updated_at = fulfillment.updated_at or fulfillment.created_at
    if not fulfillment.tracking_numbers and fulfillment.tracking_number:
        fulfillment.tracking_numbers = [fulfillment.tracking_number]
    fulfillment.tracking_number = fulfillment.tracking_number or next(
        iter(fulfillment.tracking_numbers), None
    )
    if not fulfillment.tracking_urls and fulfillment.tracking_url:
        fulfillment.tracking_urls = [fulfillment.tracking_url]
    fulfillment.tracking_url = fulfillment.tracking_url or next(
        iter(fulfillment.tracking_urls), None
    )
    lines = {li.id: li for li in order.line_items}
    for number, item in enumerate(fulfillment.line_items):
        path = f"fulfillments[{position}].line_items[{number}].id"
        line = lines.get(item.id) if item.id is not None else _matching_line(order, item)
        if line is None and item.id is None:
            raise Problem(
                "orders", index, path, "field required (no single line item of the order matches)"
            )
        if line is None:
            raise Problem("orders", index, path, f"no line item {item.id} in this order")
        item.id = line.id
        item.quantity = line.quantity if item.quantity is None else item.quantity


def _complete_refund(
    order: Order, index: int, position: int, refund: Refund, minter: IdMinter
) -> None:
    refund.id = refund.id or minter.mint("Refund", order.id, position)
    refund.created_at = (
        refund.created_at
        or refund.processed_at
        or next((t.created_at for t in refund.transactions if t.created_at), None)
        or order.updated_at
    )
    refund.processed_at = refund.processed_at or refund.created_at
    lines = {li.id: li for li in order.line_items}
    for number, item in enumerate(refund.refund_line_items):
        line = lines.get(item.line_item_id)
        if line is None:
            path = f"refunds[{position}].refund_line_items[{number}].line_item_id"
            raise Problem("orders", index, path, f"no line item {item.line_item_id} in this order")
        item.id = item.id or minter.mint("RefundLineItem", refund.id, number)
        share = Decimal(item.quantity) / Decimal(line.quantity or 1)
        if item.subtotal is None:
            item.subtotal = money_str(_line_total(line) * share)
        if item.total_tax is None:
            item.total_tax = money_str(_line_tax(line) * share)
    for number, adjustment in enumerate(refund.order_adjustments):
        adjustment.id = adjustment.id or minter.mint("OrderAdjustment", refund.id, number)
    for number, txn in enumerate(refund.transactions):
        txn.id = txn.id or minter.mint("OrderTransaction", refund.id, "refund", number)
        txn.kind = txn.kind or "refund"
        _complete_transaction(order, txn, refund.created_at)


def _complete_transaction(order: Order, txn: Transaction, when: str | None) -> None:
    txn.gateway = txn.gateway or order.gateway
    txn.created_at = txn.created_at or when or order.created_at
    txn.currency = txn.currency or order.currency


def _financial_status(order: Order) -> FinancialStatus:
    """What Shopify would report for an order whose export has no `financial_status`."""
    if order.transactions:
        settled = [t for t in order.transactions if t.status == "success"]
        if not any(t.kind in ("sale", "capture") for t in settled):
            return "authorized" if any(t.kind == "authorization" for t in settled) else "pending"
    refunded = sum(
        (
            to_decimal(t.amount)
            for refund in order.refunds
            for t in refund.transactions
            if t.kind == "refund" and t.status == "success"
        ),
        Decimal(0),
    )
    total = to_decimal(order.total_price)
    if refunded > 0:
        return "refunded" if refunded >= total else "partially_refunded"
    return "paid"


def _fulfillment_status(order: Order) -> OrderFulfillmentStatus | None:
    """`fulfilled`, `partial` or null (unfulfilled), from the successful fulfillments."""
    shipped: dict[int, int] = {}
    for fulfillment in order.fulfillments:
        if fulfillment.status != "success":
            continue
        for item in fulfillment.line_items:
            if item.id is not None:
                shipped[item.id] = shipped.get(item.id, 0) + (item.quantity or 0)
    if not shipped:
        return None
    if all(shipped.get(li.id, 0) >= li.quantity for li in order.line_items):
        return "fulfilled"
    return "partial"


def dump(records: Iterable[Record]) -> list[dict[str, object]]:
    """The completed records back in REST shape (unknown keys as exported)."""
    return [record.model_dump() for record in records]
