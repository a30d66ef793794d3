"""The agent on a store written here, not the demo: other names, numbers, currency and rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.agent.conftest import AgentApi, make_agent_api
from tests.tools.test_tiny_store import write_tiny_store

POLICY = """\
store: {name: Tiny Shop, currency: EUR, timezone: Europe/Berlin, support_email: hi@tiny.example}
returns: {window_days: 14, exclude_tags: [final-sale]}
refunds: {auto_approve_limit: 30}
channels:
  email: {stage: autonomous, sample_rate: 0}
  sms: {stage: autonomous, sample_rate: 0}
  chat: {stage: autonomous, sample_rate: 0}
"""
FAQ = """\
# Tiny Shop help

## Returns
You can send items back within 14 days of delivery for a refund. Mystery boxes are final sale
and cannot be returned. Print the label from your order email and drop the parcel at any post
office.

## Shipping
We ship from Leeds to the UK and the EU. Orders leave within two working days and arrive in
three to five working days.
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentApi]:
    root = tmp_path_factory.mktemp("unseen")
    store = write_tiny_store(root).parent
    (store / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (store / "knowledge").mkdir()
    (store / "knowledge" / "help.md").write_text(FAQ, encoding="utf-8")
    yield from make_agent_api(root / "data", store_dir=store, today=date(2025, 3, 10))


def test_greets_as_that_store(tiny: AgentApi) -> None:
    body = tiny.send("chat", "hello!", handle="t-1")
    assert "Tiny Shop" in body["reply"]["text"]


def test_answers_from_that_stores_knowledge(tiny: AgentApi) -> None:
    body = tiny.send("chat", "how long do i have to send something back?", handle="t-2")
    assert body["sources"][0]["id"] == "help.md#returns"
    assert "14 days" in body["reply"]["text"]


def test_tracks_the_only_open_order_by_phone(tiny: AgentApi) -> None:
    body = tiny.send("sms", "hi where is my order", phone="+44 7700 900123")
    assert "#T2" in body["reply"]["text"]
    assert "hasn't shipped" in body["reply"]["text"]


def test_returns_follow_that_stores_window_and_exclusions(tiny: AgentApi) -> None:
    ask = tiny.send("email", "I'd like to return order #T1 please", email="ana@tiny.example")
    assert "14-day return window" in ask["reply"]["text"]
    assert "Canvas Cap" in ask["reply"]["text"] and "Mystery Box" not in ask["reply"]["text"]
    done = tiny.send("email", "Yes", email="ana@tiny.example")
    assert [(a["tool"], a["status"]) for a in done["actions"]] == [("create_return", "done")]
    old = tiny.send("email", "and can I return #T3 too?", email="ana@tiny.example")
    assert "14-day return window" in old["reply"]["text"]
    assert [(a["tool"], a["status"]) for a in old["actions"]] == [("create_return", "refused")]
