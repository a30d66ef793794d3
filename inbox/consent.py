"""Consent to messages Threadline starts (shipping updates), per channel and phone number.

Carriers' keywords decide on SMS, and Threadline honours the same words on WhatsApp: `STOP`
(and its synonyms) opts the number out, `START` back in; `HELP` asks who is writing. A recorded
answer overrides the shop's consent (a customer who said STOP gets nothing, whatever the shop
says).
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session, select

from inbox.models import Channel, ChannelConsent, ConsentState, utcnow


class Keyword(StrEnum):
    stop = "stop"
    start = "start"
    help = "help"


KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"),
        Keyword.stop,
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP", "OPTIN"), Keyword.start),
    **dict.fromkeys(("HELP", "INFO"), Keyword.help),
}
"""Twilio's standard opt-out, opt-in and help keywords; a message that is only one of them."""


def keyword_of(text: str) -> Keyword | None:
    """The keyword a message is, if it is nothing but one (case and punctuation aside)."""
    word = "".join(ch for ch in text.strip().upper() if ch.isalnum())
    return KEYWORDS.get(word) if len(text.strip()) <= 20 else None


def record_consent(
    session: Session,
    channel: Channel | str,
    address: str,
    state: ConsentState,
    *,
    source: str,
    customer_id: str | None = None,
    keyword: str | None = None,
) -> ChannelConsent:
    """Set the number's consent on the channel (one row per channel and number)."""
    channel = Channel(channel)
    row = session.exec(
        select(ChannelConsent).where(
            ChannelConsent.channel == channel, ChannelConsent.address == address
        )
    ).first()
    if row is None:
        row = ChannelConsent(channel=channel, address=address, state=state, source=source)
    row.state, row.source, row.keyword = state, source, keyword
    row.customer_id = customer_id or row.customer_id
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def consent_of(session: Session, channel: Channel | str, address: str) -> ConsentState | None:
    """The number's recorded answer on the channel, None if it never gave one."""
    row = session.exec(
        select(ChannelConsent).where(
            ChannelConsent.channel == Channel(channel), ChannelConsent.address == address
        )
    ).first()
    return row.state if row is not None else None
