import pytest

from inbox.identity import IdentityClaim, InvalidIdentifier, normalise
from inbox.models import IdentityKind


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("MIXED+tag@Sub.Domain.org", "mixed+tag@sub.domain.org"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise(IdentityKind.email, raw) == expected


@pytest.mark.parametrize("raw", ["not-an-email", "a@b", "two@@example.com", "   "])
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise(IdentityKind.email, raw)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-0134", "US", "+14155550134"),
        ("415.555.0134", "US", "+14155550134"),
        ("+1 415 555 0134", "GB", "+14155550134"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("0151 23456789", "DE", "+4915123456789"),
    ],
)
def test_phones_become_e164(raw: str, region: str, expected: str) -> None:
    assert normalise(IdentityKind.phone, raw, region) == expected
    assert normalise(IdentityKind.whatsapp, raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 415 555", "+1 415 555 01345 99"])
def test_impossible_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise(IdentityKind.phone, raw)


def test_handles_and_shopify_ids() -> None:
    assert normalise(IdentityKind.instagram, "@Trail.Runner_88") == "trail.runner_88"
    assert normalise(IdentityKind.shopify, "gid://shopify/Customer/7001") == "7001"
    assert normalise(IdentityKind.shopify, "7001") == "7001"
    with pytest.raises(InvalidIdentifier):
        normalise(IdentityKind.shopify, "gid://shopify/Order/7001")
    with pytest.raises(InvalidIdentifier):
        normalise(IdentityKind.instagram, "has spaces")


def test_claims_normalise_on_creation() -> None:
    claim = IdentityClaim.of("email", " A@B.co ", verified=True)
    assert claim == IdentityClaim(IdentityKind.email, "a@b.co", True)
    with pytest.raises(ValueError):
        IdentityClaim.of("fax", "123", verified=True)
