"""An English view of a message in another language, for an English-only encoder.

The intent classifier and the knowledge store embed text with all-MiniLM-L6-v2, which was
trained on English: "quiero devolver unas zapatillas" lands nowhere near "I want to return my
sneakers". `english_view(text, language)` rewrites the message word by word and phrase by
phrase into rough English from a glossary the project wrote for each language (`es.yaml`,
`fr.yaml`, `de.yaml`, `pt.yaml`, `it.yaml` beside this file): support vocabulary (orders,
returns, refunds, sizes, delivery, gift cards...), the usual phrasings of a request or a question,
and the function words around them. The result reads like a gloss ("where is my package? it I
ordered ago ten days"), which is enough for the encoder: the words that carry the intent are
English. Words the glossary does not know (names, products, places) are kept as written.

Matching ignores case, and accents when need be ("devolucion" matches "devolución", while
"esta" prefers "esta" (this) to "está" (is)); the longest phrase wins; a key ending in `*`
matches any word starting with it ("rembours*" covers rembourser, remboursé, remboursement).
French and Italian elisions are words of their own ("l'adresse" is "l'" + "adresse"). An empty
translation drops the word. Numbers, order names and email addresses pass through whole.

Each file also lists `short_words`: one- or two-word greetings and thanks ("hola", "merci") that
language detection cannot tell from so little text (`agent.language`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

GLOSSARY_DIR = Path(__file__).parent
GLOSSARY_LANGUAGES = ("es", "fr", "de", "pt", "it")
"""Languages with a glossary; English needs none."""

_TOKEN = re.compile(
    r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+|https?://\S+|"  # an email address or a link, whole
    r"#?[\w\-]*\d(?:[\w\-/]|[.,]\d)*|"  # an order number, SKU, amount or date, whole
    r"[^\W\d_]+['\u2019](?=[^\W\d_])|"  # an elided article or pronoun: "l'", "dell'"
    r"\w+(?:['\u2019-]\w+)*|[^\w\s]"  # a word (hyphens and inner apostrophes kept), or one symbol
)
_ELISION = re.compile(r"[^\W\d_]+['\u2019]")
_DROPPED = frozenset("¿¡")
_NO_SPACE_BEFORE = frozenset(".,;:!?)]}%")


def lower(word: str) -> str:
    """Lower case, composed accents, straight apostrophe: how keys and words are compared."""
    return unicodedata.normalize("NFC", word.lower().replace("\u2019", "'"))


def plain(word: str) -> str:
    """`lower` without accents: the fallback comparison ("donde esta" for "dónde está")."""
    decomposed = unicodedata.normalize("NFKD", lower(word))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class _Word:
    """One word of a key; `prefix` words match any word that starts with them."""

    text: str
    plain: str
    prefix: bool


@dataclass(frozen=True)
class _Entry:
    words: tuple[_Word, ...]
    english: str

    def match(self, words: list[str], plains: list[str], start: int) -> int | None:
        """None when the entry does not match at `start`; else how many words matched with
        their accents too (an exact "esta" beats "está" matched without accents)."""
        if start + len(self.words) > len(words):
            return None
        exact = 0
        for offset, key in enumerate(self.words):
            word, bare = words[start + offset], plains[start + offset]
            same = word.startswith(key.text) if key.prefix else word == key.text
            if same:
                exact += 1
            elif not (bare.startswith(key.plain) if key.prefix else bare == key.plain):
                return None
        return exact


@dataclass(frozen=True)
class Glossary:
    """One language's glossary, indexed by the accent-free first word of each entry."""

    language: str
    exact: Mapping[str, tuple[_Entry, ...]]
    prefixed: tuple[tuple[str, tuple[_Entry, ...]], ...]
    """(prefix, entries) for entries whose first word is a prefix, longest prefix first."""
    short_words: tuple[str, ...]

    def candidates(self, bare: str) -> list[_Entry]:
        found = list(self.exact.get(bare, ()))
        for prefix, entries in self.prefixed:
            if bare.startswith(prefix):
                found.extend(entries)
        return found


