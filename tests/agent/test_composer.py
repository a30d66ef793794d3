"""The composer says only what the facts say."""

import re

from agent.composer import TemplateComposer, condense, order_status_text, sentences_of
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
    state = {
        "situation": "cancel_not_allowed",
        "message": {"channel": "chat", "text": "cancel it"},
        "order": {
            "name": "#5",
            "cancelled_at": None,
            "fulfillment_status": "fulfilled",
            "shipments": [],
        },
    }
    text = TemplateComposer().compose(state, policy).text
    assert "14 days" in text and "30" not in text
    greeting = (
        TemplateComposer()
        .compose({"situation": "greeting", "message": {"channel": "chat", "text": "hello"}}, policy)
        .text
    )
    assert "Tiny Shop" in greeting
