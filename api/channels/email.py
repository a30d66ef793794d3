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
from html.parser import HTMLParser
from typing import Any

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


# ---- HTML to text ------------------------------------------------------------------------------

_HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "template", "blockquote"})
_LINE_TAGS = frozenset(
    {"div", "li", "tr", "ul", "ol", "table", "pre", "hr", "dl", "dt", "dd", "section", "blockquote"}
)
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})
_HISTORY_CLASSES = frozenset({"gmail_quote", "gmail_quote_container", "yahoo_quoted"})
_HISTORY_IDS = frozenset({"divrplyfwdmsg", "appendonsend"})


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML mail up to where its quoted history begins."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0  # depth inside elements whose content is never shown
        self._history = False  # the quoted history began: ignore the rest of the document
        self._newlines = 2  # newlines ending the text so far (start as at a paragraph start)
        self._links: list[tuple[int, str]] = []  # open <a>: where its text starts, its href

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = set(attributes.get("class", "").split())
        if classes & _HISTORY_CLASSES or attributes.get("id", "").lower() in _HISTORY_IDS:
            self._history = True
        if tag == "body":
            self._hidden = 0  # a <head> left open ends here
        elif tag in _HIDDEN_TAGS:
            self._hidden += 1
        if self._history or self._hidden:
            return
        if tag == "br":
            self._emit("\n")
        elif tag in _PARAGRAPH_TAGS or tag in _LINE_TAGS:
            self._break(2 if tag in _PARAGRAPH_TAGS else 1)
            if tag == "li":
                self._emit("- ")
        elif tag in ("td", "th") and not self._newlines:
            self._emit(" ")
        elif tag == "a":
            self._links.append((len(self.chunks), attributes.get("href", "").strip()))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        if self._history or self._hidden:
            return
        if tag in _PARAGRAPH_TAGS or tag in _LINE_TAGS:
            self._break(2 if tag in _PARAGRAPH_TAGS else 1)
        elif tag == "a" and self._links:
            start, href = self._links.pop()
            label = "".join(self.chunks[start:]).strip()
            if href and not href.startswith(("#", "javascript:")):
                if not label:
                    self._emit(href)
                elif _without_scheme(label) != _without_scheme(href):
                    self._emit(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._history or self._hidden:
            return
        text = re.sub(r"\s+", " ", data)
        if self._newlines:
            text = text.lstrip()
        if text:
            self._emit(text)

    def _emit(self, text: str) -> None:
        self.chunks.append(text)
        self._newlines = self._newlines + 1 if text == "\n" else 0

    def _break(self, newlines: int) -> None:
        while self._newlines < newlines:
            self._emit("\n")


def _without_scheme(target: str) -> str:
    return re.sub(r"^(?:https?://|mailto:)", "", target.strip(), flags=re.IGNORECASE).rstrip("/")


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail: blocks become lines, links keep their target, and
    quoted history (blockquotes, Gmail's and Outlook's reply containers onwards) is dropped."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return _tidy("".join(extractor.chunks))


def _tidy(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, no outer blank lines."""
    lines = (line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# ---- Quoted history and signatures -------------------------------------------------------------

# "On <date>, <someone> wrote:" in the languages we serve; a digit (date or time) is required,
# so that "On Monday my husband wrote:" in a customer's own words is kept.
_ATTRIBUTION = re.compile(
    r"^\s*(?=.*\d)(?:On\s.+\swrote|Am\s.+\sschrieb.*|Le\s.+\sa\s+écrit|El\s.+\sescribió"
    r"|Em\s.+\sescreveu|Il\s.+\sha\s+scritto|Op\s.+\sschreef.*)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Am|Le|El|Em|Il|Op)\s", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Mensagem original|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from my \S.{0,40}|Sent from (?:Yahoo Mail|Mail for Windows|Outlook)\b.*"
    r"|Get Outlook for \w.*|Von meinem \S.{0,30} gesendet|Envoyé de mon \S.{0,30}"
    r"|Enviado desde mi \S.{0,30}|Enviado do meu \S.{0,30}|Inviato da(?:l mio)? \S.{0,30})$",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITERS = frozenset({"--", "—"})


def _label(*names: str, line_start: bool = False) -> re.Pattern[str]:
    """A header label such as "Subject:" or "Objet :", optionally bold as "*Subject:*"."""
    before = r"^\s*" if line_start else r"(?:^|\s)"
    return re.compile(rf"{before}\*?(?:{'|'.join(names)})\*?\s*:", re.IGNORECASE | re.MULTILINE)


_FROM_LABEL = _label("From", "Von", "De", "Da", "Van", "Från", "Fra", line_start=True)
_SENT_OR_TO_LABEL = _label(
    "Sent", "Date", "Gesendet", "Datum", "Envoyé", "Enviado", "Enviada", "Fecha", "Data",
    "Inviato", "Verzonden", "Skickat", "To", "An", "À", "A", "Para", "Aan", "Till", "Til",
)  # fmt: skip
_SUBJECT_LABEL = _label(
    "Subject", "Betreff", "Objet", "Asunto", "Assunto", "Oggetto", "Onderwerp", "Ämne", "Emne"
)


def strip_reply(text: str) -> str:
    """Only the new content of a reply: quoted history, attribution lines and signatures go.

    Inline answers between quoted lines stay. Never returns nothing: when stripping would
    leave no text, the original text comes back trimmed.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = lines[: _history_start(lines)]
    attribution = _attribution(kept)
    if attribution is not None:
        start, length = attribution
        rest = kept[start + length :]
        # Quoted lines after it mean the answers may be inline; otherwise all of it is history.
        kept = kept[:start] + rest if any(_is_quoted(line) for line in rest) else kept[:start]
    # A quoted run becomes a blank line, so inline answers stay apart from one another.
    new_content = _tidy("\n".join("" if _is_quoted(line) else line for line in kept)).strip()
    return new_content or text.strip()


def _history_start(lines: Sequence[str]) -> int:
    """Index of the first line where forwarded history or a signature begins, else len(lines)."""
    for index, line in enumerate(lines):
        if (
            line.rstrip() in _SIGNATURE_DELIMITERS
            or _ORIGINAL_MESSAGE.match(line)
            or _MOBILE_SIGNATURE.match(line)
            or _is_header_block(lines, index)
        ):
            return index
        if _UNDERSCORES.match(line):
            following = next((other for other in lines[index + 1 : index + 4] if other.strip()), "")
            if _FROM_LABEL.match(following):
                return index
    return len(lines)


def _is_header_block(lines: Sequence[str], index: int) -> bool:
    """An Outlook-style "From: / Sent: / To: / Subject:" block starts at ``lines[index]``."""
    if not _FROM_LABEL.match(lines[index]):
        return False
    block = "\n".join(lines[index : index + 7])
    return bool(_SUBJECT_LABEL.search(block) and _SENT_OR_TO_LABEL.search(block))


def _attribution(lines: Sequence[str]) -> tuple[int, int] | None:
    """(index, line count) of the first "On ... wrote:" line, which clients may wrap in two."""
    for index, line in enumerate(lines):
        if not _ATTRIBUTION_START.match(line) or len(line) > 300:
            continue
        if _ATTRIBUTION.match(line):
            return index, 1
        if index + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[index + 1]}"[:400]):
            return index, 2
    return None


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


# ---- Our reply ---------------------------------------------------------------------------------

# Reply prefixes as mail clients write them: "Re:", "RE :", "Re[2]:", "AW:", "SV:", "Antw:",
# "Réf :". "Fwd:" and "FW:" are not replies and stay.
_REPLY_PREFIXES = re.compile(
    r"^(?:\s*(?:re|aw|sv|antw|antwort|réf)\s*(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE
)


def reply_subject(subject: str) -> str:
    """The subject of our answer: one "Re: " in front, never "Re: Re:"."""
    topic = _REPLY_PREFIXES.sub("", " ".join(subject.split()))
    return f"Re: {topic}" if topic else "Re: your message"
