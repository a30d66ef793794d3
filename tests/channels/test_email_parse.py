"""Inbound email parsing and reply threading, on messages shaped like real clients write them."""

import dataclasses
import email
import email.policy
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.channels.email import (
    EmailParseError,
    InboundEmail,
    parse_inbound_json,
    parse_raw,
    reply_subject,
)
from api.channels.email_text import html_to_text, strip_reply
from inbox.mail_threading import new_message_id, reply_headers

MAIL = Path(__file__).parent / "mail"
SHOP = "support@lumen-oak.example"
BOUNDED = settings(max_examples=150, deadline=None)


@cache
def raw(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def parsed(name: str) -> InboundEmail:
    return parse_raw(raw(name))


def message(*headers: str, body: str = "Where is my order #1047?\n") -> bytes:
    """A small plain-text message from a customer, with extra or replaced header lines."""
    names = {line.split(":", 1)[0].lower() for line in headers}
    defaults = [
        "From: Ana Silva <ana.silva@example.com>",
        f"To: {SHOP}",
        "Subject: Order #1047",
        "Date: Mon, 07 Dec 2026 09:00:00 +0000",
        "Message-ID: <ana-1@example.com>",
        "Content-Type: text/plain; charset=utf-8",
    ]
    lines = [line for line in defaults if line.split(":", 1)[0].lower() not in names]
    return ("\n".join([*lines, *headers]) + "\n\n" + body).encode()


# ---- Messages from real clients -----------------------------------------------------------------

CLIENTS = [
    pytest.param(
        "gmail_reply.eml",
        "maria.keller@example.com",
        "Maria Keller",
        "Re: Your order #1047 has shipped",
        "Hi,\n\nthe parcel arrived today but the lamp shade is cracked (photo attached in my first "
        "mail). Could you send a replacement? I\u2019d rather not get a refund.\n\nThanks,\nMaria",
        id="gmail",
    ),
    pytest.param(
        "outlook_desktop_reply.eml",
        "thomas.brennan@example.org",
        "Brennan, Thomas",
        "RE: Return label for order #1052",
        "Hello,\n\nThanks \u2013 the label printed fine. I\u2019ll drop the parcel at the post "
        "office tomorrow morning. The refund of \u20ac39.90 should go back to my Visa card.\n\n"
        "Kind regards\nThomas Brennan",
        id="outlook-desktop",
    ),
    pytest.param(
        "outlook_web_reply.eml",
        "priya.raman@example.net",
        "Priya Raman",
        "Re: Sorry about the delay on order #1063",
        "Hi there,\n\nI\u2019m still waiting for the voucher code you promised for the late "
        "delivery. Could you resend it?\n\nBest,\nPriya Raman",
        id="outlook-web",
    ),
    pytest.param(
        "apple_iphone_reply.eml",
        "sofia.lindqvist@example.com",
        "Sofia Lindqvist",
        "Re: Which size should I pick?",
        "Perfect, I\u2019ll go with the medium then. Can you hold one for me until Friday?",
        id="apple-iphone",
    ),
    pytest.param(
        "german_thunderbird_reply.eml",
        "j.mueller@example.de",
        "J\u00fcrgen M\u00fcller",
        "AW: R\u00fccksendung der Bestellung #1071",
        "Hallo,\n\nvielen Dank f\u00fcr die schnelle Antwort. Ich schicke die Sachen morgen "
        "zur\u00fcck, das Etikett klebt schon auf dem Karton.\n\nMit freundlichen "
        "Gr\u00fc\u00dfen\nJ\u00fcrgen M\u00fcller",
        id="german-thunderbird",
    ),
    pytest.param(
        "french_outlook_reply.eml",
        "elodie.mercier@example.fr",
        "\u00c9lodie Mercier",
        "RE: Remboursement de votre commande n\u00b01088",
        "Bonjour,\n\nJe n\u2019ai toujours pas re\u00e7u le remboursement de 54,90 \u20ac pour ma "
        "commande n\u00b01088. Pouvez-vous v\u00e9rifier ?\n\nCordialement,\n\u00c9lodie Mercier",
        id="french-outlook",
    ),
    pytest.param(
        "gmail_html_only_alternative.eml",
        "tiago.ferreira@example.pt",
        "Tiago Ferreira",
        "Re: Damaged side table",
        "Hello again,\n\nI checked the returns page (https://lumen-oak.example/pages/returns) & it "
        "says I need:\n- the order number (#1090)\n- a photo of the damage\nBoth are attached. "
        "My address is still Rua Augusta 41, Lisboa.\n\nObrigado,\nTiago",
        id="alternative-with-only-html",
    ),
    pytest.param(
        "html_only.eml",
        "hana.k@example.jp",
        "Hana Kobayashi",
        "Order #1102 - wrong colour delivered",
        "Hello,\n\nI ordered the oak desk lamp in sage green but received the charcoal one.\n\n"
        "Order #1102\nItem Oak desk lamp \u2013 sage\n\nCan I swap it? Tracking: JP123456789 "
        "(https://track.example.net/?id=JP123456789)\n\nThank you,\nHana",
        id="html-only",
    ),
]


@pytest.mark.parametrize(("name", "sender", "sender_name", "subject", "text"), CLIENTS)
def test_each_client_yields_sender_subject_and_only_the_new_text(
    name: str, sender: str, sender_name: str, subject: str, text: str
) -> None:
    mail = parsed(name)
    assert (mail.sender, mail.sender_name, mail.to) == (sender, sender_name, (SHOP,))
    assert mail.subject == subject
    assert mail.text == text
    assert mail.automatic is False
    assert mail.date is not None and mail.date.utcoffset() is not None
    assert mail.date.tzinfo == UTC


def test_body_keeps_the_quoted_history_that_text_leaves_out() -> None:
    mail = parsed("gmail_reply.eml")
    assert "> Your order #1047 has shipped with DHL" in mail.body
    assert "It should reach K\u00f6ln by Wednesday." in mail.body
    assert "DHL" not in mail.text and "wrote:" not in mail.text
    assert "\r" not in mail.body


def test_a_reply_chain_names_its_root_and_parent() -> None:
    mail = parsed("gmail_reply.eml")
    assert mail.message_id == "<CAJx8vQ0mK3p7Yw2bT6fR1nLq9sZ4hD5eUa8cV2xG7kN1oP3rS@mail.gmail.com>"
    assert mail.in_reply_to == "<20261123100200.4f2a9c@mail.lumen-oak.example>"
    assert mail.references == (
        "<20261120091500.1a2b3c@mail.lumen-oak.example>",
        "<20261123100200.4f2a9c@mail.lumen-oak.example>",
    )
    assert mail.thread_root == "<20261120091500.1a2b3c@mail.lumen-oak.example>"
    assert mail.date == datetime(2026, 11, 23, 9, 15, 31, tzinfo=UTC)


def test_thread_root_falls_back_to_the_parent_then_the_message_itself() -> None:
    mail = parsed("gmail_reply.eml")
    parent_only = dataclasses.replace(mail, references=())
    assert parent_only.thread_root == "<20261123100200.4f2a9c@mail.lumen-oak.example>"
    first_message = dataclasses.replace(parent_only, in_reply_to=None)
    assert first_message.thread_root == mail.message_id
    assert dataclasses.replace(first_message, message_id=None).thread_root is None


@pytest.mark.parametrize(
    "name", ["gmail_reply.eml", "outlook_desktop_reply.eml", "outlook_web_reply.eml"]
)
def test_the_html_alternative_strips_to_the_same_text_as_the_plain_one(name: str) -> None:
    whole = email.message_from_bytes(raw(name), policy=email.policy.default)
    html = next(part for part in whole.walk() if part.get_content_type() == "text/html")
    assert strip_reply(html_to_text(html.get_content())) == parsed(name).text


@pytest.mark.parametrize(
    ("name", "encoding", "fragment"),
    [
        ("gmail_reply.eml", "quoted-printable utf-8", "I\u2019d rather not get a refund."),
        ("outlook_web_reply.eml", "base64 utf-8", "I\u2019m still waiting for the voucher"),
        ("german_thunderbird_reply.eml", "quoted-printable iso-8859-1", "Gr\u00fc\u00dfen"),
        ("outlook_desktop_reply.eml", "quoted-printable windows-1252", "\u2013 the label"),
        ("french_outlook_reply.eml", "8bit windows-1252", "54,90 \u20ac pour ma commande"),
    ],
)
def test_transfer_encodings_and_charsets_decode(name: str, encoding: str, fragment: str) -> None:
    assert fragment in parsed(name).body, encoding


def test_the_body_skips_a_pdf_attachment() -> None:
    mail = parsed("pdf_attachment.eml")
    assert mail.body == (
        "Hello,\n\nthe attached invoice has our old VAT number. Please reissue it with "
        "CZ12345678.\n\nThanks,\nLukas\n"
    )
    assert "PDF" not in mail.body


def test_the_body_ignores_a_forwarded_message_and_a_text_attachment() -> None:
    # The only inline part of its own is HTML; both text/plain parts belong to something else.
    mail = parsed("forwarded_confirmation.eml")
    assert mail.body == (
        "The confirmation below charges me for two cushions, I only ordered one.\n\nAmara"
    )
    assert "Thank you for your order" not in mail.body and "courier" not in mail.body


@pytest.mark.parametrize("name", ["bounce.eml", "out_of_office.eml"])
def test_bounces_and_out_of_office_replies_are_automatic(name: str) -> None:
    assert parsed(name).automatic is True


def test_a_bounce_reads_its_notification_not_the_returned_message() -> None:
    mail = parsed("bounce.eml")
    assert mail.sender == "mailer-daemon@mx1.lumen-oak.example"
    assert "could not\nbe delivered" in mail.body
    assert "your order ships tomorrow" not in mail.body


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        (["Auto-Submitted: auto-replied"], True),
        (["Auto-Submitted: auto-generated; owner-email=ops@example.com"], True),
        (["Auto-Submitted: no"], False),
        (["Auto-Submitted: No"], False),
        (["Precedence: bulk"], True),
        (["Precedence: junk"], True),
        (["Precedence: List"], True),
        (["Precedence: first-class"], False),
        (["X-Autoreply: yes"], True),
        (["X-Autorespond: Thanks for your message"], True),
        (["From: postmaster@example.com"], True),
        (["From: Mailer-Daemon@example.com"], True),
        (["From: daemon.fan@example.com"], False),
        (["Content-Type: multipart/report; report-type=delivery-status; boundary=b"], True),
        ([], False),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(headers: list[str], automatic: bool) -> None:
    assert parse_raw(message(*headers)).automatic is automatic


GRUSS = "Gr\u00fc\u00dfe aus K\u00f6ln"
CAFE = "Caf\u00e9 \u201cnoir\u201d"


@pytest.mark.parametrize(
    ("charset", "payload", "body"),
    [
        pytest.param("utf-8", CAFE.encode("windows-1252"), CAFE, id="windows-1252-declared-utf-8"),
        pytest.param("iso-8859-1", GRUSS.encode(), GRUSS, id="utf-8-declared-latin-1"),
        pytest.param("x-klingon-8", GRUSS.encode(), GRUSS, id="unknown-charset"),
        pytest.param("unknown-8bit", CAFE.encode("windows-1252"), CAFE, id="unknown-8bit"),
        pytest.param("us-ascii", b"price \x81\x8d", "price \x81\x8d", id="fits-no-charset"),
        pytest.param("utf-8", GRUSS.encode() + b"\xff", GRUSS + "\ufffd", id="utf-8-stray-byte"),
        pytest.param('"utf\x00-8"', GRUSS.encode(), GRUSS, id="nul-in-charset-name"),
    ],
)
def test_a_wrong_or_unknown_charset_never_raises(charset: str, payload: bytes, body: str) -> None:
    head = message(f"Content-Type: text/plain; charset={charset}", "X-Filler: 1", body="")
    assert parse_raw(head + payload).body == body


def test_the_wrong_charset_fixture_reads_as_windows_1252() -> None:
    assert parsed("wrong_charset.eml").text == (
        "Hola, el paquete lleg\u00f3 da\u00f1ado. \u00bfPueden enviar otro? Gracias \u2013 Carmen"
    )


def test_broken_headers_and_transfer_encodings_do_not_raise() -> None:
    broken = (
        b"From: Ana Silva <ana.silva@example.com>\n"
        b"Subject: Bestellung \xfcber =?utf-8?B?!!!?= =?x-unknown?Q?abc?=\n"
        b"Message-ID: <<<>\n"
        b"References: not-an-id <ok@example.com>\n"
        b"Date: yesterday-ish\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n\n"
        b"SGVsbG8gd29ybGQ=!!!not base64\n"
    )
    mail = parse_raw(broken)
    assert mail.sender == "ana.silva@example.com"
    assert mail.subject.startswith("Bestellung")
    assert (mail.message_id, mail.references, mail.date) == (None, ("<ok@example.com>",), None)
    assert mail.body.startswith("Hello world")


def test_a_content_type_that_crashes_the_stdlib_parser_falls_back_to_compat32() -> None:
    mail = parse_raw(
        message(
            "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j.mueller@example.de>",
            "Subject: =?utf-8?q?R=C3=BCcksendung?=",
            "Content-Type: text/plain; ch*",
        )
    )
    assert (mail.sender, mail.sender_name) == ("j.mueller@example.de", "J\u00fcrgen M\u00fcller")
    assert (mail.subject, mail.text) == ("R\u00fccksendung", "Where is my order #1047?")


def test_a_from_header_the_stdlib_cannot_parse_still_yields_the_address() -> None:
    mail = parse_raw(message('From: "Silva, Ana <ana.silva@example.com>'))
    assert mail.sender == "ana.silva@example.com"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 07 Dec 2026 10:30:00 +0100", datetime(2026, 12, 7, 9, 30, tzinfo=UTC)),
        ("Mon, 07 Dec 2026 10:30:00 -04:00", datetime(2026, 12, 7, 14, 30, tzinfo=UTC)),
        ("Mon, 07 Dec 2026 10:30:00 -0000", datetime(2026, 12, 7, 10, 30, tzinfo=UTC)),
        ("Mon, 7 Dec 2026 10:30:00 +0000 (UTC)", datetime(2026, 12, 7, 10, 30, tzinfo=UTC)),
        ("2026-12-07T10:30:00+02:00", datetime(2026, 12, 7, 8, 30, tzinfo=UTC)),
        ("the day before yesterday", None),
    ],
)
def test_dates_come_out_in_utc(date: str, expected: datetime | None) -> None:
    mail = parse_raw(message(f"Date: {date}"))
    assert mail.date == expected
    assert mail.date is None or mail.date.tzinfo == UTC


