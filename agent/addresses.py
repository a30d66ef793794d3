"""Reading a new shipping address out of a customer's message (US and Canadian formats)."""

from __future__ import annotations

import re

from tools.inputs import ShippingAddress

_US = re.compile(
    r"(?P<street>\d+[A-Za-z]?\s+[\w .'\-#]+?)\s*,\s*(?:(?P<unit>(?:apt|apartment|unit|suite|ste|#)"
    r"[\w .\-#]*?)\s*,\s*)?(?P<city>[A-Za-z .'\-]+?)\s*,?\s+(?P<state>[A-Z]{2})\s*,?\s+"
    r"(?P<zip>\d{5}(?:-\d{4})?)\b",
    re.IGNORECASE,
)
_CA = re.compile(
    r"(?P<street>\d+[A-Za-z]?\s+[\w .'\-#]+?)\s*,\s*(?:(?P<unit>(?:apt|apartment|unit|suite|ste|#)"
    r"[\w .\-#]*?)\s*,\s*)?(?P<city>[A-Za-z .'\-]+?)\s*,?\s+(?P<state>[A-Z]{2})\s*,?\s+"
    r"(?P<zip>[A-Z]\d[A-Z]\s?\d[A-Z]\d)\b",
    re.IGNORECASE,
)
_CA_PROVINCES = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}


def parse_address(
    text: str, *, first_name: str | None = None, last_name: str | None = None
) -> ShippingAddress | None:
    """The first complete street address in `text`, or None if there is none to act on."""
    for pattern, country in ((_CA, "CA"), (_US, "US")):
        match = pattern.search(text)
        if match is None:
            continue
        province = match.group("state").upper()
        if country == "CA" and province not in _CA_PROVINCES:
            continue
        street = re.sub(r"^(?:to|is|at)\s+", "", match.group("street").strip(), flags=re.I)
        return ShippingAddress(
            address1=street,
            address2=(match.group("unit") or "").strip() or None,
            city=match.group("city").strip(),
            province_code=province,
            zip=match.group("zip").upper(),
            country_code=country,
            first_name=first_name,
            last_name=last_name,
        )
    return None
