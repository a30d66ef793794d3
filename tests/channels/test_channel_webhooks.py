"""Native channel webhooks end to end: a signed provider delivery in, the agent's reply out
through the outbox to a local stand-in of the provider's API; signatures valid, invalid,
missing and replayed; duplicates; malformed payloads; STOP/START/HELP; voice TwiML; the
outbox's retries, backoff and `dead`; on the demo store and on a second store."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from itertools import count, pairwise
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml
from sqlalchemy import text
from sqlmodel import Session, col, func, select
from twilio.request_validator import RequestValidator

from agent.delivery.adapters import Sent, WhatsAppAdapter, Window
from agent.delivery.worker import OutboxWorker
from agent.escalation_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from api.settings import DEMO_STORE_DIR
from evals.stores.second import CUSTOMERS as SECOND_CUSTOMERS
from evals.stores.second import STORE_NAME as SECOND_NAME
from evals.stores.second import write_second_store
from inbox.db import make_engine, upgrade
from inbox.models import (
    ChannelConsent,
    ConsentState,
    Direction,
    Message,
    OutboxMessage,
    OutboxStatus,
    utcnow,
)
from inbox.outbox import AFTER
from tests.agent.conftest import AgentApi, make_agent_api
from tests.channels.providers import TWILIO_SID, TWILIO_TOKEN, Call, Providers, settings_for

EMAIL_SECRET = "email-webhook-secret"
META_SECRET = "meta-app-secret"
VERIFY = "meta-verify-token"
WA_SECRET = "whatsapp-app-secret"
OUR_NUMBER = "+15550001111"
_n = count(1)


def autonomous_copy(source: Path, target: Path) -> Path:
    """A copy of a store whose every channel answers at once (no review hold, no sample)."""
    shutil.copytree(source, target)
    policy = yaml.safe_load((target / "policy.yaml").read_text()) or {}
    policy["channels"] = {
        name: {"stage": "autonomous", "sample_rate": 0.0}
        for name in ("chat", "email", "sms", "whatsapp", "instagram", "messenger", "voice")
    }
    (target / "policy.yaml").write_text(yaml.safe_dump(policy))
    return target


@pytest.fixture(scope="module")
def providers() -> Iterator[Providers]:
    stand_in = Providers().start()
    yield stand_in
    stand_in.stop()


def channel_settings(providers: Providers) -> dict[str, Any]:
    return {
        **settings_for(providers.url),
        "email_webhook_secret": EMAIL_SECRET,
        "meta_app_secret": META_SECRET,
        "meta_verify_token": VERIFY,
        "whatsapp_app_secret": WA_SECRET,
        "whatsapp_phone_number_id": "1098765",
        "twilio_from_number": OUR_NUMBER,
    }


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, providers: Providers) -> Iterator[AgentApi]:
    root = tmp_path_factory.mktemp("channels")
    store = autonomous_copy(DEMO_STORE_DIR, root / "store")
    yield from make_agent_api(root, store, **channel_settings(providers))


def engine_of(api: AgentApi) -> Any:
    return api.client.app.state.engine  # type: ignore[attr-defined]


def count_messages(api: AgentApi) -> int:
    with Session(engine_of(api)) as session:
        return int(session.exec(select(func.count()).select_from(Message)).one())


def outbox_rows(api: AgentApi, **where: Any) -> list[OutboxMessage]:
    with Session(engine_of(api)) as session:
        query = select(OutboxMessage)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.exec(query.order_by(col(OutboxMessage.created_at))).all())


# --- signing as each provider does -------------------------------------------------------------


def email_post(
    api: AgentApi, body: bytes, *, kind: str = "message/rfc822", at: int | None = None, **h: str
) -> Any:
    stamp = str(at if at is not None else int(time.time()))
    headers = {
        "Content-Type": kind,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(EMAIL_SECRET, stamp, body),
        **h,
    }
    return api.client.post("/webhooks/email", content=body, headers=headers)


def hub(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def meta_post(
    api: AgentApi, path: str, payload: Any, secret: str, signature: str | None = ""
) -> Any:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature or hub(secret, body)
    return api.client.post(path, content=body, headers=headers)


def twilio_post(api: AgentApi, path: str, form: dict[str, str], signature: str | None = "") -> Any:
    url = f"http://testserver{path}"
    headers = {}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature or RequestValidator(
            TWILIO_TOKEN
        ).compute_signature(url, form)
    return api.client.post(path, data=form, headers=headers)


def mail(
    sender: str,
    text: str,
    *,
    subject: str = "Question",
    reply_to: str | None = None,
    references: tuple[str, ...] = (),
) -> tuple[bytes, str]:
    message = EmailMessage()
    message["From"] = f"Robin Quill <{sender}>"
    message["To"] = "help@store.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message_id = make_msgid(domain="mail.example.net")
    message["Message-ID"] = message_id
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = " ".join([*references, reply_to])
    message.set_content(text)
    return bytes(message), message_id


def sms_form(phone: str, text: str) -> dict[str, str]:
    return {
        "MessageSid": f"SM{next(_n):032d}",
        "AccountSid": TWILIO_SID,
        "From": phone,
        "To": OUR_NUMBER,
        "Body": text,
        "NumMedia": "0",
    }


def messenger_event(psid: str, text: str, *, age_seconds: float = 0, kind: str = "page") -> Any:
    millis = int((time.time() - age_seconds) * 1000)
    return {
        "object": kind,
        "entry": [
            {
                "id": "PAGE1",
                "time": millis,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": "PAGE1"},
                        "timestamp": millis,
                        "message": {"mid": f"m_{next(_n)}", "text": text},
                    }
                ],
            }
        ],
    }


def whatsapp_event(phone_digits: str, text: str, *, message_id: str | None = None) -> Any:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": "1098765",
                            },
                            "contacts": [{"profile": {"name": "Sam Reed"}, "wa_id": phone_digits}],
                            "messages": [
                                {
                                    "from": phone_digits,
                                    "id": message_id or f"wamid.{next(_n)}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def to(path_end: str, recipient: str | None = None) -> Any:
    def matches(call: Call) -> bool:
        if not call.path.endswith(path_end) or call.status >= 300:
            return False
        if recipient is None:
            return True
        body = call.body
        found = body.get("To") or body.get("to") or (body.get("recipient") or {}).get("id")
        return str(found).lstrip("+") == recipient.lstrip("+")

    return matches


# --- email -------------------------------------------------------------------------------------


def test_email_reply_goes_out_threaded_and_the_next_mail_continues_the_session(
    api: AgentApi, providers: Providers
) -> None:
    raw, first_id = mail("robin.quill@mail.example.net", "How long do I have to return an item?")
    answer = email_post(api, raw)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    [sent] = providers.wait_for(to("/email", "robin.quill@mail.example.net"))
    assert sent.body["Subject"] == "Re: Question"
    headers = {h["Name"]: h["Value"] for h in sent.body["Headers"]}
    assert headers["In-Reply-To"] == first_id
    assert first_id in headers["References"].split()
    assert "return" in sent.body["TextBody"].lower()
    [row] = outbox_rows(api, recipient="robin.quill@mail.example.net")
    assert row.status == OutboxStatus.sent and row.provider == "email"

    raw2, _ = mail(
        "robin.quill@mail.example.net",
        "Thanks. And do you ship to Canada?\n\nOn Tue, Robin wrote:\n> How long do I have",
        subject="Re: Question",
        reply_to=headers["Message-ID"],
        references=(first_id,),
    )
    assert email_post(api, raw2).json()["status"] == "accepted"
    providers.wait_for(to("/email", "robin.quill@mail.example.net"), n=2)
    with Session(engine_of(api)) as session:
        inbound = session.exec(
            select(Message)
            .where(Message.channel == "email", Message.direction == Direction.inbound)
            .where(col(Message.text).contains("Canada") | col(Message.text).contains("return"))
        ).all()
    assert len({m.conversation_id for m in inbound}) == 1
    assert len({m.thread_id for m in inbound}) == 1
    assert all("How long do I have" not in m.text for m in inbound if "Canada" in m.text)


def test_email_signatures_replays_duplicates_and_malformed_mail_record_nothing(
    api: AgentApi,
) -> None:
    raw, _ = mail("sig.check@mail.example.net", "Where is my parcel?")
    before = count_messages(api)
    stamp = str(int(time.time()))
    wrong = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign("another-secret", stamp, raw)}
    for headers in (wrong, {}, {TIMESTAMP_HEADER: stamp}):
        refused = api.client.post(
            "/webhooks/email", content=raw, headers={"Content-Type": "message/rfc822", **headers}
        )
        assert refused.status_code == 401, refused.text
    old = email_post(api, raw, at=int(time.time()) - 3600)  # a captured delivery, replayed
    assert old.status_code == 401 and "replay" in old.json()["error"]["message"]
    no_sender = b"Subject: hi\r\nMessage-ID: <x1@y>\r\n\r\nhello there\r\n"
    assert email_post(api, no_sender).status_code == 422
    assert email_post(api, b"{not json", kind="application/json").status_code == 400
    assert count_messages(api) == before

    assert email_post(api, raw).json()["status"] == "accepted"
    assert email_post(api, raw).json()["status"] == "duplicate"
    assert count_messages(api) >= before + 1
    with Session(engine_of(api)) as session:
        copies = session.exec(
            select(func.count()).select_from(Message).where(Message.text == "Where is my parcel?")
        ).one()
    assert copies == 1


def test_an_auto_reply_is_never_answered(api: AgentApi) -> None:
    raw, _ = mail("away@mail.example.net", "I am out of the office until Monday.")
    auto = raw.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1)
    before = count_messages(api)
    assert email_post(api, auto).json()["status"] == "ignored"
    assert count_messages(api) == before


def test_the_json_inbound_form_is_taken_like_a_raw_message(
    api: AgentApi, providers: Providers
) -> None:
    form = {
        "From": "json.sender@mail.example.net",
        "FromName": "Jo Sender",
        "To": "help@store.example",
        "Subject": "Gift cards",
        "TextBody": "Do your gift cards expire?",
        "Headers": [{"Name": "Message-ID", "Value": "<json-1@mail.example.net>"}],
    }
    body = json.dumps(form).encode()
    answer = email_post(api, body, kind="application/json")
    assert answer.json()["status"] == "accepted", answer.text
    [sent] = providers.wait_for(to("/email", "json.sender@mail.example.net"))
    assert sent.body["Subject"] == "Re: Gift cards"


# --- Meta --------------------------------------------------------------------------------------


def test_meta_verification_challenge(api: AgentApi) -> None:
    ok = api.client.get(
        "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "c123"},
    )
    assert ok.status_code == 200 and ok.text == "c123"
    wrong = api.client.get(
        "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "c123"},
    )
    assert wrong.status_code == 403
    wa = api.client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "w9"},
    )
    assert wa.text == "w9"


def test_messenger_and_instagram_messages_are_answered_through_the_send_api(
    api: AgentApi, providers: Providers
) -> None:
    answer = meta_post(
        api,
        "/webhooks/meta",
        messenger_event("PSID-7001", "What are your shipping options?"),
        META_SECRET,
    )
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
    [sent] = providers.wait_for(to("/me/messages", "PSID-7001"))
    assert sent.body["messaging_type"] == "RESPONSE" and sent.body["message"]["text"]
    assert "**" not in sent.body["message"]["text"]

    insta = messenger_event("IGSID-42", "Do you have a size guide?", kind="instagram")
    assert meta_post(api, "/webhooks/meta", insta, META_SECRET).json()["accepted"] == 1
    [reply] = providers.wait_for(to("/me/messages", "IGSID-42"))
    assert len(reply.body["message"]["text"]) <= 1000
    with Session(engine_of(api)) as session:
        channels = set(
            session.exec(
                select(Message.channel).where(col(Message.text) == "Do you have a size guide?")
            ).all()
        )
    assert channels == {"instagram"}


def test_meta_signatures_replays_duplicates_and_malformed_events(api: AgentApi) -> None:
    before = count_messages(api)
    event = messenger_event("PSID-9", "hello?")
    assert meta_post(api, "/webhooks/meta", event, "wrong-secret").status_code == 401
    assert meta_post(api, "/webhooks/meta", event, META_SECRET, signature=None).status_code == 401
    stale = messenger_event("PSID-9", "an old message", age_seconds=3 * 24 * 3600)
    assert meta_post(api, "/webhooks/meta", stale, META_SECRET).json()["ignored"] == 1
    assert meta_post(api, "/webhooks/meta", {"object": "page"}, META_SECRET).status_code == 422
    assert (
        meta_post(api, "/webhooks/meta", {"object": "x", "entry": []}, META_SECRET).status_code
        == 422
    )
    assert count_messages(api) == before
    assert meta_post(api, "/webhooks/meta", event, META_SECRET).json()["accepted"] == 1
    assert meta_post(api, "/webhooks/meta", event, META_SECRET).json()["duplicates"] == 1


# --- WhatsApp ----------------------------------------------------------------------------------


def test_whatsapp_text_is_answered_and_stop_start_are_recorded(
    api: AgentApi, providers: Providers
) -> None:
    answer = meta_post(
        api,
        "/webhooks/whatsapp",
        whatsapp_event("15557654321", "Can I change my address?"),
        WA_SECRET,
    )
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
    [sent] = providers.wait_for(to("/1098765/messages", "15557654321"))
    assert sent.body["type"] == "text" and sent.body["text"]["body"]

    before = count_messages(api)
    stop = whatsapp_event("15557654321", "STOP")
    assert meta_post(api, "/webhooks/whatsapp", stop, WA_SECRET).json()["keywords"] == 1
    assert meta_post(api, "/webhooks/whatsapp", stop, WA_SECRET).json()["duplicates"] == 1
    assert count_messages(api) == before  # a keyword is not a question for the agent
    with Session(engine_of(api)) as session:
        consent = session.exec(
            select(ChannelConsent).where(ChannelConsent.address == "+15557654321")
        ).one()
    assert consent.state == ConsentState.opted_out and consent.channel == "whatsapp"
    meta_post(api, "/webhooks/whatsapp", whatsapp_event("15557654321", "start"), WA_SECRET)
    with Session(engine_of(api)) as session:
        consent = session.exec(
            select(ChannelConsent).where(ChannelConsent.address == "+15557654321")
        ).one()
    assert consent.state == ConsentState.opted_in


def test_whatsapp_signature_and_malformed_payloads(api: AgentApi) -> None:
    before = count_messages(api)
    event = whatsapp_event("15550009999", "hi")
    assert meta_post(api, "/webhooks/whatsapp", event, META_SECRET).status_code == 401
    assert meta_post(api, "/webhooks/whatsapp", event, WA_SECRET, signature=None).status_code == 401
    broken = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{}]}]}
    assert meta_post(api, "/webhooks/whatsapp", broken, WA_SECRET).status_code == 422
    assert count_messages(api) == before


def test_whatsapp_outside_the_window_needs_a_template_never_free_text() -> None:
    class NoHttp:
        def post(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("nothing may be sent")

    adapter = WhatsAppAdapter(NoHttp(), "http://unused", "t", "1098765")  # type: ignore[arg-type]
    row = OutboxMessage(channel="whatsapp", recipient="+15550001", purpose="reply", body="Hi")
    late = adapter.send(row, Window(last_inbound_age_seconds=25 * 3600))
    assert not late.ok and late.status == OutboxStatus.needs_template
    never = adapter.send(row, Window(last_inbound_age_seconds=None))
    assert never.status == OutboxStatus.needs_template


# --- Twilio SMS and voice ----------------------------------------------------------------------


def test_sms_is_answered_from_the_number_written_to(api: AgentApi, providers: Providers) -> None:
    form = sms_form("+15553332222", "Do you offer gift wrapping or gift cards?")
    answer = twilio_post(api, "/webhooks/twilio/sms", form)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/xml"
    )
    assert ElementTree.fromstring(answer.text).tag == "Response"
    calls = providers.wait_for(to("/Messages.json", "+15553332222"))
    assert all(c.body["From"] == OUR_NUMBER for c in calls)
    assert all("**" not in c.body["Body"] for c in calls)
    twilio_post(api, "/webhooks/twilio/sms", form)  # Twilio's retry of the same message
    time.sleep(0.5)
    with Session(engine_of(api)) as session:
        assert (
            session.exec(
                select(func.count())
                .select_from(Message)
                .where(Message.external_id == form["MessageSid"])
            ).one()
            == 1
        )


def test_sms_signatures_and_keywords(api: AgentApi) -> None:
    before = count_messages(api)
    form = sms_form("+15554443333", "Where is my order?")
    assert twilio_post(api, "/webhooks/twilio/sms", form, signature="bm9wZQ==").status_code == 401
    assert twilio_post(api, "/webhooks/twilio/sms", form, signature=None).status_code == 401
    tampered = {**form, "Body": "Refund everything"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        "http://testserver/webhooks/twilio/sms", form
    )
    assert twilio_post(api, "/webhooks/twilio/sms", tampered, signature).status_code == 401
    missing = {k: v for k, v in form.items() if k != "From"}
    assert twilio_post(api, "/webhooks/twilio/sms", missing).status_code == 422
    assert count_messages(api) == before

    assert (
        twilio_post(api, "/webhooks/twilio/sms", sms_form("+15554443333", "Stop")).status_code
        == 200
    )
    with Session(engine_of(api)) as session:
        consent = session.exec(
            select(ChannelConsent).where(ChannelConsent.address == "+15554443333")
        ).one()
    assert consent.state == ConsentState.opted_out and consent.keyword == "stop"
    helped = twilio_post(api, "/webhooks/twilio/sms", sms_form("+15554443333", "HELP"))
    said = ElementTree.fromstring(helped.text).findtext("Message") or ""
    assert "STOP" in said and "Northwind" in said
    assert count_messages(api) == before


def test_voice_greets_then_answers_in_speakable_twiml(api: AgentApi) -> None:
    call = {"CallSid": "CA0001", "AccountSid": TWILIO_SID, "From": "+15556667777", "To": OUR_NUMBER}
    greeting = ElementTree.fromstring(twilio_post(api, "/webhooks/twilio/voice", call).text)
    gather = greeting.find("Gather")
    assert gather is not None and gather.get("input") == "speech"
    assert "Northwind" in (gather.findtext("Say") or "")
    turn = {**call, "SpeechResult": "What is your return policy?", "Confidence": "0.92"}
    answer = ElementTree.fromstring(twilio_post(api, "/webhooks/twilio/voice", turn).text)
    said = answer.findtext("Say") or ""
    assert "return" in said.lower()
    assert "http" not in said and "**" not in said and "#" not in said
    assert answer.find("Gather") is not None  # listening for the next turn
    [row] = outbox_rows(api, channel="voice", purpose="reply")
    assert row.provider == "twiml" and row.status == OutboxStatus.sent


# --- the outbox: retries, backoff, dead ----------------------------------------------------------


def test_a_failing_provider_is_retried_with_backoff_then_sent(
    api: AgentApi, providers: Providers
) -> None:
    with providers.lock:
        providers.failures[:] = [500, 503]
    form = sms_form("+15557778888", "What sizes do your jackets come in?")
    twilio_post(api, "/webhooks/twilio/sms", form)
    providers.wait_for(to("/Messages.json", "+15557778888"))
    attempts = [
        c
        for c in providers.calls
        if c.path.endswith("/Messages.json") and c.body["To"] == "+15557778888"
    ]
    assert [c.status for c in attempts][:3] == [500, 503, 201]
    gaps = [b.at - a.at for a, b in pairwise(attempts)]
    assert gaps[1] >= gaps[0] * 1.5 - 0.05  # the wait doubles
    [row] = outbox_rows(api, recipient="+15557778888")
    assert row.status == OutboxStatus.sent and row.attempts == 3


def test_a_provider_that_keeps_failing_leaves_the_row_dead_with_nothing_lost(
    api: AgentApi, providers: Providers
) -> None:
    with providers.lock:
        providers.failures[:] = [500] * 6
    form = sms_form("+15559990000", "Is there a warranty on boots?")
    twilio_post(api, "/webhooks/twilio/sms", form)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = outbox_rows(api, recipient="+15559990000")
        if rows and rows[0].status == OutboxStatus.dead:
            break
        time.sleep(0.1)
    [row] = outbox_rows(api, recipient="+15559990000")
    assert row.status == OutboxStatus.dead and row.attempts == 6
    assert row.body and "500" in (row.last_error or "")
    listed = api.client.get("/v1/outbox", params={"status": "dead"}, headers=api.headers).json()[
        "items"
    ]
    assert any(item["id"] == row.id and item["body"] == row.body for item in listed)

    again = api.client.post(f"/v1/outbox/{row.id}/retry", headers=api.headers)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    providers.wait_for(to("/Messages.json", "+15559990000"))
    deadline = time.monotonic() + 30
    while outbox_rows(api, recipient="+15559990000")[0].status != OutboxStatus.sent:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert api.client.post(f"/v1/outbox/{row.id}/retry", headers=api.headers).status_code == 409


def test_a_refused_message_is_dead_at_once(api: AgentApi, providers: Providers) -> None:
    with providers.lock:
        providers.failures[:] = [400]
    twilio_post(api, "/webhooks/twilio/sms", sms_form("+15551112222", "Do you price match?"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = outbox_rows(api, recipient="+15551112222")
        if rows and rows[0].status == OutboxStatus.dead:
            break
        time.sleep(0.1)
    [row] = outbox_rows(api, recipient="+15551112222")
    assert row.status == OutboxStatus.dead and row.attempts == 1


# --- channels off ------------------------------------------------------------------------------


def test_a_channel_without_its_secret_is_off(tmp_path: Path) -> None:
    for api in make_agent_api(tmp_path):
        for path in (
            "/webhooks/email",
            "/webhooks/meta",
            "/webhooks/whatsapp",
            "/webhooks/twilio/sms",
            "/webhooks/twilio/voice",
        ):
            assert api.client.post(path, content=b"{}").status_code == 404, path
        assert api.client.get("/webhooks/meta", params={"hub.challenge": "x"}).status_code == 404


def test_a_channel_turned_off_in_policy_answers_404(tmp_path: Path, providers: Providers) -> None:
    store = autonomous_copy(DEMO_STORE_DIR, tmp_path / "store")
    policy = yaml.safe_load((store / "policy.yaml").read_text())
    policy["channels"]["sms"] = {"enabled": False}
    (store / "policy.yaml").write_text(yaml.safe_dump(policy))
    for api in make_agent_api(tmp_path, store, **channel_settings(providers)):
        off = twilio_post(api, "/webhooks/twilio/sms", sms_form("+15550101010", "hello"))
        assert off.status_code == 404
        on = meta_post(api, "/webhooks/meta", messenger_event("PSID-OFF", "hello"), META_SECRET)
        assert on.status_code == 200


# --- a second store ----------------------------------------------------------------------------


def test_sms_and_email_on_a_second_store(tmp_path: Path, providers: Providers) -> None:
    store = autonomous_copy(write_second_store(tmp_path / "src"), tmp_path / "store")
    customer = SECOND_CUSTOMERS[0]
    for api in make_agent_api(tmp_path, store, **channel_settings(providers)):
        phone = "+15552468013"
        twilio_post(api, "/webhooks/twilio/sms", sms_form(phone, "How long is your return window?"))
        parts = providers.wait_for(to("/Messages.json", phone))
        said = " ".join(c.body["Body"] for c in parts)
        assert "45" in said or "return" in said.lower()
        raw, _ = mail(customer["email"], "Do you ship to the United States?")
        email_post(api, raw)
        [sent] = providers.wait_for(to("/email", customer["email"]))
        assert SECOND_NAME.split()[0] in sent.body["TextBody"]
        help_answer = twilio_post(api, "/webhooks/twilio/sms", sms_form(phone, "HELP"))
        assert SECOND_NAME in (ElementTree.fromstring(help_answer.text).findtext("Message") or "")


def test_a_row_queued_after_another_waits_for_it_even_through_its_retries(tmp_path: Path) -> None:
    """The hand-off's note and its status change go after the holding reply, in order, even
    when the reply needs several attempts."""
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite")
    upgrade(engine)
    sent: list[str] = []
    failures = [True, True]

    class Recorder:
        provider = "standin"

        def send(self, row: OutboxMessage, window: Window) -> Sent:
            if row.purpose == "reply" and failures:
                failures.pop()
                return Sent(ok=False, retry=True, error="HTTP 503")
            sent.append(row.purpose + ":" + str(row.meta.get("action", "")))
            return Sent(ok=True)

    with Session(engine) as session:
        reply = OutboxMessage(
            channel="chat", provider="standin", recipient="c1", purpose="reply", body="hold on"
        )
        session.add(reply)
        session.flush()
        note = OutboxMessage(
            channel="chat",
            provider="standin",
            recipient="c1",
            purpose="handoff",
            body="note",
            meta={"action": "note", AFTER: reply.id},
        )
        session.add(note)
        session.flush()
        session.add(
            OutboxMessage(
                channel="chat",
                provider="standin",
                recipient="c1",
                purpose="handoff",
                body="",
                meta={"action": "open", AFTER: note.id},
            )
        )
        session.commit()
    worker = OutboxWorker(engine, {"standin": Recorder()}, backoff_seconds=0.05)
    deadline = time.monotonic() + 20
    while len(sent) < 3 and time.monotonic() < deadline:
        worker.deliver_due()
        time.sleep(0.02)
    assert sent == ["reply:", "handoff:note", "handoff:open"]
    with Session(engine) as session:
        attempts = {
            r.purpose + str(r.meta.get("action", "")): r.attempts
            for r in session.exec(select(OutboxMessage))
        }
    assert attempts == {"reply": 3, "handoffnote": 1, "handoffopen": 1}  # waiting is no attempt
    engine.dispose()


def test_two_workers_sharing_the_table_send_every_row_exactly_once(engine: Any) -> None:
    """Two processes' workers on one outbox (SQLite and PostgreSQL): each row is claimed by
    one of them only, and every row is sent."""
    sent: list[str] = []
    guard = threading.Lock()

    class Slow:
        provider = "standin"

        def send(self, row: OutboxMessage, window: Window) -> Sent:
            time.sleep(0.01)  # long enough for the other worker to try the same row
            with guard:
                sent.append(row.id)
            return Sent(ok=True)

    with Session(engine) as session:
        ids = []
        for n in range(30):
            row = OutboxMessage(
                channel="sms",
                provider="standin",
                recipient=f"+1555{n:07d}",
                purpose="reply",
                body="x",
            )
            session.add(row)
            ids.append(row.id)
        session.commit()
    workers = [OutboxWorker(engine, {"standin": Slow()}) for _ in range(2)]
    threads = [threading.Thread(target=w.deliver_due) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(sent) == sorted(ids)
    with Session(engine) as session:
        statuses = {r.status for r in session.exec(select(OutboxMessage))}
    assert statuses == {OutboxStatus.sent}


@pytest.mark.postgres
def test_an_sms_is_answered_through_the_outbox_on_postgresql(
    tmp_path: Path, providers: Providers, postgres_url: str
) -> None:
    scratch = make_engine(postgres_url)
    with scratch.begin() as conn:  # an empty schema: the session's database is shared
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    scratch.dispose()
    store = autonomous_copy(DEMO_STORE_DIR, tmp_path / "store")
    for api in make_agent_api(tmp_path, store, postgres_url, **channel_settings(providers)):
        phone = "+15553579111"
        form = sms_form(phone, "Do you ship to Canada?")
        assert twilio_post(api, "/webhooks/twilio/sms", form).status_code == 200
        twilio_post(api, "/webhooks/twilio/sms", form)  # a redelivery
        parts = providers.wait_for(to("/Messages.json", phone))
        assert "canada" in " ".join(c.body["Body"] for c in parts).lower()
        [row] = outbox_rows(api, recipient=phone)
        assert row.status == OutboxStatus.sent


def test_one_time_codes_go_through_a_configured_adapter(tmp_path: Path) -> None:
    """With email or SMS sending configured, Threadline sends its one-time codes itself;
    without, the row waits for the channel sender (no provider), as before."""
    from agent.verification import OutboxDelivery
    from api.settings import Settings
    from api.store_runtime import code_providers

    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite")
    upgrade(engine)
    configured = Settings(data_dir=tmp_path, **settings_for("http://127.0.0.1:9"))
    assert code_providers(configured) == {"email": "email", "phone": "twilio"}
    assert code_providers(Settings(data_dir=tmp_path)) == {}
    OutboxDelivery(engine, code_providers(configured)).deliver(
        customer_id="cus_1", kind="phone", recipient="+15550100", text="Your code is 123456"
    )
    OutboxDelivery(engine).deliver(
        customer_id="cus_1", kind="email", recipient="a@b.example", text="Your code is 654321"
    )
    with Session(engine) as session:
        rows = {r.recipient: r for r in session.exec(select(OutboxMessage))}
    assert rows["+15550100"].provider == "twilio" and rows["+15550100"].channel == "sms"
    assert rows["a@b.example"].provider is None
    engine.dispose()


def test_a_call_answer_held_for_review_follows_up_by_text_once_approved(
    tmp_path: Path, providers: Providers
) -> None:
    """Voice in stage `review` (the demo's policy): the caller hears that a person will follow
    up; once a reviewer approves the answer, it goes by SMS to the number that called."""
    for api in make_agent_api(tmp_path, DEMO_STORE_DIR, **channel_settings(providers)):
        caller = "+15558642097"
        call = {
            "CallSid": "CA-review-1",
            "AccountSid": TWILIO_SID,
            "From": caller,
            "To": OUR_NUMBER,
        }
        turn = {**call, "SpeechResult": "How long do I have to return something?"}
        said = ElementTree.fromstring(twilio_post(api, "/webhooks/twilio/voice", turn).text)
        assert "team" in (said.findtext("Say") or "")
        assert outbox_rows(api, recipient=caller) == []  # nothing goes before a reviewer says so
        held = api.client.get("/v1/reviews", headers=api.headers).json()["items"]
        [review] = [r for r in held if r["channel"] == "voice"]
        approved = api.client.post(
            f"/v1/reviews/{review['id']}/approve", json={}, headers=api.headers
        )
        assert approved.status_code == 200, approved.text
        [text] = providers.wait_for(to("/Messages.json", caller))
        assert text.body["From"] == OUR_NUMBER
        assert text.body["Body"].startswith("Following up on your call:")
        [row] = outbox_rows(api, recipient=caller)
        assert (row.channel, row.provider, row.status) == ("sms", "twilio", OutboxStatus.sent)
