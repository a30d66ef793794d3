"""Finding a complete address in a message: postal-code anchors, then city, then street.

Every address format we read has a postal code in a recognisable place: after a state or
province (US, CA, AU), after the town (UK, IE), or before the town (continental Europe).
Each postal code found is an anchor; the city sits on its near side, the street lines
before that. The first anchor around which a whole address can be read wins; an anchor
with a missing part is dropped rather than guessed at.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from agent.addresses import regions
from agent.addresses.streets import (
    STOPWORDS,
    Street,
    ending_unit,
    is_unit,
    read_street,
    split_street_and_city,
)
from tools.inputs import ShippingAddress

MAX_CHARS = 20_000
"""Only the start of a very long message is read; addresses sit near the top."""
MAX_ANCHORS = 200
"""Past this many postcode-like tokens a text is a listing, not a message with an address."""

_ORDER_REFERENCE = re.compile(
    r"\b(?:order|ord|purchase|pedido|commande|bestellung|invoice|confirmation)s?\b"
    r"(?:\s*(?:number|num|no\.?|nr\.?|n°|id|ref)\s*(?:is|was|:)?|\s*:)?"
    r"\s*#?\s*[A-Z]{0,4}-?\d{3,16}\b",
    re.IGNORECASE,
)
_HASH_REFERENCE = re.compile(r"(?<![\w&])#\s?(?:[A-Z]{1,4}-?\d{1,16}|\d{3,16})\b", re.IGNORECASE)
_UNIT_BEFORE_HASH = re.compile(
    r"(?:\b(?:apt|apartment|unit|suite|ste|flat|room|rm|no)\.?"
    r"|\b(?:st|street|ave|avenue|rd|road|lane|ln|dr|drive|blvd|way|ct|court|pl|place))\s*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_ABBREVIATIONS = frozenset([
    "st", "ave", "av", "rd", "dr", "mt", "ft", "blvd", "no", "nr", "co", "apt", "ste", "ln",
    "pl", "ct", "sq", "hwy", "pkwy", "cres", "tce", "pde", "str", "jr", "sr", "mr", "mrs",
    "ms", "prof", "fl", "bldg", "rte", "avda", "bd", "cl", "gdns", "rm", "int", "p", "o", "g",
    "e", "n", "s", "w"
])  # fmt: skip
_CITY_STOP = frozenset([
    "please", "pls", "plz", "thanks", "thank", "thx", "and", "instead", "asap", "by",
    "before", "if", "so", "because", "when", "for", "to", "is", "it", "i", "we", "my", "our",
    "thx", "cheers", "ok"
])  # fmt: skip
_NOT_IN_CITY = (STOPWORDS - {"new"}) | {"orderref", "emailref"}
_COUNTY = re.compile(
    r"^(?:co\.?|county)\s+\w+|\w+shire$|^(?:greater|west|east|north|south)\s+\w+"
    r"|^(?:kent|essex|surrey|middlesex|devon|cornwall|norfolk|suffolk|cumbria|merseyside)$",
    re.IGNORECASE,
)
_NL_NOT_LETTERS = frozenset([
    "to", "at", "is", "in", "on", "or", "of", "it", "be", "me", "my", "we", "us", "so", "no",
    "as", "by", "an", "up", "do", "go", "he", "if", "am", "pm", "st", "rd", "nd", "th", "ok",
    "hi"
])  # fmt: skip


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Anchor:
    start: int
    end: int
    zip: str
    country: str | None
    province: str | None
    city_after: bool


def _mask(text: str) -> str:
    """Order references and email addresses blanked out, so their digits are never a house."""

    def hash_reference(match: re.Match[str]) -> str:
        if _UNIT_BEFORE_HASH.search(text[max(0, match.start() - 24) : match.start()]):
            return match.group(0)
        return " ORDERREF "

    text = _EMAIL.sub(" EMAILREF ", text)
    text = _ORDER_REFERENCE.sub(" ORDERREF ", text)
    return _HASH_REFERENCE.sub(hash_reference, text)


def _pieces(text: str) -> list[_Piece]:
    """The text cut at line breaks, commas, colons and sentence ends (not at `St.`)."""
    cuts = [0]
    for match in re.finditer(r"[\n,;:!?|]|\.(?=\s)", text):
        if match.group(0) == ".":
            word = re.search(r"(\w+)$", text[: match.start()])
            folded = word.group(1).casefold() if word else ""
            if (
                folded in _ABBREVIATIONS
                or folded.endswith("str")
                or re.fullmatch(r"\d{1,2}", folded)
            ):
                continue
        cuts.extend((match.start(), match.end()))
    cuts.append(len(text))
    pieces = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=True):
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            pieces.append(_Piece(start + lead, end, piece.strip()))
    return pieces


_REGION_POSTCODES = {
    country: re.compile(
        rf"(?<!\w)\(?(?P<region>{regions.region_pattern(country)})\)?\.?\s*,?\s*"
        rf"(?P<zip>{postcode})(?![\w-])",
        re.IGNORECASE,
    )
    for country, postcode in regions.POSTCODES.items()
}


def _anchors(text: str) -> list[_Anchor]:
    found: list[_Anchor] = []
    for country, pattern in _REGION_POSTCODES.items():
        for m in pattern.finditer(text):
            province = regions.region_code(country, m.group("region"))
            zip_code = m.group("zip").upper()
            if country == "CA":
                zip_code = re.sub(r"\s*(\d\w\d)$", r" \1", zip_code)
            found.append(_Anchor(m.start(), m.end(), zip_code, country, province, False))
    for m in re.finditer(rf"(?<!\w){regions.UK_POSTCODE}(?!\w)", text, re.IGNORECASE):
        zip_code = re.sub(r"\s*(\d[A-Z]{2})$", r" \1", m.group(0).upper())
        found.append(_Anchor(m.start(), m.end(), zip_code, "GB", None, False))
    for m in re.finditer(rf"(?<!\w){regions.EIRCODE}(?!\w)", text, re.IGNORECASE):
        if re.search(r"\d", m.group(0)[-4:]):
            zip_code = re.sub(r"^(\w{3})\s*", r"\1 ", m.group(0).upper())
            found.append(_Anchor(m.start(), m.end(), zip_code, "IE", None, False))
    for m in re.finditer(rf"(?<!\w){regions.NL_POSTCODE}(?!\w)", text, re.IGNORECASE):
        if m.group(0)[-2:].casefold() not in _NL_NOT_LETTERS:
            zip_code = f"{m.group(0)[:4]} {m.group(0)[-2:].upper()}"
            found.append(_Anchor(m.start(), m.end(), zip_code, "NL", None, True))
    for m in re.finditer(rf"(?<![\w-])(?:{regions.EU_POSTCODE})(?![\w-])", text):
        found.append(_Anchor(m.start(), m.end(), m.group(0), None, None, True))
    return sorted(found, key=lambda a: (a.start, a.city_after))


def _city_before(text: str) -> str | None:
    words = text.split()
    kept: list[str] = []
    for word in reversed(words):
        if word.casefold().strip(".") in _NOT_IN_CITY and kept:
            break
        kept.insert(0, word)
    return _valid_city(" ".join(kept))


def _city_after(text: str) -> str | None:
    text = re.split(r"[.!?]\s|\(", text + " ", maxsplit=1)[0]
    words: list[str] = []
    for word in text.split():
        if word.casefold() in _CITY_STOP or (regions.country_in(word) and words):
            break
        words.append(word)
    city = " ".join(words)
    city = re.sub(r"(?<=\S)\s+[^\W\d_]{2}$", "", city)
    return _valid_city(city)


def _valid_city(city: str) -> str | None:
    city = city.strip(" .,-")
    words = city.split()
    if not words or len(words) > 5 or not re.match(r"[^\W\d_]", city):
        return None
    if words[0].casefold() in _NOT_IN_CITY:
        return None
    if re.search(r"[@#/:;]|\d{3,}", city) or re.search(r"\d", " ".join(words[:-1])):
        return None
    return city


def _street_lines(pieces: list[str], *, number_after: bool, localities: bool) -> list[str] | None:
    """address1 then address2 from the pieces just before the city, nearest last."""
    after: list[str] = []
    street: Street | None = None
    index = len(pieces)
    for index in range(len(pieces) - 1, max(-1, len(pieces) - 5), -1):
        piece = pieces[index]
        if is_unit(piece):
            after.insert(0, piece)
            continue
        street = read_street(piece[-160:], number_after=number_after)
        if street is not None:
            break
        words = piece.split()
        if localities and not after and 0 < len(words) <= 3 and _valid_city(piece):
            after.insert(0, piece)
            continue
        return None
    if street is None:
        return None
    before = ending_unit(pieces[index - 1]) if not street.before and index > 0 else None
    return [street.address1, *([before] if before else []), *street.units, *after]


def _read(
    text: str, pieces: list[_Piece], starts: list[int], anchor: _Anchor
) -> ShippingAddress | None:
    index = bisect.bisect_right(starts, anchor.start) - 1
    if index < 0 or anchor.start >= pieces[index].end:
        return None
    piece = pieces[index]
    head = text[max(piece.start, anchor.start - 200) : anchor.start].strip(" ,")
    earlier = [p.text for p in pieces[max(0, index - 6) : index]]
    country = anchor.country
    if anchor.city_after:
        tail = text[anchor.end : min(piece.end, anchor.end + 80)]
        city = _city_after(tail)
        street_pieces = [*earlier, head] if head else earlier
    else:
        if head:
            split = split_street_and_city(head) if re.search(r"\d", head) else None
            if split is not None:
                street, rest = split
                city = _city_before(rest)
                return _address([street.address1, *street.units], city, anchor, country)
            city = _city_before(head)
            street_pieces = earlier
        else:
            if country in {"GB", "IE"}:
                while earlier and _COUNTY.search(earlier[-1]):
                    earlier.pop()
            if not earlier:
                return None
            city = _city_before(earlier[-1]) if not re.search(r"\d{2}", earlier[-1]) else None
            if city is None:
                split = split_street_and_city(earlier[-1])
                if split is None:
                    return None
                street, rest = split
                return _address(
                    [street.address1, *street.units], _city_before(rest), anchor, country
                )
            street_pieces = earlier[:-1]
    if city is None:
        return None
    if country is None:
        country = _eu_country(
            text, anchor, piece, pieces[index + 1 : index + 2], street_pieces, city
        )
    lines = _street_lines(
        street_pieces,
        number_after=country in regions.NUMBER_AFTER_STREET,
        localities=country in {"GB", "IE"},
    )
    return _address(lines, city, anchor, country)


def _eu_country(
    text: str,
    anchor: _Anchor,
    piece: _Piece,
    following: list[_Piece],
    street_pieces: list[str],
    city: str,
) -> str | None:
    four_digits = len(anchor.zip) == 4
    allowed = regions.FOUR_DIGIT_EU if four_digits else regions.FIVE_DIGIT_EU
    after = " ".join([text[anchor.end : piece.end][:80], *(p.text[:80] for p in following)])
    named = regions.country_in(after)
    if named is not None:
        return named if named in allowed else None
    street = " ".join(street_pieces[-3:])
    return regions.eu_country_hint(street, city, four_digits)


def _address(
    lines: list[str] | None, city: str | None, anchor: _Anchor, country: str | None
) -> ShippingAddress | None:
    if not lines or city is None or country is None:
        return None
    if country == "IE" and re.search(r"\d", city) and not city.casefold().startswith("dublin"):
        return None
    address = ShippingAddress(
        address1=lines[0],
        address2=", ".join(lines[1:]) or None,
        city=city,
        province_code=anchor.province,
        zip=anchor.zip,
        country_code=country,
    )
    return address if address.complete else None


def find_address(text: str) -> ShippingAddress | None:
    """The first complete address in `text`, without the recipient's name."""
    text = re.sub(r"[^\S\n]+|[\x00-\x08\x0b-\x1f\x7f]", " ", text[:MAX_CHARS].replace("\r", "\n"))
    text = _mask(text)
    pieces = _pieces(text)
    starts = [p.start for p in pieces]
    for anchor in _anchors(text)[:MAX_ANCHORS]:
        address = _read(text, pieces, starts, anchor)
        if address is not None:
            return address
    return None
