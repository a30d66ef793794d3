"""The composer says only what the facts say."""

import re

import pytest

from agent.composer import (
    Situation,
    TemplateComposer,
    condense,
    order_status_text,
    sentences_of,
)
from agent.refusals import explain_refusal
from knowledge.embeddings import encode
from tools.policy import StorePolicy

PASSAGE = (
    "## Return window\n"
    "Thanks for shopping with us. We love hearing from our customers. "
    "Unworn items can be returned within 45 days of delivery. "
    "Our warehouse is open on weekdays. "
    "Gift cards and final-sale items can't be returned."
)


def test_condensing_keeps_only_the_passages_own_sentences() -> None:
    for encoder in (None, encode):
        text = condense(PASSAGE, "how many days do I have to return something?", encoder)
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            assert sentence in sentences_of(PASSAGE)
        assert len(text) <= 420


def test_condensing_picks_the_sentence_that_answers() -> None:
    text = condense(PASSAGE, "how many days do I have to return something?", encode, limit=1)
    assert text == "Unworn items can be returned within 45 days of delivery."
    assert condense(PASSAGE, limit=1) == "Thanks for shopping with us."  # no encoder: first


def test_order_status_uses_only_the_orders_data() -> None:
    order = {
        "name": "#77",
        "cancelled_at": None,
        "fulfillment_status": "fulfilled",
        "shipments": [
            {
                "status": "in_transit",
                "carrier": "Canada Post",
                "tracking_number": "CP123",
                "tracking_url": "https://example.test/t/CP123",
                "delivered_at": None,
            },
        ],
    }
    text = order_status_text(order)
    assert "#77" in text and "Canada Post" in text and "CP123" in text
    assert "https://example.test/t/CP123" in text
    assert not re.search(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|tomorrow|today)\b", text)


def test_policy_numbers_come_from_the_store_policy() -> None:
    policy = StorePolicy.model_validate(
        {"returns": {"window_days": 14}, "store": {"name": "Tiny Shop"}}
    )
    order = {
        "name": "#5",
        "currency": "EUR",
        "cancelled_at": None,
        "fulfillment_status": "fulfilled",
        "shipments": [],
        "lines": [],
    }
    refusal = explain_refusal(
        "fulfillment_status_not_allowed", order=order, policy=policy, tool="cancel_order"
    )
    state = {
        "situation": "cancel_not_allowed",
        "message": {"channel": "chat", "text": "cancel it"},
        "order": order,
        "refusal": {"text": refusal.text, "sources": refusal.sources},
    }
    text = TemplateComposer().compose(state, policy).text
    assert "14 days" in text and "30" not in text
    greeting = (
        TemplateComposer()
        .compose({"situation": "greeting", "message": {"channel": "chat", "text": "hello"}}, policy)
        .text
    )
    assert "Tiny Shop" in greeting


def test_every_situation_has_a_template_and_a_misspelled_one_fails() -> None:
    composer = TemplateComposer()
    assert set(composer.templates()) == set(Situation)
    with pytest.raises(ValueError):
        composer.compose({"situation": "trak_order", "message": {"channel": "chat"}}, StorePolicy())


def test_several_questions_get_one_answer_each_with_its_own_source() -> None:
    shipping = {
        "id": "shipping.md#times",
        "heading": "Delivery times",
        "text": "Standard delivery takes 3 to 5 working days. Express arrives the next day.",
        "score": 0.7,
    }
    regions = {
        "id": "shipping.md#regions",
        "heading": "Where we ship",
        "text": "We ship to Canada, the United States and the EU.",
        "score": 0.6,
    }
    state = {
        "situation": "answer",
        "message": {"channel": "chat", "text": "how long does it take? where do you ship?"},
        "answers": [
            {"question": "how long does it take?", "answerable": True, "passages": [shipping]},
            {"question": "where do you ship?", "answerable": True, "passages": [regions]},
            {"question": "do you sell kayaks?", "answerable": False, "passages": [regions]},
        ],
    }
    draft = TemplateComposer().compose(state, StorePolicy())
    assert "3 to 5 working days" in draft.text and "Canada" in draft.text
    assert [s["id"] for s in draft.sources] == ["shipping.md#times", "shipping.md#regions"]
    assert "kayaks" in draft.text  # the open part is named, not guessed at


def test_questions_that_came_with_an_order_are_answered_after_it() -> None:
    returns = {
        "id": "returns.md#window",
        "heading": "Returns",
        "text": "You have 45 days from delivery to send items back. Return labels are free.",
        "score": 0.7,
    }
    order = {
        "name": "#77",
        "currency": "USD",
        "cancelled_at": None,
        "fulfillment_status": "unfulfilled",
        "shipments": [],
    }
    state = {
        "situation": "track_order",
        "message": {"channel": "email", "text": "where is #77? how long do I have to return?"},
        "order": order,
        "answers": [
            {
                "question": "how long do I have to return?",
                "answerable": True,
                "topic": "return_item",
                "passages": [returns],
            }
        ],
    }
    draft = TemplateComposer().compose(state, StorePolicy())
    assert draft.text.index("#77") < draft.text.index("45 days")
    assert [s["id"] for s in draft.sources] == ["returns.md#window"]
