"""Inbound email: read what a mail provider hands us, and thread our reply onto it.

Pure functions over the standard library ``email`` package, with no web framework and no
database. ``parse_raw`` reads an RFC 822 message and ``parse_inbound_json`` an inbound-parse
webhook body (Postmark's shape, or ``{"raw": ...}``). Both return an ``InboundEmail`` whose
``text`` is only what the customer wrote this time, without quoted history or signature.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from api.channels.email_text import html_to_text, strip_reply

_Headers = dict[str, list[str]]
"""Header values by lower-cased name, in message order: one shape for raw and JSON input."""

_ADDRESS = re.compile(r"[^\s<>(),;:\"@]+@[^\s<>(),;:\"@]+")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_DAEMON_SENDERS = frozenset({"mailer-daemon", "postmaster"})
# Latin-script charsets that are often declared for what is really UTF-8; UTF-8 is tried first.
_WESTERN_CHARSETS = frozenset(
    {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252"}
)


class EmailParseError(ValueError):
    """The input cannot be read as an email we could answer: no sender, no body, wrong shape."""


@dataclass(frozen=True)
class InboundEmail:
    """One received email, reduced to what a support conversation needs."""

    sender: str
    """The From address, lower-cased."""
    sender_name: str | None
    """The From display name, decoded; None when the header carries none."""
    to: tuple[str, ...]
    """The To addresses, lower-cased, in header order."""
    subject: str
    """The decoded Subject; "" when there is none."""
    message_id: str | None
    """This message's Message-ID with its angle brackets, e.g. ``<abc@mail.gmail.com>``."""
    in_reply_to: str | None
    """The id of the message this one answers."""
    references: tuple[str, ...]
    """The ids of the thread so far, oldest first."""
    date: datetime | None
    """When it was sent, in UTC; None when the Date header is missing or unreadable."""
    body: str
    """The whole decoded text of the part chosen (an HTML part converted to text)."""
    text: str
    """Only what is new: ``body`` without quoted history or signature, whitespace tidied."""
    automatic: bool
    """True for auto-replies, bounces and bulk mail, which must never be answered."""

    @property
    def thread_root(self) -> str | None:
        """The id naming the whole thread: first Reference, else In-Reply-To, else this one."""
        if self.references:
            return self.references[0]
        return self.in_reply_to or self.message_id


def parse_raw(data: bytes) -> InboundEmail:
    """Read an RFC 822 / MIME message; bad bytes and unknown charsets never raise.

    Raises EmailParseError only when there is no sender address to answer.
    """
    if not isinstance(data, bytes | bytearray):
        raise EmailParseError(f"a raw email must be bytes, not {type(data).__name__}")
    try:
        return _read_message(email.message_from_bytes(data, policy=email.policy.default))
    except EmailParseError:
        raise
    except Exception:  # the stdlib's header parser raises IndexError on some malformed headers
        return _read_message(email.message_from_bytes(data, policy=email.policy.compat32))


def _read_message(message: Message) -> InboundEmail:
    headers = _raw_headers(message)
    senders = _addresses(message, "from", headers)
    sender_name, sender = senders[0] if senders else ("", "")
    return _assemble(
        sender=sender,
        sender_name=sender_name,
        to=[address for _, address in _addresses(message, "to", headers)],
        subject=_decoded_header(message, "subject", headers),
        headers=headers,
        body=_body_of(message),
        content_type=message.get_content_type(),
    )


