"""Splitting documents into passages: ids, heading paths, bad files. No model needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.passages import BadDocument, load_passages, slugify, split_document

DOC = """# Returns and exchanges

Short intro.

## Return window

You have 30 days.

### Exceptions

Final sale.

## FAQ

One.

## FAQ

Two.
"""


def test_ids_are_file_and_heading_slug_with_deterministic_dedupe() -> None:
    ids = [p.id for p in split_document(DOC, "returns.md")]
    assert ids == [
        "returns.md#return-window",
        "returns.md#exceptions",
        "returns.md#faq",
        "returns.md#faq-1",
    ]
    assert ids == [p.id for p in split_document(DOC, "returns.md")]


def test_passages_keep_title_heading_path_and_short_intro() -> None:
    window, exceptions, *_ = split_document(DOC, "returns.md")
    assert window.title == "Returns and exchanges"
    assert window.heading_path == ("Returns and exchanges", "Return window")
    assert window.text.startswith("Short intro.")
    assert exceptions.heading_path == ("Returns and exchanges", "Return window", "Exceptions")
    assert "Return window" in exceptions.indexed_text


def test_editing_one_section_changes_only_its_hash() -> None:
    before = {p.id: p.content_hash for p in split_document(DOC, "r.md")}
    after = {p.id: p.content_hash for p in split_document(DOC.replace("Two.", "Three."), "r.md")}
    assert [pid for pid in before if before[pid] != after[pid]] == ["r.md#faq-1"]


def test_slugify_follows_github_anchors() -> None:
    assert slugify("Refunds over $100") == "refunds-over-100"
    assert slugify("What's covered?") == "whats-covered"
    assert slugify("Envío y devolución") == "envío-y-devolución"


def test_plain_text_is_one_passage_titled_by_file_name() -> None:
    (passage,) = split_document("Store hours are 9 to 6.\n", "opening-hours.txt")
    assert passage.id == "opening-hours.txt#opening-hours"
    assert passage.title == "Opening hours"


def test_headings_inside_code_fences_do_not_split() -> None:
    text = "# T\n\n## A\n\n```\n# not a heading\n```\n"
    assert [p.id for p in split_document(text, "t.md")] == ["t.md#a"]


def test_long_sections_are_cut_at_paragraphs() -> None:
    body = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(12))
    ids = [p.id for p in split_document(f"# T\n\n## Long\n\n{body}", "t.md")]
    assert ids[0] == "t.md#long" and ids[1] == "t.md#long--part-2"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"   \n\n", "empty"),
        (b"caf\xe9 au lait", "not UTF-8"),
        (b"# Title only\n\n## Heading\n", "empty"),
    ],
)
def test_bad_files_raise_with_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(BadDocument, match=reason):
        load_passages(path, "bad.md")
