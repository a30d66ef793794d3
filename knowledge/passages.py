"""Turn Markdown and plain-text documents into passages with stable ids.

A passage is the text under one heading (any level). Its id is `<file>#<heading-slug>`, where the
slug follows GitHub's anchor rules (lower case, punctuation dropped, spaces to hyphens) and a
repeated slug in the same file gets `-1`, `-2`, … in document order, exactly like GitHub anchors.
Sections longer than `MAX_PASSAGE_CHARS` are cut at paragraph breaks into `<slug>--part-2`, ….
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

SUFFIXES = (".md", ".markdown", ".txt")
MAX_FILE_BYTES = 2_000_000
MAX_PASSAGE_CHARS = 1_500
MIN_INTRO_CHARS = 300
"""A document's lead paragraph shorter than this joins its first section instead of standing
alone: a two-line summary under the title matches every question vaguely and none well."""

MIN_SENTENCE_CHARS = 12
"""Shorter fragments ("Yes.", a list marker) say too little to be matched on their own."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9$])|\n+")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)


class BadDocument(ValueError):
    """A file that cannot become passages; the message is the reason shown to the operator."""


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of a knowledge document."""

    id: str
    """`file.md#heading-slug`, stable while the file path and heading stay the same."""
    source: str
    """The file's path relative to the knowledge directory, with forward slashes."""
    title: str
    """The document title: its first '#' heading, else the file name."""
    heading_path: tuple[str, ...]
    """Headings from the title down to this passage's own heading."""
    text: str
    """The passage body (without its heading line)."""
    content_hash: str = field(default="")
    """sha256 of what gets embedded; filled in by `__post_init__`."""

    def __post_init__(self) -> None:
        if not self.content_hash:
            digest = hashlib.sha256(self.indexed_text.encode("utf-8")).hexdigest()
            object.__setattr__(self, "content_hash", digest)

    @property
    def heading(self) -> str:
        """The passage's own heading (the last element of the heading path)."""
        return self.heading_path[-1] if self.heading_path else self.title

    @property
    def indexed_text(self) -> str:
        """What is embedded and indexed: the heading path gives short sections their context."""
        context = " > ".join(dict.fromkeys((self.title, *self.heading_path)))
        return f"{context}\n\n{self.text}"

    @property
    def sentence_texts(self) -> list[str]:
        """Each sentence of the body, led by the passage's heading, embedded on its own.

        A passage vector averages everything the section says, so a question about one of its
        details ("do gift cards expire?" against a section that mostly explains buying them)
        can lose to a vaguer neighbour. Matching the question against single sentences finds
        the detail; the heading keeps the sentence's subject ("Support hours: Our team answers
        Monday to Friday")."""
        return [f"{self.heading}: {sentence}" for sentence in split_sentences(self.text)]


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a passage body, Markdown bullets and emphasis stripped."""
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(text):
        sentence = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", piece).strip()
        sentence = re.sub(r"[*_`]{1,2}(?=\S)|(?<=\S)[*_`]{1,2}", "", sentence)
        if len(sentence) >= MIN_SENTENCE_CHARS:
            sentences.append(sentence)
    return sentences


def slugify(text: str) -> str:
    """GitHub-style anchor: lower case, accents kept as letters, punctuation dropped."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    text = re.sub(r"\s", "-", text)
    return text or "section"


def read_document(path: Path) -> str:
    """Read a knowledge file as text, or raise `BadDocument` saying why it is unusable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BadDocument(f"too large ({size} bytes > {MAX_FILE_BYTES})")
        raw = path.read_bytes()
    except OSError as error:
        raise BadDocument(f"unreadable: {error.strerror or error}") from error
    if b"\x00" in raw[:8192]:
        raise BadDocument("binary content")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadDocument(f"not UTF-8 text (byte {error.start})") from error
    if not text.strip():
        raise BadDocument("empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_document(text: str, source: str) -> list[Passage]:
    """Split one document into passages; `source` is its relative path (used in ids)."""
    text = _FRONT_MATTER.sub("", text, count=1)
    is_markdown = not source.lower().endswith(".txt")
    sections: list[tuple[tuple[str, ...], str]] = _sections(text) if is_markdown else [((), text)]
    fallback_title = _title_from_filename(source)
    title = next((path[0] for path, _ in sections if len(path) == 1), fallback_title)
    sections = _merge_short_intro(sections)
    seen: dict[str, int] = {}
    passages: list[Passage] = []
    for heading_path, body in sections:
        body = body.strip()
        if not body:
            continue
        path = heading_path or (title,)
        slug = _unique(slugify(path[-1]), seen)
        for index, chunk in enumerate(_chunks(body)):
            anchor = slug if index == 0 else f"{slug}--part-{index + 1}"
            passages.append(
                Passage(
                    id=f"{source}#{anchor}",
                    source=source,
                    title=title,
                    heading_path=path,
                    text=chunk,
                )
            )
    return passages


def load_passages(path: Path, source: str) -> list[Passage]:
    """Read and split one file; raise `BadDocument` when it yields nothing usable."""
    passages = split_document(read_document(path), source)
    if not passages:
        raise BadDocument("empty (headings but no text)")
    return passages


def _sections(text: str) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, body) pairs in document order; text before any heading has an empty path."""
    sections: list[tuple[tuple[str, ...], str]] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False

    def flush() -> None:
        sections.append((tuple(title for _, title in stack), "\n".join(body)))
        body.clear()

    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        flush()
        level, heading = len(match.group(1)), _strip_inline(match.group(2))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
    flush()
    return sections


def _merge_short_intro(
    sections: list[tuple[tuple[str, ...], str]],
) -> list[tuple[tuple[str, ...], str]]:
    """Fold a short lead paragraph (text under the title, before any subheading) forward."""
    bodies = [(path, body.strip()) for path, body in sections]
    for index, (path, body) in enumerate(bodies[:-1]):
        if len(path) > 1:
            break
        following = bodies[index + 1]
        if body and len(body) < MIN_INTRO_CHARS and len(following[0]) > 1 and following[1]:
            bodies[index] = (path, "")
            bodies[index + 1] = (following[0], f"{body}\n\n{following[1]}")
            break
    return bodies


def _chunks(body: str) -> list[str]:
    """Cut an over-long section at paragraph breaks so the embedding sees all of it."""
    if len(body) <= MAX_PASSAGE_CHARS:
        return [body]
    chunks: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", body):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if current and len(candidate) > MAX_PASSAGE_CHARS:
            chunks.append(current)
            current = paragraph
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def _unique(slug: str, seen: dict[str, int]) -> str:
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def _strip_inline(heading: str) -> str:
    """Drop Markdown emphasis/code/link syntax from a heading, keeping its words."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[*_`]", "", heading).strip()


def _title_from_filename(source: str) -> str:
    stem = Path(source).stem.replace("-", " ").replace("_", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else source