def parse_inbound_json(data: Mapping[str, Any]) -> InboundEmail:
    """Read an inbound-parse webhook body: Postmark's shape, or ``{"raw": "<RFC 822 text>"}``.

    Postmark's own ``MessageID`` is its UUID, not the sender's Message-ID, so only the
    Message-ID header names the message. Raises EmailParseError for anything unusable.
    """
    if not isinstance(data, Mapping):
        raise EmailParseError(f"an inbound email must be a JSON object, not {type(data).__name__}")
    if "raw" in data:
        raw = data["raw"]
        if not isinstance(raw, str) or not raw.strip():
            raise EmailParseError("'raw' must be the whole message as a non-empty string")
        return parse_raw(raw.encode("utf-8", errors="replace"))
    headers = _json_headers(data.get("Headers"))
    from_full = data.get("FromFull") or {}
    if not isinstance(from_full, Mapping):
        raise EmailParseError("FromFull must be an object with Email and Name")
    name, address = email.utils.parseaddr(_text_field(data, "From") or "")
    sender = _text_field(from_full, "Email", within="FromFull") or address
    sender_name = (
        _text_field(from_full, "Name", within="FromFull") or _text_field(data, "FromName") or name
    )
    text_body, html_body = _text_field(data, "TextBody"), _text_field(data, "HtmlBody")
    if text_body is None and html_body is None:
        raise EmailParseError("the email has neither TextBody nor HtmlBody")
    if text_body and text_body.strip():
        body = text_body
    else:
        body = html_to_text(html_body) if html_body else text_body or ""
    date = _text_field(data, "Date")
    if date and "date" not in headers:
        headers["date"] = [date]
    postmark_id = _text_field(data, "MessageID") or ""
    if "@" in postmark_id and "message-id" not in headers:  # Postmark's own id is a bare UUID
        headers["message-id"] = [postmark_id]
    content_type = (headers.get("content-type") or ["text/plain"])[0]
    return _assemble(
        sender=sender,
        sender_name=sender_name,
        to=_json_recipients(data),
        subject=_text_field(data, "Subject") or "",
        headers=headers,
        body=body,
        content_type=content_type.split(";")[0].strip().lower(),
    )


def _assemble(
    *,
    sender: str,
    sender_name: str,
    to: Sequence[str],
    subject: str,
    headers: _Headers,
    body: str,
    content_type: str,
) -> InboundEmail:
    address = sender.strip().lower()
    if not _ADDRESS.fullmatch(address):
        raise EmailParseError(f"the email has no usable sender address (From: {sender!r})")
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return InboundEmail(
        sender=address,
        sender_name=sender_name.strip() or None,
        to=tuple(dict.fromkeys(a.strip().lower() for a in to if _ADDRESS.fullmatch(a.strip()))),
        subject=subject.strip(),
        message_id=next(iter(_ids(headers.get("message-id", []))), None),
        in_reply_to=next(iter(_ids(headers.get("in-reply-to", []))), None),
        references=_ids(headers.get("references", [])),
        date=_parse_date((headers.get("date") or [""])[0]),
        body=body,
        text=strip_reply(body),
        automatic=_is_automatic(headers, address, content_type),
    )


def _raw_headers(message: Message) -> _Headers:
    """Every header as sent, unfolded, with undecodable bytes replaced rather than smuggled."""
    headers: _Headers = {}
    for name, value in message.raw_items():
        text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        headers.setdefault(name.strip().lower(), []).append(" ".join(text.split()))
    return headers


def _parsed_header(message: Message, name: str) -> Any:
    """The policy's structured header; None under compat32 or where the stdlib parser gives up."""
    if not isinstance(message.policy, email.policy.EmailPolicy):
        return None
    try:
        return message.get(name)
    except Exception:  # the header parser has raised IndexError and friends on malformed input
        return None


def _addresses(message: Message, name: str, headers: _Headers) -> list[tuple[str, str]]:
    """(display name, address) pairs: the policy's parse, the lenient parse, any address text."""
    header = _parsed_header(message, name)
    for pairs in (
        [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())],
        [(_decode_words(n), a) for n, a in email.utils.getaddresses(headers.get(name, []))],
    ):
        usable = [(n, a) for n, a in pairs if _ADDRESS.fullmatch(a)]
        if usable:
            return usable
    return [("", a) for value in headers.get(name, []) for a in _ADDRESS.findall(value)]


def _decoded_header(message: Message, name: str, headers: _Headers) -> str:
    header = _parsed_header(message, name)
    return str(header) if header is not None else _decode_words(" ".join(headers.get(name, [])))


def _decode_words(text: str) -> str:
    """``text`` with its RFC 2047 encoded-words decoded, or as it is when they are broken."""
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except Exception:  # unknown charset or malformed encoded-word: the undecoded text will do
        return text


def _json_headers(value: object) -> _Headers:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise EmailParseError("Headers must be a list of {Name, Value} objects")
    headers: _Headers = {}
    for item in value:
        if not isinstance(item, Mapping):
            raise EmailParseError("Headers must be a list of {Name, Value} objects")
        name, text = (
            _text_field(item, "Name", within="Headers"),
            _text_field(item, "Value", within="Headers"),
        )
        if name:
            headers.setdefault(name.strip().lower(), []).append(" ".join((text or "").split()))
    return headers