def test_a_message_without_a_date_has_none() -> None:
    headers = b"From: ana.silva@example.com\nSubject: hi\n\nhello\n"
    assert parse_raw(headers).date is None


def test_plain_text_is_preferred_and_an_empty_plain_part_falls_back_to_html() -> None:
    def alternative(plain: str) -> bytes:
        return message(
            'Content-Type: multipart/alternative; boundary="b"',
            body=(
                "--b\nContent-Type: text/plain; charset=utf-8\n\n"
                f"{plain}\n--b\nContent-Type: text/html; charset=utf-8\n\n"
                "<p>From <b>HTML</b></p>\n--b--\n"
            ),
        )

    assert parse_raw(alternative("From plain text")).body == "From plain text"
    assert parse_raw(alternative("  ")).body == "From HTML"


# ---- The JSON forms ------------------------------------------------------------------------------


def postmark() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((MAIL / "postmark_apple_iphone_reply.json").read_text())
    return loaded


def test_postmark_json_and_the_raw_message_give_the_same_email() -> None:
    assert parse_inbound_json(postmark()) == parsed("apple_iphone_reply.eml")


ASCII_FIXTURES = [path.name for path in sorted(MAIL.glob("*.eml")) if path.read_bytes().isascii()]


@pytest.mark.parametrize("name", ASCII_FIXTURES)
def test_the_raw_json_form_delegates_to_parse_raw(name: str) -> None:
    assert parse_inbound_json({"raw": raw(name).decode("ascii")}) == parsed(name)


