"""An email's words as a person reads them: HTML turned to text, and a reply without the quoted
history and signature its mail client added (Gmail, Outlook, Apple Mail and others, in several
languages)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html.parser import HTMLParser

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