def _json_recipients(data: Mapping[str, Any]) -> list[str]:
    to_full = data.get("ToFull")
    if to_full is None:
        return [address for _, address in email.utils.getaddresses([_text_field(data, "To") or ""])]
    if not isinstance(to_full, list) or not all(isinstance(r, Mapping) for r in to_full):
        raise EmailParseError("ToFull must be a list of {Email, Name} objects")
    return [_text_field(recipient, "Email", within="ToFull") or "" for recipient in to_full]


def _text_field(data: Mapping[str, Any], key: str, *, within: str = "") -> str | None:
    """``data[key]`` as a string or None; ``within`` names the enclosing field in errors."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        where = f"{within}.{key}" if within else key
        raise EmailParseError(f"{where} must be a string, not {type(value).__name__}")
    return value


def _ids(values: Sequence[str]) -> tuple[str, ...]:
    """Message ids in order, deduplicated; a bare ``id@host`` gets its angle brackets."""
    found: list[str] = []
    for value in values:
        bracketed = _MESSAGE_ID.findall(value)
        found.extend(bracketed or (f"<{token}>" for token in value.split() if "@" in token))
    return tuple(dict.fromkeys(found))


def _parse_date(value: str) -> datetime | None:
    # RFC 5322 writes the offset as -0400; Postmark's JSON writes -04:00, which the stdlib ignores.
    text = re.sub(r"([+-]\d\d):(\d\d)$", r"\1\2", value.strip())
    if not text:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if moment.tzinfo is None:  # "-0000": the zone is unknown, and UTC is the honest reading
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _is_automatic(headers: _Headers, sender: str, content_type: str) -> bool:
    """Mail sent by a machine (RFC 3834 and common practice): answering it risks a loop."""
    submitted = headers.get("auto-submitted")
    if submitted and submitted[0].split(";")[0].strip().lower() != "no":
        return True
    if any(p.strip().lower() in _BULK_PRECEDENCE for p in headers.get("precedence", [])):
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    return sender.partition("@")[0] in _DAEMON_SENDERS or content_type == "multipart/report"


def _body_of(message: Message) -> str:
    """The first non-empty text/plain part, else the first HTML part as text, else ""."""
    parts = list(_inline_text_parts(message))
    for part in parts:
        if part.get_content_type() == "text/plain" and (text := _decoded_text(part)).strip():
            return text
    for part in parts:
        if part.get_content_type() == "text/html" and (text := _decoded_text(part)).strip():
            return html_to_text(text)
    return ""


def _inline_text_parts(part: Message) -> Iterator[Message]:
    """Text parts of the message itself: not attachments, not forwarded messages or reports."""
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return
    if part.get_content_maintype() == "message":
        return
    if part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                yield from _inline_text_parts(child)
    elif part.get_content_type() in ("text/plain", "text/html"):
        yield part


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    return _decode_bytes(payload, part.get_content_charset()) if isinstance(payload, bytes) else ""


def _decode_bytes(payload: bytes, charset: str | None) -> str:
    """Text of a body: the declared charset, else UTF-8, else a single-byte reading."""
    candidates = [charset, "utf-8"]
    if charset in _WESTERN_CHARSETS:  # valid multi-byte UTF-8 is very unlikely to be Latin-1
        candidates.reverse()
    for candidate in candidates:
        if candidate:
            try:
                return payload.decode(candidate)
            except (LookupError, ValueError):  # unknown codec, bad bytes, or a NUL in the name
                continue
    lenient = payload.decode("utf-8", errors="replace")
    damaged = lenient.count("\ufffd")
    if sum(1 for c in lenient if ord(c) > 127) > 2 * damaged:  # UTF-8 with a few broken bytes
        return lenient
    try:
        return payload.decode("windows-1252")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


_REPLY_PREFIXES = re.compile(
    r"^(?:\s*(?:re|aw|sv|antw|antwort|réf)\s*(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE
)


def reply_subject(subject: str) -> str:
    """The subject of our answer: one "Re: " in front, never "Re: Re:"."""
    topic = _REPLY_PREFIXES.sub("", " ".join(subject.split()))
    return f"Re: {topic}" if topic else "Re: your message"
