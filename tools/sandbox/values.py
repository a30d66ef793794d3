"""REST values as the sandbox reads them: money strings, ISO timestamps, comma-separated tags."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Json = dict[str, Any]


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
