"""Loading a store's `sandbox/` fixtures: Shopify Admin REST JSON, read as exported.

`customers.json` (`{"customers": [...]}`), `orders.json` (`{"orders": [...]}`) and
`products.json` (`{"products": [...]}`) are required; `store.json` (`{"today": "YYYY-MM-DD",
"shop": {...}}`) is optional and pins the business date the fixtures were written around.

Every record is checked against `records` when the store starts, so a record the sandbox could
not serve stops start-up with one line naming the file, the record and the field, instead of
failing a query later. Optional fields an export left out are filled in (`record_defaults`).
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from tools.sandbox.record_defaults import Problem, complete_records, dump
from tools.sandbox.records import Currency, CurrencyCode, Customer, Order, Product, Resource
from tools.sandbox.values import Json

_FILES = {"customers": "customers.json", "orders": "orders.json", "products": "products.json"}
R = TypeVar("R", bound=Resource)
_CURRENCY: TypeAdapter[CurrencyCode] = TypeAdapter(Currency)


class FixtureError(ValueError):
    """Fixtures the sandbox cannot serve. The message is one line naming the file, the record
    and the field (`orders.json: orders[3] (#1042): line_items[0].price: field required`);
    `problems` holds every problem found, the message only the first."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


@dataclass
class SandboxData:
    """Everything a sandbox store starts from, in REST shape with every served field present."""

    customers: list[Json]
    orders: list[Json]
    products: list[Json]
    today: date | None = None
    """The business date the fixtures are anchored on (`store.json`), if any."""
    shop: Json = field(default_factory=dict)
    """Shop name, email, currency, timezone and domain (`store.json` `shop`), if any."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FixtureError(f"{path}: missing") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"{path}: cannot read JSON: {exc}") from exc


def _label(collection: str, item: Any) -> str:
    """` (#1042)` for an order, ` (7204118000001)` for the others: whatever names the record."""
    if not isinstance(item, dict):
        return ""
    for key in ("name", "id") if collection == "orders" else ("id",):
        value = item.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return f" ({value})"
    return ""


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".")


def _message(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "field required"
    if error["type"] == "value_error":
        return error["msg"].removeprefix("Value error, ")
    message = error["msg"][:1].lower() + error["msg"][1:]
    return f"{message} (got {reprlib.repr(error['input'])})"


def shop_currency(shop: Mapping[str, Any], source: str) -> CurrencyCode:
    """The shop's currency (`store.json` `shop.currency`, USD if unset): orders' default."""
    try:
        return _CURRENCY.validate_python(shop.get("currency") or "USD")
    except ValidationError as exc:
        raise FixtureError(f"{source}: shop.currency: {_message(exc.errors()[0])}") from None


def complete_fixtures(
    lists: Mapping[str, list[Any]], sources: Mapping[str, str], currency: CurrencyCode
) -> dict[str, list[Json]]:
    """Check every record of `customers`, `orders` and `products` and fill what is optional.

    `sources` names the file each list came from. Raises `FixtureError` listing every record
    that is missing a required field or has a malformed one.
    """
    problems: list[str] = []

    def check(collection: str, model: type[R]) -> list[R]:
        records: list[R] = []
        first_index: dict[int, int] = {}
        for index, item in enumerate(lists[collection]):
            where = f"{sources[collection]}: {collection}[{index}]{_label(collection, item)}"
            if not isinstance(item, dict):
                problems.append(f"{where}: expected an object (got {reprlib.repr(item)})")
                continue
            try:
                record = model.model_validate(item)
            except ValidationError as exc:
                problems.extend(
                    f"{where}: {_field_path(e['loc'])}: {_message(e)}" for e in exc.errors()
                )
                continue
            if record.id in first_index:
                problems.append(f"{where}: id: duplicate of {collection}[{first_index[record.id]}]")
            first_index.setdefault(record.id, index)
            records.append(record)
        return records

    customers = check("customers", Customer)
    orders = check("orders", Order)
    products = check("products", Product)
    if problems:
        raise FixtureError(*problems)
    try:
        complete_records(customers, orders, products, currency)
    except Problem as problem:
        item = lists[problem.collection][problem.index]
        where = f"{problem.collection}[{problem.index}]{_label(problem.collection, item)}"
        raise FixtureError(
            f"{sources[problem.collection]}: {where}: {problem.path}: {problem.message}"
        ) from None
    return {"customers": dump(customers), "orders": dump(orders), "products": dump(products)}


def load_fixtures(data_dir: Path) -> SandboxData:
    """Read and check a `sandbox/` directory; raises `FixtureError` naming what is wrong."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FixtureError(f"{data_dir}: not a directory")
    lists: dict[str, list[Any]] = {}
    for key, filename in _FILES.items():
        payload = _read_json(data_dir / filename)
        if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
            raise FixtureError(f"{data_dir / filename}: expected an object {{{key!r}: [...]}}")
        lists[key] = payload[key]
    today: date | None = None
    shop: Json = {}
    store_file = data_dir / "store.json"
    if store_file.exists():
        meta = _read_json(store_file)
        if not isinstance(meta, dict):
            raise FixtureError(f"{store_file}: expected an object")
        if meta.get("today"):
            try:
                today = date.fromisoformat(str(meta["today"]))
            except ValueError as exc:
                raise FixtureError(f"{store_file}: today must be YYYY-MM-DD") from exc
        if not isinstance(meta.get("shop") or {}, dict):
            raise FixtureError(f"{store_file}: shop: expected an object")
        shop = dict(meta.get("shop") or {})
    currency = shop_currency(shop, str(store_file))
    sources = {key: str(data_dir / filename) for key, filename in _FILES.items()}
    records = complete_fixtures(lists, sources, currency)
    return SandboxData(records["customers"], records["orders"], records["products"], today, shop)