def test_postmark_prefers_the_message_id_header_over_its_own_uuid() -> None:
    mail = parse_inbound_json(postmark())
    assert mail.message_id == "<4C1D7B0E-9A2F-4E63-B8D5-7F0C2A1E9B34@example.com>"
    without_header = postmark()
    without_header["Headers"] = [
        h for h in without_header["Headers"] if h["Name"].lower() != "message-id"
    ]
    assert parse_inbound_json(without_header).message_id is None


def test_postmark_with_only_html_and_a_plain_from_string() -> None:
    data = {
        "From": "Ana Silva <Ana.Silva@example.com>",
        "To": "Lumen & Oak <support@lumen-oak.example>, returns@lumen-oak.example",
        "Subject": "Return",
        "TextBody": "",
        "HtmlBody": "<div>I want to return order #1047.</div><div><br></div><div>Ana</div>",
        "Headers": [{"Name": "Precedence", "Value": "bulk"}],
    }
    mail = parse_inbound_json(data)
    assert (mail.sender, mail.sender_name) == ("ana.silva@example.com", "Ana Silva")
    assert mail.to == (SHOP, "returns@lumen-oak.example")
    assert mail.body == "I want to return order #1047.\n\nAna"
    assert mail.automatic is True
    assert (mail.message_id, mail.date, mail.thread_root) == (None, None, None)


