"""Threadline as a Chatwoot Agent Bot, end to end against a local stand-in of Chatwoot.

Signed deliveries in (valid, invalid, missing, replayed; the channel off), the agent's reply out
through the outbox to Chatwoot's Application API; duplicates and malformed payloads; the
handoff (holding reply, private note with the escalation, `toggle_status` to `open`, in that
order); a person's reply taking the conversation for good; resolution; on the demo store and
on a second store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent.delivery.adapters import Window
from agent.delivery.chatwoot import ChatwootAdapter
from agent.proof import Sender, proven_fields
from api.channels.chatwoot import MessageEvent, channel_of, customer_fields
from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from evals.stores.second import write_second_store
from inbox.db import make_engine, upgrade
from inbox.models import (
    Author,
    Channel,
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationStatus,
    Event,
    Message,
    OutboxMessage,
    OutboxStatus,
)

from .chatwoot_standin import (
    ACCOUNT_ID,
    SECRET,
    TOKEN,
    Call,
    ChatwootStandin,
)
from .chatwoot_standin import Conversation as ChatwootConversation

T = TypeVar("T")
PATH = "/webhooks/chatwoot"
QUESTION = "Hi! How long do I have to return something?"
CHARGEBACK = "This is ridiculous. Fix it today or I will file a chargeback with my bank."


def chatwoot_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    return create_app(settings, engine)


@dataclass
class Bot:
    client: TestClient
    engine: Engine
    chatwoot: ChatwootStandin

    def deliver(self, payload: dict[str, Any] | bytes, **signing: Any) -> Response:
        body, headers = self.chatwoot.signed(payload, **signing)
        return self.client.post(PATH, content=body, headers=headers)

    def said(self, conversation: ChatwootConversation, n: int = 1) -> list[Call]:
        """The bot's first `n` public messages on the conversation, once they arrived."""
        return self.chatwoot.wait_for(
            lambda c: (
                c.conversation == conversation.id
                and c.endpoint == "messages"
                and not c.body.get("private")
            ),
            n=n,
        )

    def messages(self, external_id: str) -> list[Message]:
        with Session(self.engine) as session:
            return list(session.exec(select(Message).where(Message.external_id == external_id)))

    def case(self, conversation: ChatwootConversation) -> Conversation:
        thread = f"chatwoot:{ACCOUNT_ID}:{conversation.id}"
        with Session(self.engine) as session:
            message = session.exec(
                select(Message)
                .where(Message.thread_id == thread)
                .order_by(col(Message.sent_at).desc())
            ).first()
            assert message is not None, f"nothing recorded on {thread}"
            case = session.get(Conversation, message.conversation_id)
            assert case is not None
            return case


def wait_until(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def chatwoot() -> Iterator[ChatwootStandin]:
    stand_in = ChatwootStandin().start()
    yield stand_in
    stand_in.stop()


def bot_settings(tmp: Path, chatwoot: ChatwootStandin, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp}/db.sqlite",
        chatwoot_url=chatwoot.url,
        chatwoot_token=TOKEN,
        chatwoot_webhook_secret=SECRET,
        outbox_poll_seconds=0.05,
        outbox_backoff_seconds=0.05,
        **extra,
    )


@pytest.fixture(scope="module", params=["demo", "second"])
def bot(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    chatwoot: ChatwootStandin,
) -> Iterator[Bot]:
    tmp = tmp_path_factory.mktemp(f"chatwoot-{request.param}")
    store = DEMO_STORE_DIR if request.param == "demo" else write_second_store(tmp / "stores")
    settings = bot_settings(tmp, chatwoot, store_dir=store)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with TestClient(chatwoot_app(settings, engine)) as client:
        yield Bot(client, engine, chatwoot)
    engine.dispose()


# --- verification --------------------------------------------------------------------------


def test_the_channel_is_off_without_its_secret_token_or_url(
    tmp_path: Path, chatwoot: ChatwootStandin
) -> None:
    conversation = chatwoot.conversation()
    body, headers = chatwoot.signed(chatwoot.incoming(conversation, QUESTION))
    full = bot_settings(tmp_path, chatwoot)
    for off in (
        {"chatwoot_webhook_secret": None},
        {"chatwoot_token": None},
        {"chatwoot_url": None},
    ):
        settings = full.model_copy(update=off)
        with TestClient(chatwoot_app(settings)) as client:
            answer = client.post(PATH, content=body, headers=headers)
            assert answer.status_code == 404, off
            assert client.post(PATH, content=b"{}").status_code == 404


