"""Rule-based entity extraction: order names, emails, phones, money, items, quantities.

Rules rather than a model because the agent acts on these values (it looks up `#1042`, checks an
email against the order): every match must be explainable, and a miss is better than a guess.
Nothing store-specific lives here: item matching takes the store's catalogue as a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers


@dataclass(frozen=True)
class Money:
    """An amount the customer wrote, with its currency when one was given."""

    amount: Decimal
    currency: str | None
    text: str


@dataclass(frozen=True)
class Quantity:
    """A count attached to a noun ("2 shirts", "three pairs")."""

    count: int
    unit: str


@dataclass(frozen=True)
class Entities:
    """Everything extracted from one message, each tuple in order of appearance."""

    order_names: tuple[str, ...] = ()
    """Normalised Shopify-style names: `#1042`, `#NW1042` (letter prefixes kept, upper-cased)."""
    emails: tuple[str, ...] = ()
    """Lower-cased email addresses."""
    phones: tuple[str, ...] = ()
    """E.164 numbers (`+14155550123`)."""
    amounts: tuple[Money, ...] = ()
    items: tuple[str, ...] = ()
    """Catalogue titles matched in the text (as given), then generic product nouns."""
    quantities: tuple[Quantity, ...] = ()


# `\s*(?:#\s*)?` rather than `\s*#?\s*`, which matches the same but tries every way of splitting a
# long run of spaces between its two `\s*` (a message of 20,000 spaces took seconds).
_ORDER_KEYWORD = re.compile(
    r"\b(?:order|ord|purchase|pedido|commande|bestellung)s?\b"
    r"(?:\s*(?:number|num|no|nr|n°|id|#|:|is|was|\.|,))*\s*(?:#\s*)?([A-Z]{0,4}\d{3,16})\b",
    re.IGNORECASE,
)
_HASH_ORDER = re.compile(r"(?<![\w&])#\s?([A-Z]{1,4}-?\d{1,16}|\d{3,16})\b", re.IGNORECASE)
"""`#1042`, or a store's own prefix with any number of digits (`#T1`, `#NW-7`)."""
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_CURRENCY_WORDS = {
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "bucks": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "pounds": "GBP",
    "cad": "CAD",
    "aud": "AUD",
}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY_SYMBOL = re.compile(rf"(?:(?P<code>[A-Z]{{2}})?(?P<sym>[$€£¥₹]))\s?(?P<num>{_NUMBER})")
_MONEY_SUFFIX_SYMBOL = re.compile(rf"(?<![\w.])(?P<num>{_NUMBER})\s?(?P<sym>[$€£])")
_MONEY_WORD = re.compile(
    rf"(?<![\w.#])(?P<num>{_NUMBER})\s?(?P<word>{'|'.join(_CURRENCY_WORDS)})\b", re.IGNORECASE
)
_MONEY_CODE_FIRST = re.compile(rf"\b(?P<word>USD|EUR|GBP|CAD|AUD)\s?(?P<num>{_NUMBER})")
_NUMBER_WORDS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "couple of": 2,
    "a pair of": 1,
    "pair of": 1,
}
GENERIC_PRODUCTS: tuple[str, ...] = (
    "t-shirt",
    "tshirt",
    "tee",
    "shirt",
    "blouse",
    "top",
    "sweater",
    "jumper",
    "hoodie",
    "sweatshirt",
    "cardigan",
    "jacket",
    "coat",
    "parka",
    "vest",
    "dress",
    "skirt",
    "jeans",
    "pants",
    "trousers",
    "shorts",
    "leggings",
    "socks",
    "underwear",
    "bra",
    "swimsuit",
    "shoes",
    "sneakers",
    "trainers",
    "boots",
    "sandals",
    "heels",
    "hat",
    "cap",
    "beanie",
    "scarf",
    "gloves",
    "belt",
    "bag",
    "backpack",
    "wallet",
    "watch",
    "necklace",
    "bracelet",
    "ring",
    "earrings",
    "sunglasses",
    "mug",
    "cup",
    "bottle",
    "candle",
    "lamp",
    "pillow",
    "blanket",
    "towel",
    "phone case",
    "charger",
    "headphones",
    "book",
    "gift card",
)
"""Common product nouns, so "the hoodie" is an item mention even without a catalogue."""
_PLURALS = r"(?:s|es)?"
_QUANTITY = re.compile(
    rf"\b(?P<count>\d{{1,3}}|{'|'.join(sorted(_NUMBER_WORDS, key=len, reverse=True))})\s*"
    rf"(?:x\s*)?(?P<unit>(?:pairs?\s+of\s+)?(?:{'|'.join(map(re.escape, GENERIC_PRODUCTS))}|"
    rf"items?|pieces?|pairs?|units?|packs?|boxes?)){_PLURALS}\b",
    re.IGNORECASE,
)
_TIMES_QUANTITY = re.compile(r"\b(?:x\s?(\d{1,3})|qty:?\s?(\d{1,3}))\b", re.IGNORECASE)