def _key_words(key: str) -> tuple[_Word, ...]:
    """A key split as messages are (`_TOKEN`); a piece ending in `*` is a prefix."""
    words: list[_Word] = []
    for piece in key.split():
        bare = piece.rstrip("*")
        parts = [bare] if _ELISION.fullmatch(bare) else _TOKEN.findall(bare)
        for position, part in enumerate(parts):
            prefix = piece.endswith("*") and position == len(parts) - 1
            words.append(_Word(lower(part), plain(part), prefix))
    return tuple(words)


class _StrictLoader(yaml.BaseLoader):
    """Every scalar a string ("no" stays a word, not False), and a repeated key is an error
    (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError(f"{key!r} repeated at line {key_node.start_mark.line + 1}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_glossary(language: str, directory: Path = GLOSSARY_DIR) -> Glossary:
    """Read and check one language's glossary (every key a phrase, every value a string)."""
    path = directory / f"{language}.yaml"
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    if not isinstance(raw, dict) or set(raw) != {"short_words", "phrases"}:
        raise ValueError(f"{path.name}: expected exactly the keys short_words and phrases")
    phrases = raw["phrases"]
    if not isinstance(phrases, dict):
        raise ValueError(f"{path.name}: phrases must be a mapping")
    exact: dict[str, list[_Entry]] = {}
    prefixed: dict[str, list[_Entry]] = {}
    seen: dict[tuple[_Word, ...], str] = {}
    for key, english in phrases.items():
        if not isinstance(key, str) or not isinstance(english, str):
            raise ValueError(f"{path.name}: {key!r}: keys and translations must be strings")
        words = _key_words(key)
        if not words:
            raise ValueError(f"{path.name}: {key!r} has no words")
        if words in seen:
            raise ValueError(f"{path.name}: {key!r} repeats {seen[words]!r}")
        seen[words] = key
        entry = _Entry(words, english.strip())
        first = words[0]
        index = prefixed if first.prefix else exact
        index.setdefault(first.plain, []).append(entry)
    short = raw["short_words"]
    if not isinstance(short, list) or not all(isinstance(w, str) for w in short):
        raise ValueError(f"{path.name}: short_words must be a list of strings")
    return Glossary(
        language,
        {first: tuple(entries) for first, entries in exact.items()},
        tuple(
            (prefix, tuple(entries))
            for prefix, entries in sorted(prefixed.items(), key=lambda item: -len(item[0]))
        ),
        tuple(short),
    )


@cache
def glossary(language: str) -> Glossary | None:
    """The glossary for `language` (read once per process), or None for English and others."""
    return load_glossary(language) if language in GLOSSARY_LANGUAGES else None


@cache
def _short_words() -> dict[str, str]:
    found: dict[str, str] = {}
    for language in GLOSSARY_LANGUAGES:
        words = glossary(language)
        for word in words.short_words if words else ():
            found[plain(word)] = language
    return found


def short_word_language(words: str) -> str | None:
    """The language whose greeting or thanks `words` is ("merci": fr), or None."""
    return _short_words().get(plain(" ".join(words.split())))


def _best(glossary: Glossary, words: list[str], plains: list[str], start: int) -> _Entry | None:
    """The longest entry matching at `start`; among equals, the one matching more accents."""
    best: _Entry | None = None
    best_rank = (0, 0, 0)
    for entry in glossary.candidates(plains[start]):
        exact = entry.match(words, plains, start)
        if exact is None:
            continue
        rank = (len(entry.words), exact, sum(len(w.text) for w in entry.words))
        if best is None or rank > best_rank:
            best, best_rank = entry, rank
    return best


def english_view(text: str, language: str) -> str:
    """The message in rough English for the encoder; `text` itself for English or a language
    without a glossary."""
    entries = glossary(language)
    if entries is None:
        return text
    tokens = _TOKEN.findall(text)
    words = [lower(token) for token in tokens]
    plains = [plain(token) for token in tokens]
    out: list[str] = []
    index = 0
    while index < len(tokens):
        entry = _best(entries, words, plains, index)
        if entry is not None:
            if entry.english:
                out.append(entry.english)
            index += len(entry.words)
            continue
        if tokens[index] not in _DROPPED:
            out.append(tokens[index])
        index += 1
    return _join(out)


def _join(pieces: list[str]) -> str:
    text = ""
    for piece in pieces:
        if text and piece[0] not in _NO_SPACE_BEFORE and not text.endswith(("(", "#", "/")):
            text += " "
        text += piece
    return text.strip()
