"""A local stand-in for a self-hosted Chatwoot, as an Agent Bot meets it.

It speaks the two Application API endpoints a bot answers with (`POST
/api/v1/accounts/{account}/conversations/{id}/messages` and `…/toggle_status`), checks the bot's
`api_access_token`, records every call, can be told to fail the next calls, and answers with
Chatwoot-shaped JSON. It also writes what Chatwoot sends the bot: `message_created`,
`conversation_opened`, `conversation_resolved` and `conversation_status_changed` payloads
shaped like Chatwoot's (`Message#webhook_data`, `Conversation#webhook_data`), signed the way
Chatwoot signs agent-bot deliveries (`X-Chatwoot-Signature` over `timestamp.body`). A status
toggled through the API is the status its next payloads carry, as in Chatwoot.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from .json_server import JsonServer

TOKEN = "chatwoot-bot-access-token"
"""The agent bot's access token (what Threadline answers with)."""
SECRET = "chatwoot-bot-webhook-secret"
"""The agent bot's webhook secret (what Chatwoot signs deliveries with)."""
ACCOUNT_ID = 7
ACCOUNT: dict[str, Any] = {"id": ACCOUNT_ID, "name": "Northwind Support"}
BOT: dict[str, Any] = {"id": 3, "name": "Threadline", "type": "agent_bot"}
AGENT: dict[str, Any] = {
    "id": 12,
    "name": "Sam Rivera",
    "email": "sam@northwind.example",
    "type": "user",
}

_PATH = re.compile(r"^/api/v1/accounts/(\d+)/conversations/(\d+)/(messages|toggle_status)$")
_STATUSES = ("open", "resolved", "pending", "snoozed")
_MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}


@dataclass
class Call:
    """One request Chatwoot received."""

    path: str
    headers: dict[str, str]
    body: Any
    status: int
    account: int | None = None
    conversation: int | None = None
    endpoint: str | None = None
    """`messages` or `toggle_status`."""
    answer: Any = None


