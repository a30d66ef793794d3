"""Every ask of a message answered, through the app on the demo store (the second store's suite
asks the same in other words: tests/agent/test_second_store.py)."""

from __future__ import annotations

from tests.agent.conftest import AgentApi
from tests.agent.demo import is_open, owner_email, pick, shipments


def _ids(body: dict) -> list[str]:
    return [s["id"] for s in body["sources"]]


def test_two_questions_in_one_chat_message_get_two_answers(agent_api: AgentApi) -> None:
    body = agent_api.send(
        "chat",
        "What are the return shipping costs? And which items are final sale?",
        handle="every-ask-1",
    )
    assert body["outcome"] == "replied"
    assert len(body["asks"]) == 2
    assert all(a["act"] == "question" for a in body["asks"])
    assert len(set(_ids(body))) == 2, body


def test_a_policy_question_naming_an_action_gets_the_window(agent_api: AgentApi) -> None:
    body = agent_api.send(
        "chat",
        "if the jacket doesn't fit, can I send it back? how long would I have?",
        handle="every-ask-2",
    )
    assert body["actions"] == [] and "YES" not in body["reply"]["text"]
    assert "30 days" in body["reply"]["text"], body["reply"]["text"]
    assert any(i.startswith("returns-and-exchanges.md") for i in _ids(body))


def test_questions_inside_an_order_email_are_answered_after_the_order(agent_api: AgentApi) -> None:
    order = pick(lambda o: "in_transit" in shipments(o) and bool(owner_email(o)), agent_api.used)
    body = agent_api.send(
        "email",
        f"Hi,\n\nCould you tell me where order {order['name']} is right now?\n\n"
        "Also, if it doesn't fit, how many days would I have to return it?\n\nThanks,\nSam",
        email=owner_email(order),
    )
    text = body["reply"]["text"]
    assert order["name"] in text
    assert "30 days" in text, text
    assert text.index(order["name"]) < text.index("30 days")
    assert any(i.startswith("returns-and-exchanges.md") for i in _ids(body))


def test_opening_hours_are_in_scope_when_the_knowledge_says_so(agent_api: AgentApi) -> None:
    body = agent_api.send("chat", "what are your customer service hours?", handle="every-ask-3")
    assert body["outcome"] == "replied"
    assert body["intent"]["name"] != "out_of_scope"
    assert any(i.startswith("contact.md") for i in _ids(body)), body


def test_a_persons_case_keeps_to_its_matter(agent_api: AgentApi) -> None:
    order = pick(lambda o: is_open(o) and bool(owner_email(o)), agent_api.used)
    email = owner_email(order)
    first = agent_api.send("email", "I want to speak to a manager right now", email=email)
    assert first["outcome"] == "escalated"
    again = agent_api.send("email", "hello? anyone?", email=email)
    assert again["outcome"] == "escalated"  # a person was asked for: everything goes to them
    assert again["conversation_id"] == first["conversation_id"]


def test_a_short_second_question_with_its_own_topic_gets_its_own_answer(
    agent_api: AgentApi,
) -> None:
    body = agent_api.send(
        "chat", "how long does shipping take, and do you ship to Canada?", handle="every-ask-4"
    )
    assert len(body["asks"]) == 2
    ids = _ids(body)
    assert len(set(ids)) == 2, ids
    assert any(i.startswith("international-shipping.md") for i in ids), ids
