"""Native channel webhooks: email, Meta (Instagram, Messenger), WhatsApp, Twilio SMS and voice.

Each checks its provider's signature first (`api.channels.signatures`: a bad or missing one is
401 and nothing is recorded; a channel whose secret is unset answers 404), then maps what the
provider sent to the same inbound message as `POST /v1/messages`, deduplicated on the
provider's own message id. The provider is answered as soon as the message is recorded; the
agent's turn runs in the background and its reply leaves through the outbox, the way the
message came (`inbox.outbox`). A voice call is the exception: Twilio waits for what to say,
so its turn runs at once and the answer is TwiML.

These are the providers' contracts, not Threadline's API: they are outside the OpenAPI.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Annotated, Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from agent.channels import sms_segments
from agent.proof import InvalidSender
from agent.service import InboundRequest, MessageInFlight
from api.channels.email import EmailParseError, parse_inbound_json, parse_raw, reply_subject
from api.channels.runtime import MAX_TEXT, channel_intake, invalid, json_body, store_policy
from api.channels.signatures import (
    called_url,
    check_hub_signature,
    check_timestamped_signature,
    check_twilio_signature,
    secret_or_off,
    too_old,
)
from api.deps import EngineDep, SettingsDep
from api.errors import ApiError
from inbox.consent import Keyword, keyword_of, record_consent
from inbox.conversations import record_event
from inbox.models import Channel, ConsentState, OutboxMessage, OutboxStatus
from inbox.outbox import queue
from inbox.webhook_deliveries import claim_delivery
from tools.policy import StorePolicy

logger = logging.getLogger("threadline.channels")

router = APIRouter(prefix="/webhooks", tags=["channel webhooks"], include_in_schema=False)

# --- shared ----------------------------------------------------------------------------------


async def take(request: Request, inbound: InboundRequest) -> str | None:
    """Record `inbound` and start its turn; the new message's id, None for a redelivery."""
    intake = channel_intake(request)
    try:
        message = await run_in_threadpool(intake.take, inbound)
    except InvalidSender as exc:
        raise ApiError(422, "invalid_sender", str(exc)) from exc
    return message.id if message is not None else None


def handle_keyword(
    engine: Any,
    channel: Channel,
    phone: str,
    keyword: Keyword,
    *,
    source: str,
    delivery_id: str,
) -> bool:
    """Record STOP/START/HELP once: the number's consent and an event. False: a redelivery."""
    with Session(engine) as session:
        if not claim_delivery(session, source, delivery_id, f"keyword:{keyword}"):
            return False
        if keyword is not Keyword.help:
            state = ConsentState.opted_out if keyword is Keyword.stop else ConsentState.opted_in
            record_consent(session, channel, phone, state, source="keyword", keyword=keyword)
        record_event(
            session,
            f"keyword_{keyword}",
            channel=channel,
            payload={"address_hash": hashlib.sha256(phone.encode()).hexdigest()[:16]},
        )
        session.commit()
    return True


def help_text(policy: StorePolicy) -> str:
    contact = f" or email {policy.store.support_email}" if policy.store.support_email else ""
    return (
        f"{policy.store.name} support: reply here with your question{contact}. "
        "Reply STOP to stop messages, START to resume."
    )


# --- email -----------------------------------------------------------------------------------