@dataclass
class Contact:
    id: int
    name: str
    email: str | None = None
    phone_number: str | None = None
    identifier: str | None = None

    def webhook_data(self) -> dict[str, Any]:
        """As `Contact#webhook_data` / `#push_event_data` carry a contact."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone_number": self.phone_number,
            "identifier": self.identifier,
            "thumbnail": "",
            "additional_attributes": {},
            "custom_attributes": {},
            "blocked": False,
            "type": "contact",
        }


@dataclass
class Conversation:
    """One conversation of the stand-in's account: a bot inbox's start in `pending`."""

    id: int
    """The display id (the number in the API's paths and in payloads)."""
    inbox_id: int
    channel: str
    contact: Contact
    source_id: str
    status: str = "pending"
    hmac_verified: bool = False
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    last_message: dict[str, Any] | None = None


class ChatwootStandin:
    """The stand-in server; `url` is what `THREADLINE_CHATWOOT_URL` points at."""

    def __init__(self, token: str = TOKEN, secret: str = SECRET) -> None:
        self.token, self.secret = token, secret
        self.calls: list[Call] = []
        self.failures: list[int] = []
        """Statuses to answer the next calls with, in order (then Chatwoot's own answer)."""
        self.conversations: dict[int, Conversation] = {}
        self.echoes: dict[int, dict[str, Any]] = {}
        """What Chatwoot sends the bot about each message created through the API, by id."""
        self.lock = threading.Lock()
        self._ids = count(1001)
        self._numbers = count(1)
        self.url = ""
        self._server: JsonServer | None = None

    # --- the server ---------------------------------------------------------------------------

    def start(self) -> ChatwootStandin:
        self._server = JsonServer(self._post)
        self.url = self._server.url
        return self

    def _post(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        try:
            body: Any = json.loads(raw or b"{}")
        except ValueError:
            body = None
        status, answer, call = self._answer(path, headers, body)
        with self.lock:
            self.calls.append(call)
        return status, answer

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def fail_next(self, times: int, status: int = 500) -> None:
        with self.lock:
            self.failures.extend([status] * times)

    def _answer(
        self, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, Any], Call]:
        call = Call(path, headers, body, 0)
        match = _PATH.match(path)
        if match is None:
            call.status = 404
            return 404, {"error": "Resource could not be found"}, call
        call.account, call.conversation = int(match[1]), int(match[2])
        call.endpoint = match[3]
        lower = {k.lower(): v for k, v in headers.items()}
        if not hmac.compare_digest(lower.get("api_access_token", ""), self.token):
            call.status = 401
            return 401, {"errors": ["You need to sign in or sign up before continuing."]}, call
        with self.lock:
            failing = self.failures.pop(0) if self.failures else None
            conversation = self.conversations.get(call.conversation)
        if failing is not None:
            call.status = failing
            return failing, {"error": f"stand-in failure {failing}"}, call
        if conversation is None or call.account != ACCOUNT_ID:
            call.status = 404
            return 404, {"error": "Resource could not be found"}, call
        status, answer = (
            self._create_message(conversation, body)
            if call.endpoint == "messages"
            else self._toggle(conversation, body)
        )
        call.status, call.answer = status, answer
        return status, answer, call

    def _create_message(self, conversation: Conversation, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("content"), str):
            return 422, {"message": "Content can't be blank"}
        message_type = body.get("message_type", "outgoing")
        if message_type not in ("outgoing", "incoming"):
            return 422, {"message": f"'{message_type}' is not a valid message_type"}
        message = self._message(
            conversation, body["content"], message_type, BOT, private=bool(body.get("private"))
        )
        with self.lock:
            self.echoes[message["push"]["id"]] = message["webhook"]
        return 200, {
            **message["push"],
            "sender": {**BOT, "thumbnail": "", "avatar_url": ""},
        }

    def _toggle(self, conversation: Conversation, body: Any) -> tuple[int, dict[str, Any]]:
        status = body.get("status") if isinstance(body, dict) else None
        if status not in _STATUSES:
            return 422, {"error": f"'{status}' is not a valid status"}
        with self.lock:
            conversation.status = status
        return 200, {
            "meta": {},
            "payload": {
                "success": True,
                "current_status": status,
                "conversation_id": conversation.id,
            },
        }

    # --- what Chatwoot sends the bot --------------------------------------------------------

    def conversation(
        self,
        *,
        channel: str = "Channel::WebWidget",
        name: str = "Jordan Lee",
        email: str | None = None,
        phone_number: str | None = None,
        identifier: str | None = None,
        source_id: str | None = None,
        hmac_verified: bool = False,
        status: str = "pending",
        additional_attributes: dict[str, Any] | None = None,
    ) -> Conversation:
        """A new conversation in an inbox the bot is connected to."""
        number = next(self._numbers)
        contact = Contact(
            id=500 + number,
            name=name,
            email=email,
            phone_number=phone_number,
            identifier=identifier,
        )
        inbox_id = 40 + _CHANNEL_INBOXES.index(channel) if channel in _CHANNEL_INBOXES else 99
        conversation = Conversation(
            id=number,
            inbox_id=inbox_id,
            channel=channel,
            contact=contact,
            source_id=source_id or str(uuid.uuid4()),
            status=status,
            hmac_verified=hmac_verified,
            additional_attributes=additional_attributes or {},
        )
        with self.lock:
            self.conversations[number] = conversation
        return conversation

    def incoming(self, conversation: Conversation, text: str | None) -> dict[str, Any]:
        """The customer wrote: `message_created`, incoming, from the contact."""
        return self._message(conversation, text, "incoming", None)["webhook"]

    def person_replies(
        self, conversation: Conversation, text: str, *, private: bool = False
    ) -> dict[str, Any]:
        """A person on the team wrote from the dashboard (a reply, or a private note)."""
        return self._message(conversation, text, "outgoing", AGENT, private=private)["webhook"]

    def echo_of(self, call: Call) -> dict[str, Any]:
        """What Chatwoot sends the bot about the message `call` created."""
        with self.lock:
            return dict(self.echoes[int(call.answer["id"])])

    def status_event(self, conversation: Conversation, event: str) -> dict[str, Any]:
        """`conversation_opened`, `conversation_resolved` or `conversation_status_changed` for
        the conversation's current status (`Conversation#webhook_data` plus the event)."""
        payload = {**self._conversation_data(conversation), "event": event}
        if event == "conversation_status_changed":
            payload["changed_attributes"] = [{"status": {"current_value": conversation.status}}]
        return payload

    def set_status(self, conversation: Conversation, status: str) -> None:
        """A person changed the status in the dashboard."""
        with self.lock:
            conversation.status = status

    def signed(
        self,
        payload: dict[str, Any] | bytes,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        delivery: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of Chatwoot's delivery of `payload` to the bot's URL."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(
            (secret or self.secret).encode(), stamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return body, {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Chatwoot-Signature": f"sha256={digest}",
            "X-Chatwoot-Timestamp": stamp,
            "X-Chatwoot-Delivery": delivery or str(uuid.uuid4()),
        }

    def _message(
        self,
        conversation: Conversation,
        text: str | None,
        message_type: str,
        sender: dict[str, Any] | None,
        *,
        private: bool = False,
    ) -> dict[str, dict[str, Any]]:
        message_id = next(self._ids)
        now = datetime.now(UTC)
        contact = conversation.contact.webhook_data()
        push = {
            "id": message_id,
            "content": text,
            "account_id": ACCOUNT_ID,
            "inbox_id": conversation.inbox_id,
            "conversation_id": conversation.id,
            "message_type": _MESSAGE_TYPES[message_type],
            "created_at": int(now.timestamp()),
            "updated_at": now.isoformat(),
            "private": private,
            "status": "sent",
            "source_id": None,
            "content_type": "text",
            "content_attributes": {},
            "sender_type": "Contact" if sender is None else "User",
            "sender_id": contact["id"] if sender is None else sender["id"],
            "external_source_ids": {},
            "additional_attributes": {},
        }
        if not private and message_type in ("incoming", "outgoing"):
            with self.lock:
                conversation.last_message = push
        webhook = {
            "event": "message_created",
            "id": message_id,
            "content": text,
            "created_at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "message_type": message_type,
            "content_type": "text",
            "private": private,
            "content_attributes": {},
            "additional_attributes": {},
            "source_id": None,
            "sender": {**contact, "account": ACCOUNT} if sender is None else dict(sender),
            "inbox": {"id": conversation.inbox_id, "name": conversation.channel},
            "conversation": self._conversation_data(conversation),
            "account": dict(ACCOUNT),
        }
        return {"push": push, "webhook": webhook}

    def _conversation_data(self, conversation: Conversation) -> dict[str, Any]:
        """As `Conversations::EventDataPresenter#push_data` (no account: the last message
        names it)."""
        now = int(time.time())
        return {
            "additional_attributes": dict(conversation.additional_attributes),
            "can_reply": True,
            "channel": conversation.channel,
            "contact_inbox": {
                "id": 900 + conversation.id,
                "contact_id": conversation.contact.id,
                "inbox_id": conversation.inbox_id,
                "source_id": conversation.source_id,
                "created_at": datetime.now(UTC).isoformat(),
                "updated_at": datetime.now(UTC).isoformat(),
                "hmac_verified": conversation.hmac_verified,
                "pubsub_token": uuid.uuid4().hex,
            },
            "id": conversation.id,
            "inbox_id": conversation.inbox_id,
            "messages": [conversation.last_message] if conversation.last_message else [],
            "labels": [],
            "meta": {
                "sender": conversation.contact.webhook_data(),
                "assignee": None,
                "assignee_type": None,
                "team": None,
                "hmac_verified": conversation.hmac_verified,
            },
            "status": conversation.status,
            "custom_attributes": {},
            "snoozed_until": None,
            "unread_count": 1,
            "first_reply_created_at": None,
            "priority": None,
            "waiting_since": now,
            "agent_last_seen_at": 0,
            "contact_last_seen_at": 0,
            "last_activity_at": now,
            "timestamp": now,
            "created_at": now,
            "updated_at": float(now),
        }

    # --- reading what arrived ---------------------------------------------------------------

    def calls_for(self, conversation: Conversation) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.conversation == conversation.id]

    def wait_for(
        self, matches: Callable[[Call], bool], *, n: int = 1, timeout: float = 90.0
    ) -> list[Call]:
        """The successful calls that match, once there are `n` of them (AssertionError on
        timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [c for c in self.calls if c.status < 300 and matches(c)]
            if len(found) >= n:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {n} matching call(s); got {self.calls!r}")


_CHANNEL_INBOXES = (
    "Channel::WebWidget",
    "Channel::Api",
    "Channel::Email",
    "Channel::Whatsapp",
    "Channel::Sms",
    "Channel::TwilioSms",
    "Channel::FacebookPage",
    "Channel::Instagram",
)
"""One inbox per channel type in the stand-in's account (their ids are 40, 41, …)."""
