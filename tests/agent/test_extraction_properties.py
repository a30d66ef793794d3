"""Properties entity extraction must keep on any message (issue 9): it never fails, what it finds
was written in the message, and an order number is found whatever is written around it."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from agent.understanding.entities import extract_entities

BOUNDED = settings(max_examples=150, deadline=None)
REGIONS = st.sampled_from(["US", "GB", "DE", "FR", "IN", "ZZ"])
TOKENS = ["order", "#", "1042", "no.", ",", "and", "$", "€", "12.50", "x", "@", "a.b", "\x00"]
TOKENS += ["+1", "(415)", "555-0134", "two", "shirts", "qty:", "USD", "\n", "  ", "n°"]
"""Pieces of the things extraction looks for, to be put together in every order."""

messages = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1).map(lambda t: t * 300),
    st.lists(st.sampled_from(TOKENS)).map(" ".join),
)
catalogues = st.lists(st.text(max_size=30), max_size=5)


@BOUNDED
@given(text=messages, catalogue=catalogues, region=REGIONS)
@example(text="order" + " " * 20_000 + "x", catalogue=[], region="US")  # took seconds: backtracking
def test_extraction_never_fails_and_finds_only_what_was_written(
    text: str, catalogue: list[str], region: str
) -> None:
    found = extract_entities(text, catalogue, region)
    for name in found.order_names:
        assert re.fullmatch(r"#[A-Z]*\d+", name), name
        assert re.sub(r"^#[A-Z]*", "", name) in text
    lowered = text.lower()
    for email in found.emails:
        assert email in lowered
    for money in found.amounts:
        assert money.text in text
        assert money.amount >= 0 and isinstance(money.amount, Decimal)
    for phone in found.phones:
        assert phone.startswith("+") and phone[1:].isdigit()
    for quantity in found.quantities:
        assert 0 <= quantity.count <= 999
    for item in found.items:
        assert item.lower() in lowered or item in catalogue


ORDER_PHRASINGS = [
    "#{n}",
    "# {n}",
    "order #{n}",
    "order {n}",
    "Order number {n}",
    "order no. {n}",
    "ORDER: {n}",
    "my purchase was {n}",
    "pedido {n}",
    "commande n° {n}",
    "Bestellung Nr. {n}",
]
SEPARATORS = st.sampled_from([" ", "\n", ". ", ", ", " (", " - "])
surrounding = st.text(alphabet=st.characters(exclude_categories=["Nd"], exclude_characters="#&"))


@BOUNDED
@given(
    number=st.integers(min_value=100, max_value=10**12).map(str),
    phrasing=st.sampled_from(ORDER_PHRASINGS),
    before=surrounding,
    after=surrounding,
    left=SEPARATORS,
    right=st.sampled_from([" ", "\n", ".", "!", "?", ",", ")", ""]),
)
def test_an_order_number_is_found_whatever_surrounds_it(
    number: str, phrasing: str, before: str, after: str, left: str, right: str
) -> None:
    text = before + left + phrasing.format(n=number) + right + " " + after
    assert f"#{number}" in extract_entities(text).order_names, text


@BOUNDED
@given(
    local=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,20}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,8}){0,2}\.[a-z]{2,6}", fullmatch=True),
    before=surrounding,
    after=surrounding,
)
def test_an_email_is_found_whatever_surrounds_it(
    local: str, domain: str, before: str, after: str
) -> None:
    email = f"{local}@{domain}"
    text = f"{before} my email is {email} {after}"
    assert email.lower() in extract_entities(text).emails, text


@BOUNDED
@given(
    whole=st.integers(min_value=0, max_value=99_999),
    cents=st.integers(min_value=0, max_value=99),
    written=st.sampled_from(["${n}", "{n}$", "€{n}", "{n} €", "{n} dollars", "USD {n}", "£{n}"]),
    before=surrounding,
    after=surrounding,
)
def test_an_amount_is_found_whatever_surrounds_it(
    whole: int, cents: int, written: str, before: str, after: str
) -> None:
    value = f"{whole}.{cents:02d}"
    text = f"{before} I was charged {written.format(n=value)} {after}"
    assert Decimal(value) in [money.amount for money in extract_entities(text).amounts], text