def test_postmark_auto_submitted_header_marks_the_mail_automatic() -> None:
    data = postmark()
    data["Headers"].append({"Name": "Auto-Submitted", "Value": "auto-replied"})
    assert parse_inbound_json(data).automatic is True


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "JSON object"),
        ("From: a@b.example", "JSON object"),
        ({"TextBody": "hi"}, "sender"),
        ({"From": "", "TextBody": "hi"}, "sender"),
        ({"From": "not an address", "TextBody": "hi"}, "sender"),
        ({"From": "ana@example.com"}, "TextBody nor HtmlBody"),
        ({"From": 5, "TextBody": "hi"}, "From must be a string"),
        ({"FromFull": "ana@example.com", "TextBody": "hi"}, "FromFull"),
        ({"FromFull": {"Email": ["ana@example.com"]}, "TextBody": "hi"}, "FromFull.Email"),
        ({"From": "ana@example.com", "TextBody": 3}, "TextBody must be a string"),
        ({"From": "ana@example.com", "TextBody": "hi", "ToFull": "x"}, "ToFull"),
        ({"From": "ana@example.com", "TextBody": "hi", "Headers": {"a": "b"}}, "Headers"),
        ({"From": "ana@example.com", "TextBody": "hi", "Headers": ["x"]}, "Headers"),
        ({"From": "ana@example.com", "TextBody": "hi", "Headers": [{"Name": 1}]}, "Name"),
        ({"raw": 5}, "raw"),
        ({"raw": "  "}, "raw"),
        ({"raw": "Subject: hello\n\nno sender here\n"}, "sender"),
    ],
)
def test_unusable_json_is_refused_with_a_clear_error(data: Any, complaint: str) -> None:
    with pytest.raises(EmailParseError, match=re.escape(complaint)):
        parse_inbound_json(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"just some words, no headers at all",
        b"Subject: hello\n\nno sender here\n",
        b"From: undisclosed-recipients:;\nSubject: hi\n\nhello\n",
        b"From: Ana Silva\nSubject: hi\n\nhello\n",
    ],
)
def test_a_raw_message_without_a_from_address_is_refused(data: bytes) -> None:
    with pytest.raises(EmailParseError, match="sender"):
        parse_raw(data)


