"""Reading a new shipping address out of a customer's message.

Understands written addresses from the US, Canada, the UK, Ireland, continental Europe
(Germany, France, the Netherlands, Spain, Italy, Austria, Belgium, Switzerland) and
Australia, on one line or across several, and never mistakes an order number for a house.
"""

from __future__ import annotations

from dataclasses import replace

from agent.addresses.parser import find_address
from tools.inputs import ShippingAddress

__all__ = ["parse_address"]


def parse_address(
    text: str, *, first_name: str | None = None, last_name: str | None = None
) -> ShippingAddress | None:
    """The first complete street address in `text`, or None if there is none to act on."""
    address = find_address(text)
    if address is None:
        return None
    return replace(address, first_name=first_name, last_name=last_name)
