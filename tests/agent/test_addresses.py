"""parse_address over a corpus of written addresses, plus properties it must always keep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.addresses import parse_address
from tools.inputs import ShippingAddress

FIELDS = ("address1", "address2", "city", "province_code", "zip", "country_code")
CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "addresses.yaml").read_text("utf-8"))
COUNTRY_NAMES = {"DE": "Germany", "FR": "France", "NL": "Netherlands", "ES": "Spain"}
COUNTRY_NAMES |= {"IT": "Italy", "AT": "Austria", "BE": "Belgium", "CH": "Switzerland"}
BOUNDED = settings(max_examples=200, deadline=None)


def fields(address: ShippingAddress | None) -> dict[str, Any] | None:
    return None if address is None else {f: getattr(address, f) for f in FIELDS}


def one_line(address: ShippingAddress) -> str:
    """The address written back the way a customer would type it on one line."""
    street = ", ".join(p for p in (address.address1, address.address2) if p)
    if address.province_code:
        return f"{street}, {address.city}, {address.province_code} {address.zip}"
    if address.country_code in COUNTRY_NAMES:
        name = COUNTRY_NAMES[address.country_code]
        return f"{street}, {address.zip} {address.city}, {name}"
    return f"{street}, {address.city}, {address.zip}"


def test_corpus_is_large_and_covers_every_region() -> None:
    assert len(CORPUS) >= 300
    assert len({e["id"] for e in CORPUS}) == len(CORPUS)
    countries = {e["expect"]["country_code"] for e in CORPUS if not e.get("none")}
    assert {"US", "CA", "GB", "IE", "DE", "FR", "NL", "ES", "IT", "AU"} <= countries


@pytest.mark.parametrize("entry", CORPUS, ids=[e["id"] for e in CORPUS])
def test_corpus(entry: dict[str, Any]) -> None:
    parsed = parse_address(entry["text"])
    assert fields(parsed) == (None if entry.get("none") else entry["expect"])


def test_corpus_addresses_written_back_read_the_same() -> None:
    changed = []
    for entry in CORPUS:
        parsed = parse_address(entry["text"])
        if parsed is not None and fields(parse_address(one_line(parsed))) != fields(parsed):
            changed.append(entry["id"])
    assert changed == []


def test_recipient_name_is_carried() -> None:
    parsed = parse_address("77 Juniper Lane, Portland, OR 97201", first_name="Jo", last_name="Li")
    assert parsed is not None
    assert (parsed.first_name, parsed.last_name) == ("Jo", "Li")


_NAMES = ["Juniper", "Maple", "Harbor View", "Saint Charles", "Pine Ridge", "Queen", "Albert"]
_TYPES = ["Street", "St", "Lane", "Avenue", "Road", "Rd", "Drive", "Way", "Court", "Place"]
_CITIES = ["Portland", "Salt Lake City", "Springfield", "New York", "St. Louis", "Fitzroy"]
_LETTERS = "ABCEGHJKLMNPRSTVXY"
_ORDER_PHRASINGS = [
    "ship order #{order} to {address}",
    "please send order {order} to {address}",
    "order no. {order}: {address}",
    "change the address on {order} to {address}",
    "{order}: {address}",
    "order number {order}, new address {address}",
    "order {order} {address}",
    "#{order} {address}",
    "Re: order #{order}\n\nHi, please use\n{lines}\n\nthanks",
]


@st.composite
def written_address(draw: st.DrawFn) -> tuple[str, list[str], str]:
    """(house number, address lines, country) for one of the supported formats."""
    house = str(draw(st.integers(1, 999))) + draw(st.sampled_from(["", "", "A", "b"]))
    street = f"{draw(st.sampled_from(_NAMES))} {draw(st.sampled_from(_TYPES))}"
    city = draw(st.sampled_from(_CITIES))
    country = draw(st.sampled_from(["US", "CA", "GB", "AU", "DE", "NL"]))
    digits = st.integers(0, 9).map(str)
    if country == "US":
        state = draw(st.sampled_from(["OR", "IL", "NY", "TX", "WA", "CA"]))
        locality = f"{city}, {state} {''.join(draw(st.lists(digits, min_size=5, max_size=5)))}"
    elif country == "CA":
        letter = st.sampled_from(_LETTERS)
        code = [draw(letter), draw(digits), draw(letter), " ", draw(digits), draw(letter)]
        locality = (
            f"{city}, {draw(st.sampled_from(['ON', 'BC', 'QC']))} {''.join(code)}{draw(digits)}"
        )
    elif country == "GB":
        outward = draw(st.sampled_from(["SW1A", "NW1", "M3", "B2", "LS6", "EH2", "DN55"]))
        inward = draw(digits) + "".join(
            draw(st.lists(st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"), min_size=2, max_size=2))
        )
        locality = f"{city}\n{outward} {inward}"
    elif country == "AU":
        postcode = "".join(draw(st.lists(digits, min_size=4, max_size=4)))
        locality = f"{city} {draw(st.sampled_from(['VIC', 'NSW', 'QLD']))} {postcode}"
    else:
        stem = draw(st.sampled_from(["Linden", "Berg", "Kerk", "Molen"]))
        suffix = "straße" if country == "DE" else "straat"
        street = f"{stem}{suffix} {house}"
        if country == "DE":
            postcode = "".join(draw(st.lists(digits, min_size=5, max_size=5)))
            locality = f"{postcode} {draw(st.sampled_from(['Berlin', 'Leipzig', 'Hamburg']))}"
        else:
            postcode = (
                f"{draw(st.integers(1000, 9999))} {draw(st.sampled_from(['AB', 'CJ', 'EE']))}"
            )
            locality = f"{postcode} {draw(st.sampled_from(['Amsterdam', 'Utrecht']))}"
        return house, [street, locality], country
    return house, [f"{house} {street}", locality], country


@BOUNDED
@given(
    written=written_address(),
    order=st.integers(1000, 999_999).map(str),
    phrasing=st.sampled_from(_ORDER_PHRASINGS),
)
def test_an_order_number_is_never_the_house_number(
    written: tuple[str, list[str], str], order: str, phrasing: str
) -> None:
    house, lines, country = written
    text = phrasing.format(order=order, address=", ".join(lines), lines="\n".join(lines))
    parsed = parse_address(text)
    assert parsed is not None, text
    assert parsed.country_code == country
    assert order not in parsed.address1
    if country in {"DE", "NL"}:
        assert parsed.address1.endswith(f" {house}")
    else:
        assert parsed.address1.startswith(f"{house} ")


@BOUNDED
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1).map(lambda t: t * 500),
        st.lists(st.sampled_from(["12", "97201", "OR", "St", ",", "\n", "\x00", "#9", "Flat 2"]))
        .map(" ".join)
        .map(lambda t: t * 50),
    )
)
def test_any_text_gives_none_or_a_complete_address(text: str) -> None:
    parsed = parse_address(text)
    assert parsed is None or parsed.complete


@BOUNDED
@given(written=written_address(), phrasing=st.sampled_from(_ORDER_PHRASINGS), order=st.just("4410"))
def test_a_parsed_address_written_back_reads_the_same(
    written: tuple[str, list[str], str], phrasing: str, order: str
) -> None:
    _, lines, _ = written
    parsed = parse_address(
        phrasing.format(order=order, address=", ".join(lines), lines="\n".join(lines))
    )
    assert parsed is not None
    assert fields(parse_address(one_line(parsed))) == fields(parsed)