def test_parse_raw_refuses_text_instead_of_bytes() -> None:
    with pytest.raises(EmailParseError, match="bytes"):
        parse_raw("From: ana@example.com\n\nhi")  # type: ignore[arg-type]


# ---- HTML to text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<html><head><title>Hi</title><style>p{color:red}</style></head>"
            "<body><script>alert(1)</script><p>Visible</p></body></html>",
            "Visible",
        ),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>One</div><div>Two</div>", "One\nTwo"),
        ("<div>One</div><div><br></div><div>Two</div>", "One\n\nTwo"),
        ("Line one<br>Line two<br/>Line three", "Line one\nLine two\nLine three"),
        ("<h2>Title</h2>Text", "Title\n\nText"),
        ("<ul><li>rug</li><li>lamp</li></ul>", "- rug\n- lamp"),
        ("<table><tr><td>Total</td><td>EUR 58</td></tr></table>", "Total EUR 58"),
        (
            'See <a href="https://shop.example/faq">our FAQ</a>.',
            "See our FAQ (https://shop.example/faq).",
        ),
        (
            '<a href="https://shop.example/faq">https://shop.example/faq</a>',
            "https://shop.example/faq",
        ),
        ('<a href="https://shop.example/">shop.example</a>', "shop.example"),
        ('<a href="mailto:ana@example.com">ana@example.com</a>', "ana@example.com"),
        ('<a href="#top">Back to top</a>', "Back to top"),
        ('<a href="https://shop.example/x"><img src="x.png"></a>', "https://shop.example/x"),
        (
            "Fish &amp; chips &lt;3 &eacute;t&eacute; &#8364;5&nbsp;each",
            "Fish & chips <3 \u00e9t\u00e9 \u20ac5 each",
        ),
        ("  lots   of\n\n   space\t here  ", "lots of space here"),
        ("<p>Yes.</p><blockquote>old text</blockquote><p>Also this.</p>", "Yes.\n\nAlso this."),
        ('<div>New</div><div class="gmail_quote">Old<p>older</p></div><p>after</p>', "New"),
        ('<div>New</div><div id="divRplyFwdMsg"><b>From:</b> x</div><div>Hi</div>', "New"),
        ('<div>New</div><div id="appendonsend"></div><hr><div>From: x</div>', "New"),
        ("<div>Unclosed <b>bold <i>and italic", "Unclosed bold and italic"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


# ---- Stripping quoted history and signatures ----------------------------------------------------

NEW = "Yes, please send the medium.\n\nThanks,\nAna"

STRIPPED = [
    pytest.param(
        NEW + "\n\nOn Mon, Nov 23, 2026 at 10:02 AM Jane Doe <jane@shop.example> wrote:\n\n"
        "> Which size?\n",
        id="gmail",
    ),
    pytest.param(
        NEW + "\n\nOn Mon, Nov 23, 2026 at 10:02 AM Lumen & Oak Customer Care <\n"
        "support@lumen-oak.example> wrote:\n\n> Which size?\n",
        id="gmail-wrapped",
    ),
    pytest.param(
        NEW + "\n\n-----Original Message-----\nFrom: Jane Doe <jane@shop.example>\n"
        "Sent: Monday, November 23, 2026 10:02 AM\nSubject: Size\n\nWhich size?\n",
        id="outlook-original-message",
    ),
    pytest.param(
        NEW + "\n\n________________________________\nFrom: Jane Doe <jane@shop.example>\n"
        "Sent: Monday, November 23, 2026 10:02 AM\nTo: Ana <ana@example.com>\n"
        "Subject: Size\n\nWhich size?\n",
        id="outlook-web-underscores",
    ),
    pytest.param(
        NEW + "\n\nFrom: Jane Doe <jane@shop.example>\nSent: Monday, November 23, 2026 10:02\n"
        "To: Ana <ana@example.com>\nSubject: Size\n\nWhich size?\n",
        id="outlook-header-block",
    ),
    pytest.param(
        NEW + "\n\nFrom: Jane Doe <jane@shop.example> Sent: Monday, November 23, 2026 10:02 "
        "To: Ana <ana@example.com> Subject: Size\n\nWhich size?\n",
        id="outlook-header-block-on-one-line",
    ),
    pytest.param(
        NEW + "\n\nVon: Jane Doe <jane@shop.example>\nGesendet: Montag, 23. November 2026 10:02\n"
        "An: Ana <ana@example.com>\nBetreff: Größe\n\nWelche Größe?\n",
        id="outlook-german",
    ),
    pytest.param(
        NEW + "\n\nDe : Jane Doe <jane@shop.example>\nEnvoyé : lundi 23 novembre 2026 10:02\n"
        "À : Ana <ana@example.com>\nObjet : Taille\n\nQuelle taille ?\n",
        id="outlook-french",
    ),
    pytest.param(
        NEW
        + "\n\nDe: Jane Doe <jane@shop.example>\nEnviado: lunes, 23 de noviembre de 2026 10:02\n"
        "Para: Ana <ana@example.com>\nAsunto: Talla\n\n¿Qué talla?\n",
        id="outlook-spanish",
    ),
    pytest.param(
        NEW + "\n\n> On 23 Nov 2026, at 10:02, Jane Doe <jane@shop.example> wrote:\n> \n"
        "> Which size?\n",
        id="apple-quoted-attribution",
    ),
    pytest.param(
        NEW + "\n\nOn 23 Nov 2026, at 10:02, Jane Doe <jane@shop.example> wrote:\n\nWhich size?\n",
        id="apple-unquoted-history",
    ),
    pytest.param(NEW + "\n\nSent from my iPhone\n\n> Which size?\n", id="sent-from-iphone"),
    pytest.param(NEW + "\n\nSent from my iPad", id="sent-from-ipad"),
    pytest.param(NEW + "\n\nSent from Yahoo Mail on Android\n", id="yahoo"),
    pytest.param(NEW + "\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n", id="outlook-ios"),
    pytest.param(NEW + "\n\nVon meinem iPhone gesendet\n", id="iphone-german"),
    pytest.param(
        NEW + "\n\nAm Mo., 23. Nov. 2026 um 10:02 Uhr schrieb Jane Doe <jane@shop.example>:\n\n"
        "> Welche Größe?\n",
        id="german",
    ),
    pytest.param(
        NEW + "\n\nAm 23.11.2026 um 10:02 schrieb Jane Doe:\n> Welche Größe?\n",
        id="german-thunderbird",
    ),
    pytest.param(
        NEW + "\n\nLe lun. 23 nov. 2026 à 10:02, Jane Doe <jane@shop.example> a écrit :\n\n"
        "> Quelle taille ?\n",
        id="french",
    ),
    pytest.param(
        NEW + "\n\nEl lun, 23 nov 2026 a las 10:02, Jane Doe (<jane@shop.example>) escribió:\n\n"
        "> ¿Qué talla?\n",
        id="spanish",
    ),
    pytest.param(
        NEW + "\n\nEm seg., 23 de nov. de 2026 às 10:02, Jane Doe <jane@shop.example> "
        "escreveu:\n\n> Qual tamanho?\n",
        id="portuguese",
    ),
    pytest.param(
        NEW + "\n\nIl giorno lun 23 nov 2026 alle ore 10:02 Jane Doe <jane@shop.example> ha "
        "scritto:\n\n> Che taglia?\n",
        id="italian",
    ),
    pytest.param(NEW + "\n\n-- \nAna Silva\nRua Augusta 41, Lisboa\n", id="signature"),
    pytest.param(NEW + "\n--\nAna Silva | +351 912 345 678\n", id="signature-no-space"),
    pytest.param(NEW + "\n\u2014\nAna Silva\n", id="signature-em-dash"),
    pytest.param("  " + NEW.replace("\n", "   \r\n") + "\r\n\r\n\r\n", id="whitespace"),
]


@pytest.mark.parametrize("text", STRIPPED)
def test_strip_reply_keeps_only_the_new_text(text: str) -> None:
    assert strip_reply(text) == NEW


def test_inline_answers_between_quotes_are_kept() -> None:
    text = (
        "On Mon, Nov 23, 2026 at 10:02 AM Jane Doe <jane@shop.example> wrote:\n"
        "> What is your order number?\n"
        "#1047\n"
        ">\n"
        "> And which colour would you like instead?\n"
        "Sage green, please.\n\n"
        "-- \nAna"
    )
    assert strip_reply(text) == "#1047\n\nSage green, please."


@pytest.mark.parametrize(
    "text",
    [
        "On Monday my husband wrote: the lamp is broken.",
        "On Monday my husband wrote:\nthe lamp is broken.",
        "From: Berlin\nTo: Munich\nThe parcel went the wrong way.",
        "The price was 10 -- 20 EUR more than shown.",
    ],
)
def test_ordinary_sentences_are_not_mistaken_for_history(text: str) -> None:
    assert strip_reply(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "> only a quote\n> and nothing new\n",
        "Sent from my iPhone\n\n> On 23 Nov 2026, at 10:02, Jane <j@x.example> wrote:\n> Hi\n",
        "-- \nAna Silva",
    ],
)
def test_strip_reply_never_leaves_nothing(text: str) -> None:
    assert strip_reply(text) == text.strip()


