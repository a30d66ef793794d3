"""Loading a store's `sandbox/` fixtures: Shopify Admin REST JSON, read as exported.

`customers.json` (`{"customers": [...]}`), `orders.json` (`{"orders": [...]}`) and
`products.json` (`{"products": [...]}`) are required; `store.json` (`{"today": "YYYY-MM-DD",
"shop": {...}}`) is optional and pins the business date the fixtures were written around.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

Json = dict[str, Any]

_REQUIRED = {"customers.json": "customers", "orders.json": "orders", "products.json": "products"}


class FixtureError(ValueError):
    """A fixture file is missing or not in Shopify Admin REST shape; the message names the file."""


@dataclass
class SandboxData:
    """Everything a sandbox store starts from, still in REST shape."""

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


def load_fixtures(data_dir: Path) -> SandboxData:
    """Read a `sandbox/` directory; raises `FixtureError` naming the first bad file."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FixtureError(f"{data_dir}: not a directory")
    lists: dict[str, list[Json]] = {}
    for filename, key in _REQUIRED.items():
        payload = _read_json(data_dir / filename)
        if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
            raise FixtureError(f"{data_dir / filename}: expected an object {{{key!r}: [...]}}")
        for index, item in enumerate(payload[key]):
            if not isinstance(item, dict) or "id" not in item:
                raise FixtureError(f"{data_dir / filename}: {key}[{index}] has no 'id'")
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
        shop = dict(meta.get("shop") or {})
    return SandboxData(lists["customers"], lists["orders"], lists["products"], today, shop)


def to_decimal(value: Any) -> Decimal:
    """REST money fields are strings ("12.50"); missing means zero."""
    if value in (None, ""):
        return Decimal(0)
    return Decimal(str(value))


def money_str(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_time(value: Any) -> datetime | None:
    """REST timestamps carry an offset; naive ones are taken as UTC."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_utc(value: Any) -> str | None:
    """GraphQL `DateTime`: ISO 8601 in UTC with a `Z`, as Shopify returns it."""
    moment = parse_time(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def split_tags(value: Any) -> list[str]:
    """REST tags are one comma-separated string; exports sometimes give a list."""
    if isinstance(value, list):
        return [str(tag).strip() for tag in value if str(tag).strip()]
    return [tag.strip() for tag in str(value or "").split(",") if tag.strip()]
