"""Properties identity normalisation must keep on any input (issue 9): identifiers are matched by
their normalised form, so it must be total, stable and blind to how an identifier was written."""

from __future__ import annotations

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inbox.identity import InvalidIdentifier, normalise
from inbox.models import IdentityKind

BOUNDED = settings(max_examples=150, deadline=None)
KINDS = st.sampled_from(list(IdentityKind))
REGIONS = st.sampled_from(["US", "GB", "DE", "FR", "BR", "IN", "AU", "JP", "ZA", "CA"])
SPACE = st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0", " \r\n "])

identifier_like = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from("+()-. 0123456789@#abcXYZ_/:\x00"), max_size=40),
    st.emails(),
    st.from_regex(r"\+?[0-9 ().\-]{3,25}", fullmatch=True),
)


def mixed_case(data: st.DataObject, text: str) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.swapcase() if flip else ch for ch, flip in zip(text, flips, strict=True))


@BOUNDED
@given(kind=KINDS, value=identifier_like, region=REGIONS)
@example(kind=IdentityKind.email, value="a\x00b@example.com", region="US")
@example(kind=IdentityKind.shopify, value="²³", region="US")
@example(kind=IdentityKind.shopify, value="gid://shopify/Customer/٤٢", region="US")
@example(kind=IdentityKind.phone, value="+43000000", region="US")  # was +4300000, then +430000
def test_normalising_is_total_stable_and_clean(kind: IdentityKind, value: str, region: str) -> None:
    try:
        normal = normalise(kind, value, region)
    except InvalidIdentifier:
        return  # the one documented refusal
    assert normal and normal == normal.strip()
    assert "\x00" not in normal  # storable on PostgreSQL, whatever the entry point
    assert normalise(kind, normal, region) == normal
    if kind is IdentityKind.shopify:
        assert normal.isascii() and normal.isdigit()
    if kind in (IdentityKind.phone, IdentityKind.whatsapp):
        assert normal.startswith("+") and normal[1:].isascii() and normal[1:].isdigit()


@BOUNDED
@given(email=st.emails(), before=SPACE, after=SPACE, data=st.data())
def test_an_email_is_one_identifier_however_it_is_cased_or_spaced(
    email: str, before: str, after: str, data: st.DataObject
) -> None:
    written = before + mixed_case(data, email) + after
    assert normalise(IdentityKind.email, written) == normalise(IdentityKind.email, email)
    assert normalise(IdentityKind.email, email) == email.lower()


@st.composite
def phone_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """A region and a possible number there: an example number with its last digits redrawn."""
    region = draw(REGIONS)
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, None]))
    if kind is None:
        sample = phonenumbers.example_number(region)
    else:
        sample = phonenumbers.example_number_for_type(region, kind)
    assert sample is not None
    digits = str(sample.national_number)
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    number = phonenumbers.parse(f"+{sample.country_code}{digits[:-3]}{tail}")
    return region, number


@BOUNDED
@given(
    phone=phone_numbers(),
    style=st.sampled_from(
        [
            phonenumbers.PhoneNumberFormat.E164,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL,
            phonenumbers.PhoneNumberFormat.RFC3966,
        ]
    ),
    separator=st.sampled_from([" ", "-", ".", "", " - "]),
    before=SPACE,
    after=SPACE,
    kind=st.sampled_from([IdentityKind.phone, IdentityKind.whatsapp]),
)
def test_a_phone_is_one_identifier_however_it_is_written(
    phone: tuple[str, phonenumbers.PhoneNumber],
    style: int,
    separator: str,
    before: str,
    after: str,
    kind: IdentityKind,
) -> None:
    region, number = phone
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    written = phonenumbers.format_number(number, style)
    if style != phonenumbers.PhoneNumberFormat.RFC3966:
        written = written.replace(" ", separator)
    # A national number is read in the customer's region; anything else in any region.
    read_in = region if style == phonenumbers.PhoneNumberFormat.NATIONAL else "US"
    assert normalise(kind, before + written + after, read_in) == e164


@BOUNDED
@given(
    handle=st.from_regex(r"[a-z0-9._\-]{1,30}", fullmatch=True),
    at=st.sampled_from(["", "@"]),
    before=SPACE,
    after=SPACE,
    data=st.data(),
)
def test_a_handle_is_one_identifier_however_it_is_written(
    handle: str, at: str, before: str, after: str, data: st.DataObject
) -> None:
    written = before + at + mixed_case(data, handle) + after
    assert normalise(IdentityKind.instagram, written) == handle


@BOUNDED
@given(number=st.integers(min_value=1, max_value=10**15), before=SPACE, after=SPACE)
def test_a_shopify_id_is_its_number_with_or_without_the_gid(
    number: int, before: str, after: str
) -> None:
    gid = f"{before}gid://shopify/Customer/{number}{after}"
    assert normalise(IdentityKind.shopify, gid) == normalise(IdentityKind.shopify, str(number))
    assert normalise(IdentityKind.shopify, gid) == str(number)