# ---- Our reply -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Order #1047", "Re: Order #1047"),
        ("Re: Order #1047", "Re: Order #1047"),
        ("RE: Re: re: Order #1047", "Re: Order #1047"),
        ("RE : Commande", "Re: Commande"),
        ("Réf : Commande", "Re: Commande"),
        ("AW: Bestellung", "Re: Bestellung"),
        ("Aw: AW: Bestellung", "Re: Bestellung"),
        ("Antw: Bestelling", "Re: Bestelling"),
        ("SV: Beställning", "Re: Beställning"),
        ("Re[2]: Order", "Re: Order"),
        ("Fwd: Order confirmation", "Re: Fwd: Order confirmation"),
        ("FW: Re: Order", "Re: FW: Re: Order"),
        ("Reorder the rug", "Re: Reorder the rug"),
        ("  Where is\n my   order  ", "Re: Where is my order"),
        ("", "Re: your message"),
        ("Re:", "Re: your message"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_new_message_id_is_unique_and_on_our_domain() -> None:
    first, second = (
        new_message_id("mail.lumen-oak.example"),
        new_message_id("mail.lumen-oak.example"),
    )
    assert re.fullmatch(r"<[^<>@\s]+@mail\.lumen-oak\.example>", first)
    assert first != second


@pytest.mark.parametrize("domain", ["", " ", "shop example", "<shop.example>", "a@shop.example"])
def test_new_message_id_refuses_a_domain_that_would_break_the_header(domain: str) -> None:
    with pytest.raises(ValueError, match="domain"):
        new_message_id(domain)


def test_reply_headers_extend_the_chain_without_repeats() -> None:
    headers = reply_headers(
        message_id="<c@x.example>",
        references=["<a@x.example>", "<b@x.example>", "<a@x.example>", "<c@x.example>"],
        own_id="<ours@shop.example>",
    )
    assert headers == {
        "Message-ID": "<ours@shop.example>",
        "In-Reply-To": "<c@x.example>",
        "References": "<a@x.example> <b@x.example> <c@x.example>",
    }


def test_reply_headers_put_the_parent_last_even_when_listed_earlier() -> None:
    headers = reply_headers(
        message_id="<b@x.example>",
        references=["<a@x.example>", "<b@x.example>", "<c@x.example>"],
        own_id="<o@s.example>",
    )
    assert headers["References"] == "<a@x.example> <c@x.example> <b@x.example>"


def test_reply_headers_for_a_first_message() -> None:
    assert reply_headers(message_id="<c@x.example>", references=[], own_id="<o@s.example>") == {
        "Message-ID": "<o@s.example>",
        "In-Reply-To": "<c@x.example>",
        "References": "<c@x.example>",
    }


def test_reply_headers_without_a_parent_only_name_our_message() -> None:
    assert reply_headers(message_id=None, references=["<a@x.example>"], own_id="<o@s.example>") == {
        "Message-ID": "<o@s.example>"
    }


def test_a_long_chain_keeps_its_first_and_latest_ids_under_the_cap() -> None:
    chain = [f"<{n:04d}.{'x' * 40}@mail.example.com>" for n in range(60)]
    headers = reply_headers(message_id=chain[-1], references=chain[:-1], own_id="<o@s.example>")
    kept = headers["References"].split(" ")
    assert len(headers["References"]) <= 900
    assert kept[0] == chain[0]
    assert kept[1:] == chain[-(len(kept) - 1) :]
    assert len(kept) > 10
    assert headers["In-Reply-To"] == chain[-1]


def test_our_reply_threads_onto_a_parsed_message() -> None:
    mail = parsed("gmail_reply.eml")
    own_id = new_message_id("mail.lumen-oak.example")
    headers = reply_headers(message_id=mail.message_id, references=mail.references, own_id=own_id)
    assert headers["References"].split(" ") == [*mail.references, mail.message_id]
    assert reply_subject(mail.subject) == "Re: Your order #1047 has shipped"


# ---- Properties on damaged input ----------------------------------------------------------------

FIXTURE_NAMES = sorted(path.name for path in MAIL.glob("*.eml"))


@BOUNDED
@given(
    name=st.sampled_from(FIXTURE_NAMES),
    damage=st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=4)), max_size=6),
    cut=st.integers(min_value=0),
)
def test_damaged_mail_parses_or_is_refused_as_unusable(
    name: str, damage: list[tuple[int, bytes]], cut: int
) -> None:
    data = bytearray(raw(name))
    for position, replacement in damage:
        at = position % len(data)
        data[at : at + len(replacement)] = replacement
    try:
        mail = parse_raw(bytes(data[: max(1, cut % (len(data) + 1))]))
    except EmailParseError:
        return
    assert mail.date is None or mail.date.tzinfo == UTC
    assert mail.text.strip() == mail.text and (mail.text or not mail.body.strip())


@BOUNDED
@given(text=st.text())
def test_strip_reply_and_html_to_text_are_total(text: str) -> None:
    stripped = strip_reply(text)
    assert stripped or not text.strip()
    assert isinstance(html_to_text(text), str)
