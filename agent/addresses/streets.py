"""Street lines: where a street starts in a piece of a message, and what is a unit or PO box.

A piece is a stretch of the message between commas, line breaks or sentence ends. The
street in it starts at the house number nearest the street name (or, where the number
follows the name, at the name), so chatter and order references before it are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STOPWORDS = frozenset([
    "to", "is", "at", "on", "in", "for", "of", "was", "has", "had", "and", "or", "but",
    "please", "pls", "plz", "thanks", "thank", "thx", "instead", "asap", "now", "new",
    "address", "addr", "ship", "send", "deliver", "delivery", "change", "update", "move",
    "moved", "it", "my", "our", "the", "a", "an", "this", "that", "from", "into", "onto",
    "by", "be", "will", "should", "would", "could", "can", "need", "needs", "want", "wanted",
    "would", "like", "hi", "hello", "hey", "dear", "live", "living", "i", "we", "me", "us",
    "you", "your", "order", "orderref", "shipping", "correct", "correction", "moving",
    "sorry", "here", "there", "so", "also", "just", "then", "via", "naar", "sturen", "graag",
    "nieuwe", "adres", "bitte", "nach", "neue", "adresse", "senden", "schicken", "liefern",
    "envoyer", "livrer", "nouvelle", "enviar", "mandar", "nueva", "dirección", "spedire",
    "inviare", "nuovo", "indirizzo"
])  # fmt: skip
"""Words a street name never starts with (a leading `the`, `via` are checked apart)."""

STREET_TYPES = (
    r"street|st|avenue|ave|av|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|place|pl"
    r"|way|terrace|tce|terr|crescent|cres|close|cl|parade|pde|highway|hwy|parkway|pkwy"
    r"|circle|cir|square|sq|trail|trl|row|mews|grove|gardens|gdns|green|hill|walk|view"
    r"|esplanade|esp|loop|run|pike|path|alley|plaza|broadway|quay|wharf|rise|park"
    r"|strasse|straße|str|weg|allee|gracht|straat|laan|kade|plein|singel"
)
_STREET_END = re.compile(
    rf"\b(?:{STREET_TYPES})\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b\.?)?",
    re.IGNORECASE,
)

UNIT_WORDS = (
    r"apt|apartment|appt|appartement|unit|suite|ste|flat|room|rm|floor|fl|level|lvl|bldg"
    r"|building|bâtiment|bat|wohnung|whg|piso|planta|puerta|interno|int|scala|bus"
)
_UNIT = (
    rf"(?:(?:{UNIT_WORDS})\.?\s*(?:no\.?\s*)?#?\s*[\w-]+"
    r"|#\s*\d+[A-Za-z]?"
    r"|\d+(?:st|nd|rd|th)\s+(?:floor|fl\.?)"
    r"|\d+\s*[ºª°]\s*(?:[A-Za-z]{1,4}\b)?"
    r"|\d+\.\s*(?:OG|Etage|Stock|étage))"
)
UNIT = re.compile(rf"^{_UNIT}$", re.IGNORECASE)
_LEADING_UNIT = re.compile(
    rf"(?:^|\s)(?P<unit>(?:{UNIT_WORDS})\.?\s*(?:no\.?\s*)?#?\s*[\w-]+)$", re.IGNORECASE
)
_TRAILING_UNIT = re.compile(rf"(?:\s*,?\s+|\s*,\s*)(?P<unit>{_UNIT})$", re.IGNORECASE)

PO_BOX = re.compile(
    r"(?<!\w)(?:(?:p\s*\.?\s*o\s*\.?|post\s+office|g\s*\.?\s*p\s*\.?\s*o\s*\.?)\s*box"
    r"|postbus|apartado(?:\s+de\s+correos)?|postfach|casella\s+postale|bo[iî]te\s+postale"
    r"|locked\s+bag)\s*(?:no\.?\s*)?#?\s*\d+\b",
    re.IGNORECASE,
)

_HOUSE = r"\d+(?:-?[A-Za-z](?!\w))?(?:\s?-\s?\d+[A-Za-z]?)?(?:\s+(?:bis|ter|1/2)\b)?"
_NUMBER_FIRST = re.compile(
    rf"(?<![\w#/.-])(?:(?P<unit>\d+[A-Za-z]?)\s?/\s?)?(?P<house>{_HOUSE})\s+(?P<name>(?:[^\W\d_]|\d+(?:st|nd|rd|th)\b|\d+\s+(?:street|st|avenue|ave)\b).*)$",
    re.IGNORECASE,
)
_NUMBER_AFTER = re.compile(rf"(?P<name>.*?[^\W\d_]\.?)\s*,?\s+(?P<house>{_HOUSE})$")
_NOT_A_HOUSE_BEFORE = re.compile(
    r"(?:\b(?:route|rte|highway|hwy|interstate|i|county\s+road|cr|sr|us|box|ref|no|nr|number"
    r"|order|ord|invoice|ticket|case|tracking|account|acct|phone|tel|call|text)\.?|#|-)\s*$",
    re.IGNORECASE,
)
_NUMBERED_NAME = (
    r"\b\d+(?:st|nd|rd|th)\b|\b(?:route|rte|highway|hwy|road)\s+\d+\b"
    r"|^\d+\s+(?=(?:street|st|avenue|ave)\b)"
)
_TRAILING_CHATTER = frozenset([
    "please", "pls", "plz", "thanks", "thank", "thx", "instead", "asap", "and", "but", "if",
    "because", "for", "by", "before"
])  # fmt: skip
_WORD = re.compile(r"[^\W\d_][\w'\u2019.-]*|c/", re.IGNORECASE)


@dataclass(frozen=True)
class Street:
    """A street line read out of a piece, with any unit written on the same line."""

    address1: str
    units: tuple[str, ...] = ()
    before: str = ""
    """What came before the street in the piece (chatter, a unit, a name)."""


def is_unit(piece: str) -> bool:
    """A whole piece that is an apartment, flat, suite or floor (`Apt 4B`, `2nd floor`)."""
    return bool(UNIT.match(piece.strip()))


def ending_unit(piece: str) -> str | None:
    """The unit a piece ends with (`can it go to Flat 3` -> `Flat 3`), if it ends with one."""
    match = _LEADING_UNIT.search(piece.strip())
    return match.group("unit") if match else None


def split_trailing_unit(piece: str) -> tuple[str, str | None]:
    """`77 Juniper Lane Apt 4B` -> (`77 Juniper Lane`, `Apt 4B`)."""
    match = _TRAILING_UNIT.search(piece)
    if match is None or not match.start():
        return piece, None
    return piece[: match.start()].rstrip(" ,"), match.group("unit")


def _name_ok(name: str) -> bool:
    words = _WORD.findall(name)
    if not words or words[0].casefold() in STOPWORDS - {"the", "via"}:
        return False
    if len(words) > 7 or any(w.casefold() in {"orderref", "emailref"} for w in words):
        return False
    if re.search(r"[@:;!?]", name):
        return False
    if _STREET_END.fullmatch(name):
        return False
    numbered = re.sub(_NUMBERED_NAME, "", name, flags=re.IGNORECASE)
    return not re.search(r"\d", numbered)


def _trim_chatter(name: str) -> str:
    cut = re.search(rf"\s+(?:{'|'.join(sorted(_TRAILING_CHATTER))})\b.*$", name, re.IGNORECASE)
    return name[: cut.start()] if cut else name


def _number_first(piece: str) -> Street | None:
    body, unit = split_trailing_unit(piece)
    best: Street | None = None
    for start in (m.start() for m in re.finditer(r"(?<![\w#/.-])\d", body)):
        match = _NUMBER_FIRST.match(body, start)
        if match is None or _NOT_A_HOUSE_BEFORE.search(body[:start]):
            continue
        name = _trim_chatter(match.group("name")).strip(" .,")
        if not _name_ok(name):
            continue
        before = body[:start].strip()
        units = (unit,) if unit else ()
        if match.group("unit"):
            label = re.search(rf"(?:^|\s)((?:{UNIT_WORDS})\.?)$", before, re.IGNORECASE)
            word = label.group(1) if label else "Unit"
            if label:
                before = before[: label.start()].strip()
            units = (f"{word} {match.group('unit')}", *units)
        best = Street(f"{match.group('house')} {name}", units, before)
    return best


def _number_after(piece: str) -> Street | None:
    body, unit = split_trailing_unit(piece)
    match = _NUMBER_AFTER.fullmatch(body.strip())
    if match is None:
        return None
    before_number = match.group("name")
    if _NOT_A_HOUSE_BEFORE.search(before_number):
        return None
    words = list(re.finditer(r"\S+", before_number))
    start = None
    for word in reversed(words):
        folded = word.group(0).strip(",.").casefold()
        if folded in STOPWORDS - {"via", "the"} or (not _WORD.match(folded) and folded != "c/"):
            break
        start = word.start()
        if len(words) - words.index(word) >= 5:
            break
    if start is None:
        return None
    name = before_number[start:].strip()
    if not name or not _name_ok(name.replace("c/", "C")):
        return None
    street = f"{name} {match.group('house')}"
    return Street(street, (unit,) if unit else (), before_number[:start].strip())


def _po_box(piece: str) -> Street | None:
    boxes = list(PO_BOX.finditer(piece))
    match = boxes[-1] if boxes else None
    if match is None or piece[match.end() :].strip(" .,"):
        return None
    return Street(match.group(0), (), piece[: match.start()].strip())


def read_street(piece: str, *, number_after: bool) -> Street | None:
    """The street line at the end of `piece`, or None if the piece does not end with one."""
    piece = piece.strip(" .,")
    found = _po_box(piece)
    if found is None and number_after:
        found = _number_after(piece)
    if found is None:
        found = _number_first(piece)
    if found is None:
        return None
    leading = _LEADING_UNIT.search(found.before)
    if leading:
        return Street(found.address1, (leading.group("unit"), *found.units), found.before)
    return found


def split_street_and_city(piece: str) -> tuple[Street, str] | None:
    """`77 Juniper Lane Portland` -> the street and `Portland`, split after the street type."""
    ends = [m for m in _STREET_END.finditer(piece) if piece[m.end() :].strip(" ,.")]
    for end in reversed(ends):
        rest = piece[end.end() :].strip(" ,")
        head, unit = piece[: end.end()], None
        unit_match = re.match(rf"(?P<unit>{_UNIT})\s*,?\s+", rest, re.IGNORECASE)
        if unit_match:
            unit, rest = unit_match.group("unit"), rest[unit_match.end() :]
        street = read_street(head, number_after=False)
        if street is None or not rest:
            continue
        if unit:
            street = Street(street.address1, (*street.units, unit), street.before)
        return street, rest
    return None