@router.post("/email")
async def email_webhook(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """A raw RFC 822 message (`message/rfc822`, or any non-JSON type) or an inbound-parse JSON
    form (Postmark's shape, or `{"raw": "<the message>"}`)."""
    secret = secret_or_off(settings.email_webhook_secret, "email")
    body = await request.body()
    check_timestamped_signature(body, request.headers, secret, settings.webhook_replay_seconds)
    policy = store_policy(request, "email")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        mail = parse_inbound_json(json_body(body)) if kind.endswith("json") else parse_raw(body)
    except EmailParseError as exc:
        raise ApiError(422, "invalid_email", str(exc)) from exc
    if mail.automatic:
        return {"status": "ignored", "reason": "automatic reply or bounce"}
    if not mail.text.strip():
        return {"status": "ignored", "reason": "no new text"}
    external_id = mail.message_id or "sha256:" + hashlib.sha256(body).hexdigest()
    ours = next((a for a in mail.to if "@" in a), None) or settings.email_from
    ours = ours or policy.store.support_email or "threadline.invalid"
    origin = {
        "provider": "email",
        "reply_to": mail.sender,
        "reply": {
            "subject": reply_subject(mail.subject),
            "in_reply_to": mail.message_id,
            "references": list(mail.references),
            "domain": ours.rsplit("@", 1)[-1],
        },
    }
    message_id = await take(
        request,
        InboundRequest(
            channel="email",
            external_id=external_id[:255],
            text=mail.text[:MAX_TEXT],
            email=mail.sender,
            name=(mail.sender_name or None) and mail.sender_name[:200],
            thread_id=(mail.thread_root or None) and str(mail.thread_root)[:255],
            subject=mail.subject[:500] or None,
            sent_at=mail.date,
            origin=origin,
        ),
    )
    return {"status": "accepted" if message_id else "duplicate", "message_id": message_id}


# --- Meta: the verification challenge (Meta and WhatsApp) --------------------------------------


def verification_challenge(
    settings: Any, mode: str | None, token: str | None, challenge: str | None
) -> Response:
    expected = secret_or_off(settings.meta_verify_token, "Meta")
    if mode != "subscribe" or not token or not hmac.compare_digest(token, expected):
        raise ApiError(403, "forbidden", "hub.verify_token does not match")
    if not challenge or len(challenge) > 200:
        raise ApiError(400, "bad_request", "hub.challenge is missing")
    return Response(content=challenge, media_type="text/plain")


HubMode = Annotated[str | None, Query(alias="hub.mode", max_length=20)]
HubToken = Annotated[str | None, Query(alias="hub.verify_token", max_length=200)]
HubChallenge = Annotated[str | None, Query(alias="hub.challenge", max_length=200)]


@router.get("/meta")
@router.get("/whatsapp")
async def meta_verify(
    settings: SettingsDep,
    mode: HubMode = None,
    token: HubToken = None,
    challenge: HubChallenge = None,
) -> Response:
    """Meta's subscription check (Instagram, Messenger and WhatsApp alike): echo
    `hub.challenge` when `hub.verify_token` is ours."""
    return verification_challenge(settings, mode, token, challenge)


# --- Meta: Instagram and Messenger -------------------------------------------------------------


class _Provider(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MetaParty(_Provider):
    id: str = Field(min_length=1, max_length=100)


class MetaText(_Provider):
    mid: str = Field(min_length=1, max_length=255)
    text: str | None = None
    is_echo: bool = False


class MetaMessaging(_Provider):
    sender: MetaParty
    recipient: MetaParty
    timestamp: int
    message: MetaText | None = None


class MetaEntry(_Provider):
    id: str = Field(max_length=100)
    time: int | None = None
    messaging: list[MetaMessaging] = Field(default_factory=list)


class MetaEvent(_Provider):
    object: str
    entry: list[MetaEntry]


META_CHANNELS = {"page": "messenger", "instagram": "instagram"}


@router.post("/meta")
async def meta_webhook(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Instagram and Messenger messaging events (`object` `instagram` or `page`)."""
    secret = secret_or_off(settings.meta_app_secret, "Meta")
    body = await request.body()
    check_hub_signature(body, request.headers.get("X-Hub-Signature-256"), secret)
    try:
        event = MetaEvent.model_validate(json_body(body))
    except ValidationError as exc:
        raise invalid(exc, "the payload is not the provider's shape") from exc
    channel = META_CHANNELS.get(event.object)
    if channel is None:
        raise ApiError(
            422, "invalid_payload", f"object {event.object[:40]!r} is not page/instagram"
        )
    store_policy(request, channel)
    counts = {"accepted": 0, "duplicates": 0, "ignored": 0}
    for entry in event.entry:
        for item in entry.messaging:
            message = item.message
            if message is None or message.is_echo or not (message.text or "").strip():
                counts["ignored"] += 1  # delivery and read receipts, echoes, attachments
                continue
            if too_old(item.timestamp / 1000, settings.webhook_stale_seconds):
                counts["ignored"] += 1
                logger.warning("meta message %s is stale: not taken in", message.mid)
                continue
            taken = await take(
                request,
                InboundRequest(
                    channel=channel,
                    external_id=message.mid,
                    text=str(message.text)[:MAX_TEXT],
                    handle=item.sender.id,
                    origin={
                        "provider": "meta",
                        "reply_to": item.sender.id,
                        "page_id": item.recipient.id,
                    },
                ),
            )
            counts["accepted" if taken else "duplicates"] += 1
    return {"status": "EVENT_RECEIVED", **counts}


# --- WhatsApp Cloud API ------------------------------------------------------------------------


class WaProfile(_Provider):
    name: str | None = None


class WaContact(_Provider):
    wa_id: str
    profile: WaProfile | None = None


class WaMessage(_Provider):
    id: str = Field(min_length=1, max_length=255)
    from_: str = Field(alias="from", min_length=5, max_length=20)
    timestamp: int
    type: str
    text: dict[str, Any] | None = None
    button: dict[str, Any] | None = None
    interactive: dict[str, Any] | None = None

    def words(self) -> str:
        """What the customer wrote or tapped; "" for media and other types."""
        if self.type == "text" and self.text:
            return str(self.text.get("body") or "")
        if self.type == "button" and self.button:
            return str(self.button.get("text") or "")
        if self.type == "interactive" and self.interactive:
            reply = self.interactive.get("button_reply") or self.interactive.get("list_reply")
            return str((reply or {}).get("title") or "")
        return ""


class WaMetadata(_Provider):
    phone_number_id: str
    display_phone_number: str | None = None


class WaValue(_Provider):
    messaging_product: str | None = None
    metadata: WaMetadata | None = None
    contacts: list[WaContact] = Field(default_factory=list)
    messages: list[WaMessage] = Field(default_factory=list)


class WaChange(_Provider):
    field: str
    value: WaValue


class WaEntry(_Provider):
    id: str
    changes: list[WaChange]


class WaEvent(_Provider):
    object: str
    entry: list[WaEntry]


@router.post("/whatsapp")
async def whatsapp_webhook(
    request: Request, settings: SettingsDep, engine: EngineDep
) -> dict[str, Any]:
    """WhatsApp Cloud API notifications: `entry[].changes[].value.messages[]`."""
    secret = secret_or_off(settings.whatsapp_app_secret, "WhatsApp")
    body = await request.body()
    check_hub_signature(body, request.headers.get("X-Hub-Signature-256"), secret)
    try:
        event = WaEvent.model_validate(json_body(body))
    except ValidationError as exc:
        raise invalid(exc, "the payload is not the provider's shape") from exc
    if event.object != "whatsapp_business_account":
        raise ApiError(422, "invalid_payload", "object must be whatsapp_business_account")
    store_policy(request, "whatsapp")
    counts = {"accepted": 0, "duplicates": 0, "ignored": 0, "keywords": 0}
    for entry in event.entry:
        for change in entry.changes:
            value = change.value
            names = {c.wa_id: (c.profile.name if c.profile else None) for c in value.contacts}
            number_id = value.metadata.phone_number_id if value.metadata else None
            for item in value.messages:
                text = item.words().strip()
                if not text or too_old(item.timestamp, settings.webhook_stale_seconds):
                    counts["ignored"] += 1  # media, reactions, stale replays
                    continue
                phone = "+" + item.from_.lstrip("+")
                keyword = keyword_of(text)
                if keyword is not None and keyword is not Keyword.help:
                    handled = await run_in_threadpool(
                        handle_keyword,
                        engine,
                        Channel.whatsapp,
                        phone,
                        keyword,
                        source="whatsapp",
                        delivery_id=item.id,
                    )
                    counts["keywords" if handled else "duplicates"] += 1
                    continue
                taken = await take(
                    request,
                    InboundRequest(
                        channel="whatsapp",
                        external_id=item.id,
                        text=text[:MAX_TEXT],
                        phone=phone,
                        name=names.get(item.from_),
                        origin={
                            "provider": "whatsapp",
                            "reply_to": phone,
                            "phone_number_id": number_id,
                        },
                    ),
                )
                counts["accepted" if taken else "duplicates"] += 1
    return {"status": "received", **counts}


# --- Twilio: SMS and voice ---------------------------------------------------------------------

TWIML = "application/xml"


def twiml(*verbs: str) -> Response:
    body = '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"
    return Response(content=body, media_type=TWIML)


async def twilio_form(request: Request, settings: Any) -> dict[str, str]:
    """The posted form, after Twilio's signature over the URL and the form is checked."""
    token = secret_or_off(settings.twilio_auth_token, "Twilio")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise ApiError(415, "unsupported_media_type", "Twilio posts a urlencoded form")
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "bad_request", "the body is not a form post") from None
    form = dict(pairs)
    url = called_url(request, settings.public_url)
    check_twilio_signature(url, form, request.headers.get("X-Twilio-Signature"), token)
    account = settings.twilio_account_sid
    if account and form.get("AccountSid") and form["AccountSid"] != account:
        raise ApiError(401, "unauthorized", "the message is for another Twilio account")
    return form


def required(form: dict[str, str], *names: str) -> list[str]:
    missing = [n for n in names if not form.get(n, "").strip()]
    if missing:
        raise ApiError(422, "invalid_payload", f"missing form field(s): {', '.join(missing)}")
    return [form[n].strip() for n in names]


@router.post("/twilio/sms")
async def twilio_sms(request: Request, settings: SettingsDep, engine: EngineDep) -> Response:
    """An inbound SMS. `STOP`/`START` set the number's consent (Twilio confirms to the sender
    itself), `HELP` is answered at once; anything else goes to the agent, whose reply leaves
    through the outbox."""
    form = await twilio_form(request, settings)
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    phone, ours = required(form, "From", "To")
    if not sid.strip():
        raise ApiError(422, "invalid_payload", "missing form field(s): MessageSid")
    policy = store_policy(request, "sms")
    text = form.get("Body", "").strip()
    if not text:
        return twiml()  # a picture without words: nothing for the agent
    keyword = keyword_of(text)
    if keyword is not None:
        first = await run_in_threadpool(
            handle_keyword, engine, Channel.sms, phone, keyword, source="twilio", delivery_id=sid
        )
        if keyword is Keyword.help and first:
            answer = help_text(policy)
            await run_in_threadpool(_log_inline, engine, phone, answer, sid)
            return twiml(f"<Message>{escape(answer)}</Message>")
        return twiml()
    await take(
        request,
        InboundRequest(
            channel="sms",
            external_id=sid,
            text=text[:MAX_TEXT],
            phone=phone,
            origin={"provider": "twilio", "reply_to": phone, "from": ours},
        ),
    )
    return twiml()


def _log_inline(engine: Any, phone: str, text: str, sid: str) -> None:
    """A HELP answer goes back in the webhook's TwiML; the outbox keeps it with the rest."""
    with Session(engine) as session:
        queue(
            session,
            OutboxMessage(
                channel=Channel.sms,
                provider="twiml",
                recipient=phone,
                purpose="help",
                body=text,
                meta={"segments": sms_segments(text)},
                dedupe_key=f"help:{sid}",
                status=OutboxStatus.sent,
            ),
        )
        session.commit()


HELD_ON_CALL = "Thank you. A member of our team will look into this and get back to you shortly."
NOT_HEARD = "Sorry, I did not catch that. Could you say it again?"


@router.post("/twilio/voice")
async def twilio_voice(request: Request, settings: SettingsDep) -> Response:
    """A voice call: the caller's words (Twilio's speech recognition, `SpeechResult`) in,
    speakable text out as TwiML, listening again for the next turn."""
    form = await twilio_form(request, settings)
    call, phone, ours = required(form, "CallSid", "From", "To")
    policy = store_policy(request, "voice")
    action = escape(called_url(request, settings.public_url), {'"': "&quot;"})

    def listen(prompt: str) -> str:
        return (
            f'<Gather input="speech" action="{action}" method="POST" speechTimeout="auto">'
            f"<Say>{escape(prompt)}</Say></Gather>"
        )

    words = form.get("SpeechResult", "").strip()
    if not words:
        greeting = f"Hello, you have reached {policy.store.name}. How can I help you today?"
        return twiml(listen(greeting if "SpeechResult" not in form else NOT_HEARD))
    turn = hashlib.sha256(f"{words}|{form.get('Confidence', '')}".encode()).hexdigest()[:16]
    inbound = InboundRequest(
        channel="voice",
        external_id=f"{call}:{turn}",
        text=words[:MAX_TEXT],
        phone=phone,
        origin={"provider": "twiml", "reply_to": phone, "from": ours},
    )
    intake = channel_intake(request)
    try:
        result = await run_in_threadpool(intake.answer, inbound)
    except MessageInFlight:
        return twiml(listen("One moment, please. Could you repeat that?"))
    except InvalidSender as exc:
        raise ApiError(422, "invalid_sender", str(exc)) from exc
    response = result.response
    said = response.reply.text if response.reply and response.reply.text else ""
    if response.outcome == "held_for_review" or not said:
        said = HELD_ON_CALL
    return twiml(f"<Say>{escape(said)}</Say>", listen("Is there anything else I can help with?"))
