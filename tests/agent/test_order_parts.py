"""Which requests are about part of an order: naming an item only picks the order unless a word
singles the item out ('just', 'only', 'remove'); a one-item order has no part."""

from __future__ import annotations

import pytest

from agent.orders import part_asked_for

LINES = [
    {"name": "Ridge Hiking Boots - 9 / Brown", "quantity": 1},
    {"name": "Merino Crew Socks - M", "quantity": 2},
]


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("can you take off the socks and ship the rest", "the Merino Crew Socks - M"),
        ("I want to cancel only the hiking boots", "the Ridge Hiking Boots - 9 / Brown"),
        ("Could you drop that item from my order?", "one of its items"),
        ("please cancel part of my order", "one of its items"),
        ("cancel the order with the boots in it", None),
        ("I only just placed it, cancel everything please", None),
        ("cancel it, I ordered the socks only yesterday", None),
    ],
)
def test_a_part_is_asked_for_only_when_singled_out(text: str, part: str | None) -> None:
    assert part_asked_for(LINES, text) == part


def test_a_one_item_order_is_always_whole() -> None:
    assert part_asked_for(LINES[:1], "cancel just the boots") is None
