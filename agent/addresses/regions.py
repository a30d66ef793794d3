"""What each supported country's postal codes, regions and names look like.

Data only: the parser asks these tables which country a postcode shape, a state code or a
country name points at.
"""

from __future__ import annotations

import re

US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
}  # fmt: skip
CA_PROVINCES = {
    "alberta": "AB", "british columbia": "BC", "manitoba": "MB", "new brunswick": "NB",
    "newfoundland and labrador": "NL", "newfoundland": "NL", "nova scotia": "NS",
    "northwest territories": "NT", "nunavut": "NU", "ontario": "ON",
    "prince edward island": "PE", "quebec": "QC", "québec": "QC", "saskatchewan": "SK",
    "yukon": "YT",
}  # fmt: skip
AU_STATES = {
    "new south wales": "NSW", "victoria": "VIC", "queensland": "QLD",
    "south australia": "SA", "western australia": "WA", "tasmania": "TAS",
    "northern territory": "NT", "australian capital territory": "ACT",
}  # fmt: skip

POSTCODES = {
    "US": r"\d{5}(?:-\d{4})?",
    "CA": r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d",
    "AU": r"\d{4}",
}
"""Postal codes that follow a state or province code."""

REGIONS = {"US": US_STATES, "CA": CA_PROVINCES, "AU": AU_STATES}
"""Per country with provinces: full region name -> code."""

UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}"
EIRCODE = r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?[AC-FHKNPRTV-Y\d]{4}"
NL_POSTCODE = r"[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}"
EU_POSTCODE = r"\d{5}|[1-9]\d{3}"
"""Five digits (DE, FR, ES, IT) or four (AT, BE, CH) before the city."""

COUNTRY_NAMES = {
    "usa": "US", "u.s.a.": "US", "u.s.": "US", "us": "US", "united states": "US",
    "united states of america": "US", "america": "US",
    "canada": "CA",
    "australia": "AU",
    "uk": "GB", "u.k.": "GB", "gb": "GB", "united kingdom": "GB", "great britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "ireland": "IE", "republic of ireland": "IE", "éire": "IE", "eire": "IE",
    "germany": "DE", "deutschland": "DE",
    "france": "FR",
    "netherlands": "NL", "the netherlands": "NL", "nederland": "NL", "holland": "NL",
    "spain": "ES", "españa": "ES", "espana": "ES",
    "italy": "IT", "italia": "IT",
    "austria": "AT", "österreich": "AT",
    "belgium": "BE", "belgique": "BE", "belgië": "BE",
    "switzerland": "CH", "schweiz": "CH", "suisse": "CH",
}  # fmt: skip
COUNTRY_NAME = re.compile(
    r"(?<!\w)(?:"
    + "|".join(re.escape(n) for n in sorted(COUNTRY_NAMES, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)

EU_STREET_HINTS = {
    "DE": r"\w*(?:straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|chaussee)",
    "FR": r"rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|cours|route",
    "ES": r"calle|c/|avenida|avda\.?|plaza|paseo|carrer|camino|ronda|travesía|glorieta",
    "IT": r"via|viale|piazza|piazzale|corso|largo|vicolo|strada|lungomare",
}
"""Street words that tell the five-digit countries apart when no country is named."""

EU_CITIES = {
    "DE": "berlin hamburg münchen munich köln cologne frankfurt stuttgart düsseldorf leipzig "
    "dresden hannover nürnberg bremen essen dortmund bonn freiburg heidelberg",
    "FR": "paris lyon marseille toulouse nice bordeaux lille nantes strasbourg montpellier "
    "rennes grenoble",
    "ES": "madrid barcelona valencia sevilla seville bilbao málaga malaga zaragoza granada "
    "palma alicante",
    "IT": "roma rome milano milan napoli naples torino turin firenze florence bologna "
    "venezia venice genova verona",
    "AT": "wien vienna graz linz salzburg innsbruck",
    "BE": "bruxelles brussel brussels antwerpen antwerp gent ghent liège leuven",
    "CH": "zürich zurich genève geneva bern basel lausanne luzern",
}
"""A few large cities, for a postcode-then-city line with no street word and no country."""

FOUR_DIGIT_EU = frozenset({"AT", "BE", "CH"})
FIVE_DIGIT_EU = frozenset({"DE", "FR", "ES", "IT"})
NUMBER_AFTER_STREET = frozenset({"DE", "NL", "ES", "IT", "AT", "BE", "CH"})
"""Countries where the house number follows the street name."""


def region_code(country: str, written: str) -> str | None:
    """The region code for `written` (a code or a full name) in `country`, if it is one."""
    names = REGIONS[country]
    cleaned = written.strip("(). ").casefold()
    if cleaned.upper() in names.values():
        return cleaned.upper()
    return names.get(cleaned)


def region_pattern(country: str) -> str:
    """A regex alternation of every code and full name of `country`'s regions."""
    names = REGIONS[country]
    written = sorted({*names, *(c.lower() for c in names.values())}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in written)


def country_in(text: str) -> str | None:
    """The country a piece of text names, if any (`Germany`, `UK`, `United States`)."""
    match = COUNTRY_NAME.search(text)
    if match is None:
        return None
    name = match.group(0)
    if name.casefold() in {"us", "gb"} and name != name.upper():
        return None
    return COUNTRY_NAMES[name.casefold()]


def eu_country_hint(street: str, city: str, four_digits: bool) -> str | None:
    """The EU country a street and city point at, when the postcode shape cannot say."""
    candidates = FOUR_DIGIT_EU if four_digits else FIVE_DIGIT_EU
    folded_city = city.casefold()
    for country in sorted(candidates):
        if folded_city in EU_CITIES[country].split():
            return country
    if four_digits:
        return None
    for country in sorted(candidates):
        if re.search(rf"(?<!\w)(?:{EU_STREET_HINTS[country]})(?!\w)", street, re.I):
            return country
    return None
