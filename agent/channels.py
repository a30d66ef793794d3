"""Channel formatting: the same answer, shaped for where it is read (DESIGN.md §4).

The composer writes plain sentences with `**bold**` emphasis and bare URLs; this module turns that
into what each channel shows well and within its hard limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")
"""Characters that take two GSM-7 septets (escape + char)."""

LIMITS = {"instagram": 1000, "messenger": 2000, "whatsapp": 4096}
SMS_MAX_SEGMENTS = 2
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class FormattedReply:
    text: str
    channel: str
    parts: list[str]


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def sms_segments(text: str) -> int:
    """How many SMS segments `text` takes: GSM-7 160/153 septets, else UCS-2 70/67 units."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi = 160, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def format_reply(
    text: str,
    channel: str,
    *,
    customer_name: str | None = None,
    store_name: str = "the team",
    subject: str | None = None,
    greeting: str | None = None,
    sign_off: str | None = None,
) -> FormattedReply:
    """Shape the composer's text for `channel`."""
    if channel == "email":
        return FormattedReply(
            _email(text, customer_name, store_name, greeting, sign_off), channel, []
        )
    if channel == "whatsapp":
        body = _BOLD.sub(r"*\1*", text)
        return FormattedReply(_truncate(body, LIMITS["whatsapp"]), channel, [])
    plain = text.replace("**", "")  # every bold marker, paired or not: plain text shows none
    if channel == "voice":
        spoken = _URL.sub("our website", plain)
        spoken = spoken.replace("#", "number ").replace("&", " and ")
        return FormattedReply(re.sub(r"\s+", " ", spoken).strip(), channel, [])
    if channel == "sms":
        return _sms(_to_gsm_friendly(plain))
    if channel in LIMITS:
        return FormattedReply(_truncate(plain, LIMITS[channel]), channel, [])
    return FormattedReply(plain, channel, [])


def _email(
    text: str,
    name: str | None,
    store_name: str,
    greeting: str | None = None,
    sign_off: str | None = None,
) -> str:
    """Greeting, body, sign-off; the store's own greeting (`{name}`: the first name, or
    "there") and sign-off from the channel's policy when it has them."""
    words = (name or "").split()  # a name of white space has none
    first = words[0] if words else ""
    if greeting:
        opening = greeting.replace("{name}", first or "there").strip()
    else:
        opening = f"Hi {first}," if first else "Hi there,"
    closing = sign_off.strip() if sign_off else f"Best regards,\n{store_name} support"
    return f"{opening}\n\n{text.strip()}\n\n{closing}"


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _to_gsm_friendly(text: str) -> str:
    """Swap typographic characters that would force UCS-2 (and halve the segment size)."""
    table = {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2014": "-",
        "\u2013": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
    return "".join(table.get(ch, ch) for ch in text)


def _sms(text: str) -> FormattedReply:
    """Split into parts at sentence boundaries, each one segment, aiming at two segments."""
    # One space for any run of white space: SMS shows no layout, and a tab or a form feed is not
    # GSM-7 (it would halve the segment size).
    text = re.sub(r"\s+", " ", text).strip()
    if sms_segments(text) == 1:
        return FormattedReply(text, "sms", [text])
    parts: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        candidate = f"{current} {sentence}".strip()
        if current and sms_segments(candidate) > 1:
            parts.append(current)
            current = sentence
        else:
            current = candidate
        while sms_segments(current) > 1:  # one very long sentence: cut at a word boundary
            head = _one_segment_head(current)
            parts.append(head)
            current = current[len(head) :].strip()
    if current:
        parts.append(current)
    return FormattedReply(" ".join(parts), "sms", parts)


def _one_segment_head(text: str) -> str:
    """The longest start of `text` that fits one segment, cut at its last space if it has one.

    Counted in segments, not characters: `€` takes two GSM-7 septets and an emoji two UCS-2
    units. Any start of a text that fits is shorter and fits too, so the longest is searched.
    """
    fits, too_long = 1, len(text)  # one character always fits
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        fits, too_long = (middle, too_long) if sms_segments(text[:middle]) == 1 else (fits, middle)
    head = text[:fits]
    if " " in head and not text[fits:].startswith(" "):
        head = head.rsplit(" ", 1)[0]
    return head.rstrip()
