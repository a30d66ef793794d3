"""Properties the channel formatters must keep for any reply (issue 9): each channel's hard limits
hold whatever the composer wrote, no words are lost on the way but where a limit cuts them, and
formatting what was already formatted changes nothing."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from agent.channels import LIMITS, format_reply, is_gsm7, sms_segments

BOUNDED = settings(max_examples=150, deadline=None)
CHANNELS = ["chat", "email", "instagram", "messenger", "sms", "whatsapp", "voice"]
PLAIN = ["chat", "instagram", "messenger", "sms", "voice"]
"""Channels that show no markdown."""

words = st.one_of(
    st.text(min_size=1, max_size=12).filter(lambda w: not w.isspace()),
    st.sampled_from(["#1042", "€12", "ß", "é", "ł", "🙏", "{x}", "~", "&", "..", "\u2019"]),
    st.sampled_from(["https://example.com/track?n=1#top", "www.example.com/returns"]),
    st.text(alphabet="abcdef", min_size=60, max_size=400),  # a word no line holds
)
sentences = st.lists(words, min_size=1, max_size=25).map(" ".join).map(lambda s: s + ".")
bolded = sentences.map(lambda s: f"**{s.split(' ', 1)[0]}** {s}")
replies = st.one_of(
    st.text(),
    st.lists(st.one_of(sentences, bolded), min_size=1, max_size=40).map(" ".join),
    st.lists(st.sampled_from(["€", "~", "é", "a", " ", "🙏", "ł", "."]), max_size=900).map("".join),
)
names = st.one_of(st.none(), st.text(max_size=40), st.just("   "), st.just("Maya Lopez"))


LINK = re.compile(r"https?://\S|www\.\S", re.IGNORECASE)


def content(text: str) -> str:
    """What a reader gets of `text`: its characters, whitespace aside."""
    return "".join(text.split())


@BOUNDED
@given(text=replies, channel=st.sampled_from([*CHANNELS, "carrier_pigeon"]), name=names)
@example(text="Your refund is on its way.", channel="email", name="   ")  # was an IndexError
@example(text="****0**** and **1\n2**", channel="chat", name=None)  # was "**0** and **1\n2**"
def test_every_channel_formats_any_reply(text: str, channel: str, name: str | None) -> None:
    reply = format_reply(text, channel, customer_name=name, store_name="Northwind")
    assert reply.channel == channel
    if channel in LIMITS:
        assert len(reply.text) <= LIMITS[channel]
    if channel in PLAIN:
        assert "**" not in reply.text
    if channel == "email":
        assert reply.text.startswith("Hi ") and reply.text.endswith("Northwind support")


@BOUNDED
@given(text=replies)
@example(text="€" * 200)  # 200 septets is no single segment
@example(text="🙏" * 80)  # nor are 160 UTF-16 units
def test_sms_parts_are_single_segments_that_keep_every_word(text: str) -> None:
    reply = format_reply(text, "sms")
    assert reply.parts, "an SMS has at least one part"
    assert all(sms_segments(part) == 1 for part in reply.parts), reply.parts
    assert reply.text == " ".join(reply.parts)
    assert content(reply.text) == content(format_reply(text, "chat").text.translate(SMS_SWAPS))


SMS_SWAPS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
SMS_SWAPS |= str.maketrans({"\u2014": "-", "\u2013": "-", "\u2026": "...", "\u00a0": " "})
"""The typographic characters SMS swaps for GSM-7 ones."""


@BOUNDED
@given(text=st.lists(sentences, min_size=1, max_size=8).map(" ".join))
def test_sms_in_gsm7_stays_gsm7(text: str) -> None:
    if is_gsm7(text.translate(SMS_SWAPS)):
        assert all(is_gsm7(part) for part in format_reply(text, "sms").parts)


@BOUNDED
@given(text=replies)
@example(text="Track it at www.example.com/track or https://example.com/t#1042 & call.")
def test_voice_reads_out_no_link_or_symbol(text: str) -> None:
    spoken = format_reply(text, "voice").text
    assert not LINK.search(spoken), spoken
    assert "#" not in spoken and "&" not in spoken and "**" not in spoken
    assert spoken == " ".join(spoken.split())


@BOUNDED
@given(text=replies, channel=st.sampled_from(["chat", "instagram", "messenger", "sms", "voice"]))
@example(text="0" * 69 + "\x0c0", channel="sms")  # the form feed made it UCS-2: two parts, then one
def test_formatting_a_formatted_reply_changes_nothing(text: str, channel: str) -> None:
    once = format_reply(text, channel)
    twice = format_reply(once.text, channel)
    assert twice.text == once.text
    if channel == "sms":
        assert twice.parts == once.parts


@BOUNDED
@given(text=replies, channel=st.sampled_from(["instagram", "messenger"]))
def test_a_cut_reply_loses_only_its_end(text: str, channel: str) -> None:
    shown = format_reply(text, channel).text
    whole = format_reply(text, "chat").text
    if len(whole) <= LIMITS[channel]:
        assert shown == whole
    else:
        assert shown.endswith("…") and whole.startswith(shown[:-1])
