"""What the agent passes to the write tools: chosen items and a new address."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

PROVINCE_REQUIRED = frozenset({"US", "CA", "AU"})
"""Countries whose addresses need a state/province code to ship."""


@dataclass(frozen=True)
class ReturnItem:
    """Return `quantity` units of one line item (`gid://shopify/LineItem/...`)."""

    line_item_id: str
    quantity: int = 1


@dataclass(frozen=True)
class RefundItem:
    """Refund `quantity` units of one line item."""

    line_item_id: str
    quantity: int = 1


def _same(a: Any, b: Any) -> bool:
    return str(a or "").strip().casefold() == str(b or "").strip().casefold()


@dataclass(frozen=True)
class ShippingAddress:
    """A full replacement shipping address (Shopify `MailingAddressInput`)."""

    address1: str
    city: str
    zip: str
    country_code: str
    """ISO 3166-1 alpha-2, e.g. `US`, `CA`."""
    first_name: str | None = None
    last_name: str | None = None
    address2: str | None = None
    province_code: str | None = None
    """State/province code, e.g. `OR`, `BC`."""
    phone: str | None = None
    company: str | None = None

    @property
    def complete(self) -> bool:
        """Street, city, postal code and country; plus a province where the country needs one."""
        if (
            self.country_code.strip().upper() in PROVINCE_REQUIRED
            and not (self.province_code or "").strip()
        ):
            return False
        return all(
            str(v or "").strip() for v in (self.address1, self.city, self.zip, self.country_code)
        )

    def one_line(self) -> str:
        """The address as a customer would read it back: "77 Juniper Lane, Apt 2, Portland OR
        97201, US" (recipient names left out)."""
        region = " ".join(part for part in (self.city, self.province_code, self.zip) if part)
        parts = (self.address1, self.address2, region, self.country_code.upper())
        return ", ".join(part.strip() for part in parts if part and part.strip())

    def filled_from(self, current: dict[str, Any]) -> ShippingAddress:
        """Keep the recipient's name, phone and company from the current address if not given."""
        return replace(
            self,
            first_name=self.first_name or current.get("firstName"),
            last_name=self.last_name or current.get("lastName"),
            phone=self.phone or current.get("phone"),
            company=self.company or current.get("company"),
        )

    def to_input(self) -> dict[str, Any]:
        """The GraphQL `MailingAddressInput`; unset optional parts are cleared, not kept."""
        return {
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "zip": self.zip,
            "countryCode": self.country_code.upper(),
            "provinceCode": self.province_code,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "phone": self.phone,
            "company": self.company,
        }

    def matches(self, current: dict[str, Any]) -> bool:
        """Is a GraphQL `MailingAddress` already this address (names and phone aside)?"""
        return (
            _same(self.address1, current.get("address1"))
            and _same(self.address2, current.get("address2"))
            and _same(self.city, current.get("city"))
            and _same(self.zip, current.get("zip"))
            and _same(self.country_code, current.get("countryCodeV2"))
            and (
                self.province_code is None or _same(self.province_code, current.get("provinceCode"))
            )
        )