_LISTED_ORDER = re.compile(
    r"\s*(?:,|&|\band\b|\bor\b|\by\b|\bet\b|\bund\b|\be\b|\bo\b)\s*(?:#\s*)?(\d{3,16})\b",
    re.IGNORECASE,
)
"""A further number in a list after an order keyword ("orders 1083 and 1088")."""


def _order_names(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, value: str) -> None:
        if not any(s <= start < e for s, e, _ in found):
            found.append((start, end, "#" + value.replace("-", "").upper()))

    for pattern in (_HASH_ORDER, _ORDER_KEYWORD):
        for match in pattern.finditer(text):
            add(match.start(1), match.end(1), match.group(1))
            if pattern is _ORDER_KEYWORD:
                end = match.end()
                while listed := _LISTED_ORDER.match(text, end):
                    add(listed.start(1), listed.end(1), listed.group(1))
                    end = listed.end()
    return sorted(found)


def _phones(text: str, region: str, taken: Sequence[tuple[int, int]]) -> list[str]:
    phones: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        if any(start < match.end and match.start < end for start, end in taken):
            continue
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if number not in phones:
            phones.append(number)
    return phones


def _decimal(raw: str) -> Decimal | None:
    cleaned = raw.replace(",", "") if re.search(r",\d{3}", raw) else raw.replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _amounts(text: str) -> list[tuple[int, Money]]:
    found: list[tuple[int, Money]] = []
    taken = bytearray(len(text))  # characters already part of an amount
    for pattern in (_MONEY_SYMBOL, _MONEY_CODE_FIRST, _MONEY_SUFFIX_SYMBOL, _MONEY_WORD):
        for match in pattern.finditer(text):
            if any(taken[match.start() : match.end()]):
                continue
            amount = _decimal(match.group("num"))
            if amount is None:
                continue
            groups = match.groupdict()
            if groups.get("sym"):
                code = groups.get("code")
                currency = (code + "D") if code and groups["sym"] == "$" else None
                currency = currency or _CURRENCY_SYMBOLS[groups["sym"]]
            else:
                currency = _CURRENCY_WORDS[groups["word"].lower()]
            taken[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
            found.append((match.start(), Money(amount, currency, match.group(0))))
    return sorted(found, key=lambda f: f[0])


def _items(text: str, catalogue: Iterable[str]) -> list[str]:
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    for title in sorted(set(catalogue), key=len, reverse=True):
        words = re.findall(r"\w+", title.lower())
        if not words:
            continue
        pattern = r"\b" + r"[\s\-_/]*".join(map(re.escape, words)) + _PLURALS + r"\b"
        match = re.search(pattern, lowered)
        if match and not any(title.lower() in other.lower() for _, other in found):
            found.append((match.start(), title))
    for noun in GENERIC_PRODUCTS:
        match = re.search(r"\b" + re.escape(noun) + _PLURALS + r"\b", lowered)
        if match and not any(noun in other.lower() for _, other in found):
            found.append((match.start(), noun))
    return [name for _, name in sorted(found)]


def _quantities(text: str) -> list[Quantity]:
    quantities: list[Quantity] = []
    for match in _QUANTITY.finditer(text):
        raw = match.group("count").lower()
        count = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        if raw in {"a", "an"} and not match.group("unit").lower().startswith("pair"):
            continue
        unit = re.sub(r"^pairs?\s+of\s+", "", match.group("unit").lower())
        quantities.append(Quantity(count, unit))
    for match in _TIMES_QUANTITY.finditer(text):
        quantities.append(Quantity(int(match.group(1) or match.group(2)), "item"))
    return quantities


def extract_entities(text: str, catalogue: Sequence[str] = (), region: str = "US") -> Entities:
    """Extract every entity from `text`.

    `catalogue`: product titles and variant names of the store, matched case-insensitively as
    whole words. `region`: ISO country for phone numbers written without a country code.
    """
    orders = _order_names(text)
    email_matches = list(_EMAIL.finditer(text))
    emails = [m.group(0).lower() for m in email_matches]
    email_spans = [(m.start(), m.end()) for m in email_matches]
    amounts = _amounts(text)
    money_spans = [(start, start + len(money.text)) for start, money in amounts]
    taken = [(start, end) for start, end, _ in orders] + email_spans + money_spans
    return Entities(
        order_names=tuple(dict.fromkeys(name for _, _, name in orders)),
        emails=tuple(dict.fromkeys(emails)),
        phones=tuple(_phones(text, region, taken)),
        amounts=tuple(money for _, money in amounts),
        items=tuple(_items(text, catalogue)),
        quantities=tuple(_quantities(text)),
    )