def test_unsigned_badly_signed_and_replayed_deliveries_are_refused(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    payload = bot.chatwoot.incoming(conversation, QUESTION)
    body, good = bot.chatwoot.signed(payload)
    now = int(time.time())
    tampered = body.replace(b"return", b"refund")
    window = 300  # the default `webhook_replay_seconds`
    refused: dict[str, tuple[bytes, dict[str, Any]]] = {
        "no headers": (body, {"Content-Type": "application/json"}),
        "no signature": (body, {k: v for k, v in good.items() if k != "X-Chatwoot-Signature"}),
        "no timestamp": (body, {k: v for k, v in good.items() if k != "X-Chatwoot-Timestamp"}),
        "another secret": bot.chatwoot.signed(payload, secret="not-the-bot-secret"),
        "the access token as secret": bot.chatwoot.signed(payload, secret=TOKEN),
        "tampered body": (tampered, good),
        "another timestamp": (body, {**good, "X-Chatwoot-Timestamp": str(now + 1)}),
        "replayed": bot.chatwoot.signed(payload, timestamp=now - window - 60),
        "from the future": bot.chatwoot.signed(payload, timestamp=now + window + 60),
        "bare hex": (body, {**good, "X-Chatwoot-Signature": good["X-Chatwoot-Signature"][7:]}),
        "non-ascii": (body, {**good, "X-Chatwoot-Signature": "sha256=é".encode("latin-1")}),
    }
    for name, (content, headers) in refused.items():
        answer = bot.client.post(PATH, content=content, headers=headers)
        assert answer.status_code == 401, name
        assert answer.json()["error"]["code"] == "unauthorized", name
    assert bot.messages(f"chatwoot:{payload['id']}") == []
    time.sleep(0.5)
    assert bot.chatwoot.calls_for(conversation) == []
    # The same delivery, signed and fresh, is taken.
    assert bot.client.post(PATH, content=body, headers=good).status_code == 200
    bot.said(conversation)


def test_malformed_payloads_are_4xx_and_record_nothing(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    payload = bot.chatwoot.incoming(conversation, QUESTION)
    broken: dict[str, dict[str, Any] | bytes] = {
        "not json": b"{event: message_created",
        "a list": json.dumps([payload]).encode(),
        "no event": {k: v for k, v in payload.items() if k != "event"},
        "event not a string": {**payload, "event": 7},
        "no conversation": {k: v for k, v in payload.items() if k != "conversation"},
        "no account": {k: v for k, v in payload.items() if k != "account"},
        "id not a number": {**payload, "id": "one"},
        "conversation id missing": {
            **payload,
            "conversation": {k: v for k, v in payload["conversation"].items() if k != "id"},
        },
        "message type missing": {k: v for k, v in payload.items() if k != "message_type"},
        "content not text": {**payload, "content": {"text": QUESTION}},
    }
    for name, document in broken.items():
        answer = bot.deliver(document)
        assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
    assert bot.messages(f"chatwoot:{payload['id']}") == []
    time.sleep(0.5)
    assert bot.chatwoot.calls_for(conversation) == []


def test_events_the_bot_does_not_handle_are_acknowledged(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    for event in ("webwidget_triggered", "message_updated", "conversation_typing_on"):
        answer = bot.deliver({"event": event, "id": conversation.id})
        assert answer.status_code == 200
        assert answer.json()["status"] == "ignored"


# --- answering --------------------------------------------------------------------------------


def test_a_pending_conversation_is_answered_through_the_application_api(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation(email="jordan@example.com")
    payload = bot.chatwoot.incoming(conversation, QUESTION)
    answer = bot.deliver(payload)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    [reply] = bot.said(conversation)
    assert reply.path == f"/api/v1/accounts/{ACCOUNT_ID}/conversations/{conversation.id}/messages"
    assert reply.headers.get("api_access_token") == TOKEN
    assert reply.body["message_type"] == "outgoing"
    assert reply.body["private"] is False
    assert reply.body["content"].strip()
    [inbound] = bot.messages(f"chatwoot:{payload['id']}")
    assert inbound.channel == Channel.chat
    assert inbound.thread_id == f"chatwoot:{ACCOUNT_ID}:{conversation.id}"

    def sent_row() -> OutboxMessage | None:
        with Session(bot.engine) as session:
            row = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.conversation_id == inbound.conversation_id
                )
            ).one()
        return row if row.status == OutboxStatus.sent else None

    row = wait_until(sent_row, "the outbox row marked sent")
    assert row.provider == "chatwoot"
    assert row.provider_message_id  # the id Chatwoot gave the message
    # Chatwoot tells the bot about the message it just created: that is not for the bot, even
    # when a person's token was configured instead of the bot's (the echo names a user).
    echo = bot.chatwoot.echo_of(reply)
    assert echo["id"] == int(row.provider_message_id)
    assert bot.deliver(echo).json()["reason"] == "not_for_the_bot"
    as_person = {**echo, "sender": {"id": 12, "name": "Sam Rivera", "type": "user"}}
    assert bot.deliver(as_person).json()["reason"] == "sent_by_threadline"
    assert bot.case(conversation).status == ConversationStatus.open
    time.sleep(0.5)
    assert len(bot.chatwoot.calls_for(conversation)) == 1


def test_a_redelivered_message_gets_one_reply(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    payload = bot.chatwoot.incoming(conversation, QUESTION)
    first = bot.deliver(payload)
    second = bot.deliver(payload)  # Chatwoot's retry: a fresh signature, the same message
    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "duplicate"
    bot.said(conversation)
    time.sleep(1.0)
    assert len(bot.chatwoot.calls_for(conversation)) == 1
    assert len(bot.messages(f"chatwoot:{payload['id']}")) == 1


def test_a_failing_chatwoot_is_retried_until_the_reply_is_posted(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    bot.chatwoot.fail_next(2)
    bot.deliver(bot.chatwoot.incoming(conversation, QUESTION))
    bot.said(conversation)
    statuses = [c.status for c in bot.chatwoot.calls_for(conversation)]
    assert statuses == [500, 500, 200]


def test_an_escalation_hands_the_conversation_over_with_a_private_note(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    bot.deliver(bot.chatwoot.incoming(conversation, CHARGEBACK))
    bot.chatwoot.wait_for(
        lambda c: c.conversation == conversation.id and c.endpoint == "toggle_status"
    )
    calls = [c for c in bot.chatwoot.calls_for(conversation) if c.status < 300]
    assert [(c.endpoint, c.body.get("private")) for c in calls] == [
        ("messages", False),  # the holding reply
        ("messages", True),  # the escalation packet's summary, for the team only
        ("toggle_status", None),
    ]
    holding, note, toggle = calls
    assert holding.body["content"].strip()
    assert "chargeback" in note.body["content"]
    assert toggle.body == {"status": "open"}
    assert conversation.status == "open"  # the stand-in's conversation, as Chatwoot holds it
    case = bot.case(conversation)
    assert case.status == ConversationStatus.escalated
    with Session(bot.engine) as session:
        escalation = session.exec(
            select(Escalation).where(Escalation.conversation_id == case.id)
        ).one()
    assert escalation.id in note.body["content"]
    # Chatwoot reports the handoff back; the customer writes on: recorded, never answered.
    opened = bot.deliver(bot.chatwoot.status_event(conversation, "conversation_opened"))
    assert opened.json()["status"] == "unchanged"
    later = bot.chatwoot.incoming(conversation, "Hello? Anyone there?")
    assert bot.deliver(later).json() == {
        "event": "message_created",
        "status": "recorded",
        "answered": False,
    }
    assert len(bot.messages(f"chatwoot:{later['id']}")) == 1
    time.sleep(1.0)
    assert len(bot.chatwoot.calls_for(conversation)) == 3


def test_a_persons_reply_takes_the_conversation_for_good(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    bot.deliver(bot.chatwoot.incoming(conversation, QUESTION))
    bot.said(conversation)
    reply = bot.chatwoot.person_replies(conversation, "Hi, Sam here, I'll take it from here.")
    taken = bot.deliver(reply)
    assert taken.json()["status"] == "recorded"
    [recorded] = bot.messages(f"chatwoot:{reply['id']}")
    assert recorded.author == Author.human
    assert recorded.meta["agent"]["name"] == "Sam Rivera"
    case = bot.case(conversation)
    assert case.status == ConversationStatus.escalated
    with Session(bot.engine) as session:
        kinds = session.exec(select(Event.kind).where(Event.conversation_id == case.id)).all()
    assert "human_took_over" in kinds
    assert bot.deliver(reply).json()["status"] == "duplicate"
    # Even while Chatwoot still shows the conversation as the bot's, the bot stays quiet.
    assert conversation.status == "pending"
    again = bot.chatwoot.incoming(conversation, "Thanks Sam! Also, do you ship to Canada?")
    assert bot.deliver(again).json()["answered"] is False
    note = bot.chatwoot.person_replies(conversation, "customer seems happy", private=True)
    assert bot.deliver(note).json()["status"] == "ignored"
    assert bot.messages(f"chatwoot:{note['id']}") == []
    time.sleep(1.0)
    assert len(bot.chatwoot.calls_for(conversation)) == 1
    with Session(bot.engine) as session:
        ai = session.exec(
            select(Message).where(Message.conversation_id == case.id, Message.author == Author.ai)
        ).all()
    assert len(ai) == 1  # the answer to the first message, nothing after


def test_a_conversation_a_person_opened_is_not_answered(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    bot.deliver(bot.chatwoot.incoming(conversation, QUESTION))
    bot.said(conversation)
    bot.chatwoot.set_status(conversation, "open")  # a person took it in the dashboard
    opened = bot.deliver(bot.chatwoot.status_event(conversation, "conversation_opened"))
    assert opened.json()["status"] == "done"
    assert bot.case(conversation).status == ConversationStatus.escalated
    nxt = bot.chatwoot.incoming(conversation, "And how do I track my order?")
    assert bot.deliver(nxt).json()["answered"] is False
    time.sleep(1.0)
    assert len(bot.chatwoot.calls_for(conversation)) == 1


def test_an_open_conversation_the_bot_never_held_is_only_recorded(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation(status="open")
    payload = bot.chatwoot.incoming(conversation, QUESTION)
    assert bot.deliver(payload).json()["answered"] is False
    assert len(bot.messages(f"chatwoot:{payload['id']}")) == 1
    time.sleep(1.0)
    assert bot.chatwoot.calls_for(conversation) == []


def test_resolving_in_chatwoot_resolves_the_case_and_its_escalation(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    bot.deliver(bot.chatwoot.incoming(conversation, CHARGEBACK))
    bot.chatwoot.wait_for(
        lambda c: c.conversation == conversation.id and c.endpoint == "toggle_status"
    )
    bot.chatwoot.set_status(conversation, "resolved")
    event = bot.chatwoot.status_event(conversation, "conversation_resolved")
    body, headers = bot.chatwoot.signed(event, delivery="resolve-delivery-1")
    done = bot.client.post(PATH, content=body, headers=headers)
    assert done.json()["status"] == "done"
    case = bot.case(conversation)
    assert case.status == ConversationStatus.resolved
    assert case.closed_at is not None
    with Session(bot.engine) as session:
        escalation = session.exec(
            select(Escalation).where(Escalation.conversation_id == case.id)
        ).one()
    assert escalation.status == EscalationStatus.resolved
    # Chatwoot's retry of the same delivery, and the status-changed event: nothing changes.
    body, headers = bot.chatwoot.signed(event, delivery="resolve-delivery-1")
    assert bot.client.post(PATH, content=body, headers=headers).json()["status"] == "duplicate"
    changed = bot.chatwoot.status_event(conversation, "conversation_status_changed")
    assert bot.deliver(changed).json()["status"] == "unchanged"
    assert bot.case(conversation).closed_at == case.closed_at


def test_a_status_change_to_open_marks_the_persons_case(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation()
    bot.deliver(bot.chatwoot.incoming(conversation, QUESTION))
    bot.said(conversation)
    bot.chatwoot.set_status(conversation, "open")
    changed = bot.deliver(bot.chatwoot.status_event(conversation, "conversation_status_changed"))
    assert changed.json()["status"] == "done"
    assert bot.case(conversation).status == ConversationStatus.escalated
    unknown = bot.chatwoot.conversation()
    assert bot.deliver(bot.chatwoot.status_event(unknown, "conversation_opened")).json() == {
        "event": "conversation_opened",
        "status": "ignored",
        "reason": "no_account",  # no message yet names the account: Threadline never saw it
    }


# --- channels and who the sender is -----------------------------------------------------------


def test_a_whatsapp_conversation_is_answered_and_its_phone_is_proven(bot: Bot) -> None:
    conversation = bot.chatwoot.conversation(
        channel="Channel::Whatsapp", phone_number="+15550142211", source_id="15550142211"
    )
    payload = bot.chatwoot.incoming(conversation, QUESTION)
    bot.deliver(payload)
    [reply] = bot.said(conversation)
    assert reply.body["content"].strip()
    [inbound] = bot.messages(f"chatwoot:{payload['id']}")
    assert inbound.channel == Channel.whatsapp


def fields_for(conversation: ChatwootConversation, chatwoot: ChatwootStandin) -> dict[str, Any]:
    payload = MessageEvent.model_validate(chatwoot.incoming(conversation, "hi"))
    channel = channel_of(payload.conversation)
    fields = customer_fields(channel, ACCOUNT_ID, payload.conversation, "US")
    sender = Sender(
        channel=channel.value,
        email=fields["email"],
        phone=fields["phone"],
        handle=fields["handle"],
        thread_id="t",
    )
    return {"channel": channel.value, **fields, "proven": proven_fields(sender)}


def test_only_what_the_channel_proves_is_proven(chatwoot: ChatwootStandin) -> None:
    widget = chatwoot.conversation(
        email="claimed@example.com", identifier="shop-user-9", source_id="visitor-uuid-1"
    )
    seen = fields_for(widget, chatwoot)
    assert seen["channel"] == "chat"
    assert seen["handle"] == f"chatwoot:{ACCOUNT_ID}:40:visitor-uuid-1"  # the browser
    assert seen["proven"] == {"handle"}  # the typed-in email stays a claim
    validated = chatwoot.conversation(identifier="shop-user-9", hmac_verified=True)
    assert fields_for(validated, chatwoot)["handle"] == f"chatwoot:{ACCOUNT_ID}:user:shop-user-9"
    email = chatwoot.conversation(channel="Channel::Email", email="Pat@Example.com")
    assert fields_for(email, chatwoot)["proven"] == {"email"}
    twilio_wa = chatwoot.conversation(
        channel="Channel::TwilioSms", source_id="whatsapp:+15550199999"
    )
    seen = fields_for(twilio_wa, chatwoot)
    assert (seen["channel"], seen["phone"], seen["proven"]) == (
        "whatsapp",
        "+15550199999",
        {"phone"},
    )
    sms = chatwoot.conversation(channel="Channel::Sms", phone_number="+15550123456")
    assert fields_for(sms, chatwoot)["proven"] == {"phone"}
    instagram = chatwoot.conversation(channel="Channel::Instagram", source_id="17841400000001")
    seen = fields_for(instagram, chatwoot)
    assert (seen["channel"], seen["handle"], seen["proven"]) == (
        "instagram",
        "17841400000001",
        {"handle"},
    )
    via_page = chatwoot.conversation(
        channel="Channel::FacebookPage",
        source_id="17841400000002",
        additional_attributes={"type": "instagram_direct_message"},
    )
    assert fields_for(via_page, chatwoot)["channel"] == "instagram"
    messenger = chatwoot.conversation(channel="Channel::FacebookPage", source_id="PSID-1")
    assert fields_for(messenger, chatwoot)["channel"] == "messenger"
    broken = chatwoot.conversation(email="not an email", phone_number="12")
    seen = fields_for(broken, chatwoot)
    assert (seen["email"], seen["phone"]) == (None, None)  # left out, not refused


# --- the adapter on its own -------------------------------------------------------------------


def test_the_adapter_classifies_chatwoots_answers(chatwoot: ChatwootStandin) -> None:
    conversation = chatwoot.conversation()
    meta = {"account_id": ACCOUNT_ID, "conversation_id": conversation.id}

    def row(purpose: str = "reply", **extra: Any) -> OutboxMessage:
        return OutboxMessage(
            channel=Channel.chat,
            provider="chatwoot",
            recipient=str(conversation.id),
            purpose=purpose,
            body="Hello from the bot",
            meta={**meta, **extra},
        )

    window = Window(last_inbound_age_seconds=1.0)
    with httpx.Client(timeout=5) as client:
        adapter = ChatwootAdapter(client, chatwoot.url + "/", TOKEN)
        sent = adapter.send(row(), window)
        assert sent.ok and sent.provider_message_id
        assert adapter.send(row("handoff", action="note"), window).ok
        assert adapter.send(row("handoff", action="open"), window).ok
        assert conversation.status == "open"
        chatwoot.fail_next(1, 503)
        assert adapter.send(row(), window).retry
        chatwoot.fail_next(1, 429)
        assert adapter.send(row(), window).retry
        refused = ChatwootAdapter(client, chatwoot.url, "wrong-token").send(row(), window)
        assert not refused.ok and not refused.retry  # 401: dead, not retried
        gone = adapter.send(row(conversation_id=99999), window)
        assert not gone.ok and not gone.retry
        assert not adapter.send(row(conversation_id=None), window).ok
        assert not adapter.send(row("handoff", action="assign"), window).ok
        assert not adapter.send(row("handoff"), window).ok  # never a public message
    calls = chatwoot.calls_for(conversation)
    assert [c.body.get("private") for c in calls[:2]] == [False, True]
    assert calls[2].path.endswith("/toggle_status")
