"""A store that words its knowledge unlike the demo store: headings that don't name the detail a
customer asks about, bodies that use other words. Run through the real Chroma collections."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.passages import split_document, split_sentences

pytestmark = pytest.mark.slow

DOCS = {
    "vouchers.md": """\
# Vouchers

## Ordering a voucher

Spoke & Chain vouchers come in $25, $50 and $100 values and arrive by email a few minutes after \
payment, so there is no postage to wait for. They can be spent on bikes, parts and servicing, in \
the workshop or online, and remain valid for three years.

## Voucher balance

Enter the voucher code at checkout to see how much is left on it. Vouchers can't be swapped for \
cash and can't be refunded.
""",
    "bringing-it-back.md": """\
# Bringing a bike back

## Time you have

Not what you hoped for? We take back any bike or part bought from Spoke & Chain within 21 days \
of delivery, as long as it has not been ridden outdoors. The courier's delivery date starts the \
count.

## Getting the money

Once a returned bike reaches the workshop we inspect it within three business days and pay the \
money back the way you paid. Card refunds take up to a week to appear on your statement.
""",
    "workshop.md": """\
# The workshop

## Opening times

The mechanics are in Tuesday to Saturday, 8am\u20135pm. We are shut on Sundays, Mondays and public \
holidays; messages left then are answered the next day we are open.

## Booking a service

Book a service slot online or by phone. A basic tune-up costs $60 and takes one working day.
""",
}


@pytest.fixture(scope="module")
def knowledge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bike-shop") / "knowledge"
    directory.mkdir()
    for name, text in DOCS.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def bike_kb(tmp_path_factory: pytest.TempPathFactory, knowledge_dir: Path) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("bike-index"), collection="kb-bikes")
    assert not kb.ingest(knowledge_dir).skipped
    return kb


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # The validity is one clause of a section about buying; the balance section says more
        # about vouchers in general.
        ("do vouchers expire?", "vouchers.md#ordering-a-voucher"),
        ("how long is a voucher good for", "vouchers.md#ordering-a-voucher"),
        # The refund section also speaks of returned bikes and days; the window is the answer.
        ("how many days do I have to return a bike?", "bringing-it-back.md#time-you-have"),
        ("is there a deadline for sending a bike back", "bringing-it-back.md#time-you-have"),
        ("are you around on mondays?", "workshop.md#opening-times"),
    ],
)
def test_the_detail_is_found_under_a_heading_that_does_not_name_it(
    bike_kb: KnowledgeBase, question: str, expected: str
) -> None:
    result = bike_kb.search(question, k=3)
    assert result.ids[0] == expected, (question, result.ids)
    assert result.answerable, (question, result.confidence)


def test_a_short_question_is_confident_thanks_to_the_matching_sentence(
    bike_kb: KnowledgeBase,
) -> None:
    """Against the whole passage alone this question scores under the threshold."""
    question = "are you around on mondays?"
    passage_only = KnowledgeBase(bike_kb.store, passage_weight=1.0).search(question)
    blended = bike_kb.search(question)
    assert blended.confidence > passage_only.confidence
    assert blended.answerable


@pytest.mark.parametrize("question", ["who won the football last night", "capital of peru?"])
def test_unrelated_questions_stay_unanswerable(bike_kb: KnowledgeBase, question: str) -> None:
    assert not bike_kb.search(question).answerable


def test_every_sentence_is_stored_with_its_passage(
    bike_kb: KnowledgeBase, knowledge_dir: Path
) -> None:
    stored = bike_kb.store.sentences.get(include=["metadatas", "documents"])
    owners = {str(meta["passage_id"]) for meta in stored["metadatas"] or []}
    passages = [p for name, text in DOCS.items() for p in split_document(text, name)]
    assert owners == {p.id for p in passages}
    assert len(stored["ids"]) == sum(len(p.sentence_texts) for p in passages)
    assert "Opening times: We are shut on Sundays, Mondays and public holidays; messages left " in (
        " ".join(stored["documents"] or [])
    )


def test_sentences_follow_their_file_through_edits_and_deletes(tmp_path: Path) -> None:
    docs = tmp_path / "knowledge"
    docs.mkdir()
    (docs / "workshop.md").write_text(DOCS["workshop.md"], encoding="utf-8")
    (docs / "vouchers.md").write_text(DOCS["vouchers.md"], encoding="utf-8")
    kb = KnowledgeBase.open(tmp_path / "data", collection="kb-edits")
    kb.ingest(docs)
    (docs / "workshop.md").write_text(
        "# The workshop\n\n## Opening times\n\nOpen every day from 7am to 9pm.\n", encoding="utf-8"
    )
    (docs / "vouchers.md").unlink()
    kb.ingest(docs)
    stored = kb.store.sentences.get(include=["metadatas", "documents"])
    assert stored["documents"] == ["Opening times: Open every day from 7am to 9pm."]
    assert {str(m["source"]) for m in stored["metadatas"] or []} == {"workshop.md"}


def test_filters_apply_to_the_sentence_matches(bike_kb: KnowledgeBase) -> None:
    result = bike_kb.search("do vouchers expire?", k=3, filters={"source": "workshop.md"})
    assert result.passages and {p.source for p in result.passages} == {"workshop.md"}


def test_sentences_are_split_without_markdown() -> None:
    text = "- **Standard**: $6.95, free over $75.\n- Express: $15.\n\nWe ship daily. Yes."
    assert split_sentences(text) == [
        "Standard: $6.95, free over $75.",
        "Express: $15.",
        "We ship daily.",
    ]
