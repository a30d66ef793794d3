"""Who the agent is talking to, as far as the shop's ownership checks are concerned."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def normalize_email(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    return text or None


def normalize_phone(value: str | None) -> str | None:
    """E.164 digits with a leading '+'; callers pass numbers already in E.164 (the inbox does)."""
    digits = re.sub(r"\D", "", value or "")
    return f"+{digits}" if digits else None


def customer_number(value: str | int | None) -> str | None:
    """The numeric part of a Shopify customer id (`gid://shopify/Customer/42` or `42`)."""
    if value is None:
        return None
    text = str(value).rsplit("/", 1)[-1]
    return text or None


@dataclass(frozen=True)
class CustomerIdentity:
    """The verified identifiers of the customer in the conversation.

    Only identifiers the customer has proven belong here (the channel's sender, an email they
    confirmed); the tools show or change an order only when one of them matches it.
    """

    emails: frozenset[str] = field(default_factory=frozenset)
    phones: frozenset[str] = field(default_factory=frozenset)
    shopify_customer_id: str | None = None

    @classmethod
    def of(
        cls,
        email: str | Iterable[str] | None = None,
        phone: str | Iterable[str] | None = None,
        shopify_customer_id: str | int | None = None,
    ) -> CustomerIdentity:
        """Build from one or several emails/phones, normalising each."""
        emails = [email] if isinstance(email, str) or email is None else list(email)
        phones = [phone] if isinstance(phone, str) or phone is None else list(phone)
        return cls(
            frozenset(e for e in map(normalize_email, emails) if e),
            frozenset(p for p in map(normalize_phone, phones) if p),
            customer_number(shopify_customer_id),
        )

    @property
    def empty(self) -> bool:
        return not (self.emails or self.phones or self.shopify_customer_id)

    def owns(self, order: dict[str, Any]) -> bool:
        """Does a GraphQL `Order` (email, phone, customer {id email phone}) belong to us?"""
        customer = order.get("customer") or {}
        matched = self.matching(order)
        if matched["emails"] or matched["phones"]:
            return True
        return bool(self.shopify_customer_id) and (
            customer_number(customer.get("id")) == self.shopify_customer_id
        )

    def matching(self, order: dict[str, Any]) -> dict[str, list[str]]:
        """Which of our emails and phones are on the order (or on its customer record)."""
        customer = order.get("customer") or {}
        emails = {normalize_email(order.get("email")), normalize_email(customer.get("email"))}
        phones = {normalize_phone(order.get("phone")), normalize_phone(customer.get("phone"))}
        return {
            "emails": sorted(self.emails & {e for e in emails if e}),
            "phones": sorted(self.phones & {p for p in phones if p}),
        }
