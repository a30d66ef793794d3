from agent.channels import format_reply, is_gsm7, sms_segments

LONG = (
    "Your package from order #1042 is on its way (UPS tracking 1Z999AA10123456784). "
    "Track it here: https://www.ups.com/track?tracknum=1Z999AA10123456784. "
    "It should arrive within two business days. Anything else I can help with today? "
    "You can also reply STOP to opt out of text updates."
)


def test_gsm7_and_ucs2_segment_counts() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2  # 153 per part once split
    assert sms_segments("a" * 306) == 2 and sms_segments("a" * 307) == 3
    assert sms_segments("€" * 80) == 1  # extension chars count double: 160 septets
    assert not is_gsm7("thanks 🙏")
    assert sms_segments("é" * 70) == 1  # é is GSM-7
    assert sms_segments("ł" * 70) == 1 and sms_segments("ł" * 71) == 2  # UCS-2: 70/67


def test_sms_is_plain_and_split_into_single_segment_parts() -> None:
    reply = format_reply("**Done:** " + LONG, "sms")
    assert "**" not in reply.text
    assert len(reply.parts) >= 2
    assert all(sms_segments(part) == 1 for part in reply.parts)
    assert " ".join(reply.parts) == reply.text


def test_typographic_quotes_do_not_force_ucs2_on_sms() -> None:
    reply = format_reply("We\u2019ll ship it \u2014 promise\u2026", "sms")
    assert is_gsm7(reply.text)


def test_voice_reads_no_urls_or_symbols() -> None:
    reply = format_reply(LONG, "voice")
    assert "http" not in reply.text and "#" not in reply.text
    assert "order number 1042" in reply.text


def test_email_has_greeting_body_and_sign_off() -> None:
    reply = format_reply(
        "Your refund is on its way.", "email", customer_name="Maya Lopez", store_name="Trailhead Co"
    )
    assert reply.text.startswith("Hi Maya,\n\n")
    assert reply.text.endswith("Best regards,\nTrailhead Co support")


def test_social_channels_respect_their_limits() -> None:
    text = "word " * 600
    assert len(format_reply(text, "instagram").text) <= 1000
    assert len(format_reply(text, "messenger").text) <= 2000
    assert format_reply("**bold** move", "whatsapp").text == "*bold* move"
    assert format_reply("**bold** move", "instagram").text == "bold move"
