"""The identity contract of POST /v1/messages (DESIGN.md §3.3): any identifier on any channel.

No identifier is mandatory on any channel; a message needs one identifier or a `thread_id`. The
channel's own sender is proven, `customer.verified` adds what the helpdesk vouches for, and
everything else is a claim.
"""

from __future__ import annotations

import pytest

from agent.proof import InvalidSender, Sender, sender_identity
from tests.agent.conftest import AgentApi
from tests.agent.demo import cancellable, is_open, owner_email, pick


def _kinds(sender: Sender) -> dict[str, bool]:
    return {f"{c.kind.value}:{c.value}": c.verified for c in sender_identity(sender, "US").claims}


def test_the_channels_own_sender_is_proven_and_the_rest_claimed() -> None:
    assert _kinds(Sender("email", email="A@X.io", phone="+14155550100")) == {
        "email:a@x.io": True,
        "phone:+14155550100": False,
    }
    assert _kinds(Sender("sms", email="a@x.io", phone="(415) 555-0100")) == {
        "email:a@x.io": False,
        "phone:+14155550100": True,
    }
    assert _kinds(Sender("whatsapp", phone="+14155550100"))["whatsapp:+14155550100"] is True
    assert _kinds(Sender("instagram", handle="@Trail.Maya")) == {"instagram:trail.maya": True}


def test_chat_with_only_an_email_is_a_claim_with_its_own_session_key() -> None:
    identity = sender_identity(Sender("chat", email="a@x.io"), "US")
    assert identity.claimed == {"email": "a@x.io"}
    assert identity.session_key == "claim:chat:email:a@x.io"
    assert not any(c.verified for c in identity.claims if c.kind.value == "email")


def test_the_helpdesk_may_vouch_for_identifiers() -> None:
    vouched = sender_identity(Sender("chat", email="a@x.io", verified=("email",)), "US")
    assert vouched.claimed == {} and vouched.session_key is None
    assert [(c.kind.value, c.verified) for c in vouched.claims] == [("email", True)]


def test_a_thread_alone_is_an_anonymous_session() -> None:
    assert sender_identity(Sender("chat", thread_id="t-9"), "US").session_key == "t-9"
    assert sender_identity(Sender("email", thread_id="t-9"), "US").session_key == "thread:email:t-9"


@pytest.mark.parametrize(
    "sender",
    [
        Sender("chat"),
        Sender("email", verified=("email",)),
        Sender("chat", email="a@x.io", verified=("phone",)),
        Sender("chat", email="a@x.io", verified=("shopify",)),
        Sender("sms", phone="not a phone"),
    ],
)
def test_bad_senders_are_refused_with_a_reason(sender: Sender) -> None:
    with pytest.raises(InvalidSender):
        sender_identity(sender, "US")


def _post(api: AgentApi, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    response = api.client.post("/v1/messages", json=body, headers=api.headers)
    return response.status_code, dict(response.json())


def test_every_channel_accepts_any_identifier_or_a_thread(agent_api: AgentApi) -> None:
    channels = ["chat", "email", "instagram", "messenger", "sms", "whatsapp", "voice"]
    for index, channel in enumerate(channels):
        for customer, thread in (
            ({"email": f"shopper{index}@example.org"}, None),
            ({"phone": f"+1415555{index:04d}"}, None),
            ({"handle": f"h-{channel}"}, None),
            ({}, f"thread-{channel}"),
        ):
            body: dict[str, object] = {
                "channel": channel,
                "external_id": f"contract-{channel}-{len(str(customer))}-{thread}",
                "customer": customer,
                "text": "what's your return policy?",
            }
            if thread:
                body["thread_id"] = thread
            status, reply = _post(agent_api, body)
            assert status == 200, (channel, customer, reply)
    status, error = _post(
        agent_api, {"channel": "chat", "external_id": "contract-none", "text": "hello"}
    )
    assert status == 422 and error["error"]["code"] == "invalid_sender"  # type: ignore[index]
    status, error = _post(
        agent_api,
        {
            "channel": "chat",
            "external_id": "contract-bad-vouch",
            "customer": {"handle": "v", "verified": ["email"]},
            "text": "hello",
        },
    )
    assert status == 422


def test_chat_with_only_an_email_keeps_its_session(agent_api: AgentApi) -> None:
    first = agent_api.send("chat", "hello there", email="pre-chat-form@example.org")
    second = agent_api.send("chat", "thanks!", email="pre-chat-form@example.org")
    assert first["customer_id"] == second["customer_id"]


def test_a_vouched_email_opens_the_shoppers_own_orders(agent_api: AgentApi) -> None:
    order = pick(lambda o: is_open(o) and cancellable(o), agent_api.used)
    email = owner_email(order)
    assert email
    # Only claimed: without an order number nothing is looked up for that email.
    claimed = agent_api.send("chat", "where is my order?", email=email)
    assert order["name"] not in claimed["reply"]["text"]
    assert claimed["actions"] == []
    # Vouched for by the helpdesk: the shopper's orders are theirs to read.
    body = {
        "channel": "chat",
        "external_id": "vouched-1",
        "customer": {"email": email, "verified": ["email"]},
        "text": "where is my order?",
    }
    status, vouched = _post(agent_api, body)
    assert status == 200
    assert order["name"] in vouched["reply"]["text"]  # type: ignore[index]
