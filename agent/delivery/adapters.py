"""Delivery adapters: each turns an outbox row into its provider's HTTP call.

Every adapter answers with a `Sent` result; the worker decides what happens next from it: a 2xx
is sent, a network error or a 408/425/429/5xx is retried with backoff, anything else is dead
(the provider refused it for good; retrying would not help). Base URLs are settings, so tests
and staging point them at a local stand-in server that speaks the provider's protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from agent.leased_worker import RETRYABLE
from inbox.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Sent:
    """What one attempt came to."""

    ok: bool
    retry: bool = False
    """A failure worth trying again (network, throttling, the provider's own error)."""
    provider_message_id: str | None = None
    error: str | None = None
    status: OutboxStatus | None = None
    """A final status other than sent/failed/dead (`needs_template`)."""
    progress: dict[str, Any] | None = None
    """Meta to keep even though the attempt failed (parts already sent)."""


@dataclass(frozen=True)
class Window:
    """What the worker knows about the conversation when it sends a row."""

    last_inbound_age_seconds: float | None
    """Seconds since the recipient last wrote on the row's channel (None: never)."""


class Adapter(Protocol):
    provider: str

    def send(self, row: OutboxMessage, window: Window) -> Sent: ...


def outcome(response: httpx.Response, provider_id: str | None = None) -> Sent:
    """A provider's HTTP answer as an attempt's result."""
    code = response.status_code
    if 200 <= code < 300:
        return Sent(ok=True, provider_message_id=provider_id)
    detail = f"HTTP {code}: {response.text[:160]}".strip()
    return Sent(ok=False, retry=code in RETRYABLE or code >= 500, error=detail)


def unreachable(exc: httpx.HTTPError) -> Sent:
    return Sent(ok=False, retry=True, error=f"{type(exc).__name__} reaching the provider")


def _json_id(response: httpx.Response, *path: str | int) -> str | None:
    try:
        value: Any = response.json()
        for step in path:
            value = value[step]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return str(value) if value is not None else None


class EmailAdapter:
    """A mail-sending HTTP API in Postmark's shape: `POST {url}/email` with the server token."""

    provider = "email"

    def __init__(self, client: httpx.Client, url: str, token: str, sender: str) -> None:
        self.client, self.url, self.token, self.sender = client, url.rstrip("/"), token, sender

    def send(self, row: OutboxMessage, window: Window) -> Sent:
        headers = [
            {"Name": name, "Value": value}
            for name, value in row.headers.items()
            if name != "Message-ID" or value
        ]
        body = {
            "From": self.sender,
            "To": row.recipient,
            "Subject": row.subject or "",
            "TextBody": row.body,
            "Headers": headers,
            "MessageStream": "outbound",
        }
        try:
            response = self.client.post(
                f"{self.url}/email",
                json=body,
                headers={"X-Postmark-Server-Token": self.token, "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            return unreachable(exc)
        return outcome(response, _json_id(response, "MessageID"))


class TwilioSmsAdapter:
    """Twilio's Messages API: one form POST per part, from the number the customer wrote to
    (or the configured sender); parts already sent are remembered, so a retry sends the rest."""

    provider = "twilio"

    def __init__(
        self, client: httpx.Client, url: str, account_sid: str, token: str, sender: str | None
    ) -> None:
        self.client, self.url = client, url.rstrip("/")
        self.account_sid, self.token, self.sender = account_sid, token, sender

    def send(self, row: OutboxMessage, window: Window) -> Sent:
        sender = row.meta.get("from") or self.sender
        if not sender:
            return Sent(
                ok=False, error="no number to send from (set THREADLINE_TWILIO_FROM_NUMBER)"
            )
        parts = [str(p) for p in row.meta.get("parts") or [row.body]]
        done = int(row.meta.get("parts_sent", 0))
        ids = list(row.meta.get("part_ids") or [])
        url = f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        for index in range(done, len(parts)):
            try:
                response = self.client.post(
                    url,
                    data={"To": row.recipient, "From": sender, "Body": parts[index]},
                    auth=(self.account_sid, self.token),
                )
            except httpx.HTTPError as exc:
                failed = unreachable(exc)
            else:
                failed = outcome(response, _json_id(response, "sid"))
                if failed.ok:
                    ids.append(failed.provider_message_id)
                    continue
            progress = {"parts_sent": index, "part_ids": ids}
            return Sent(ok=False, retry=failed.retry, error=failed.error, progress=progress)
        return Sent(ok=True, provider_message_id=",".join(str(i) for i in ids if i) or None)


class MetaAdapter:
    """Messenger and Instagram through Meta's Send API: `POST {graph}/me/messages` with the
    Page access token, answering within the 24-hour messaging window (`RESPONSE`)."""

    provider = "meta"

    def __init__(self, client: httpx.Client, url: str, token: str) -> None:
        self.client, self.url, self.token = client, url.rstrip("/"), token

    def send(self, row: OutboxMessage, window: Window) -> Sent:
        body = {
            "recipient": {"id": row.recipient},
            "messaging_type": "RESPONSE",
            "message": {"text": row.body},
        }
        try:
            response = self.client.post(
                f"{self.url}/me/messages",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except httpx.HTTPError as exc:
            return unreachable(exc)
        return outcome(response, _json_id(response, "message_id"))


WHATSAPP_WINDOW_SECONDS = 24 * 3600


class WhatsAppAdapter:
    """The WhatsApp Cloud API: `POST {graph}/{phone_number_id}/messages`. Free text only inside
    the 24-hour customer-service window; outside it an approved template named in the row's
    `meta["template"]` goes instead, and without one the row needs a template and is not sent."""

    provider = "whatsapp"

    def __init__(
        self, client: httpx.Client, url: str, token: str, phone_number_id: str | None
    ) -> None:
        self.client, self.url, self.token = client, url.rstrip("/"), token
        self.phone_number_id = phone_number_id

    def send(self, row: OutboxMessage, window: Window) -> Sent:
        number_id = row.meta.get("phone_number_id") or self.phone_number_id
        if not number_id:
            return Sent(
                ok=False, error="no business number (set THREADLINE_WHATSAPP_PHONE_NUMBER_ID)"
            )
        age = window.last_inbound_age_seconds
        inside = age is not None and age < WHATSAPP_WINDOW_SECONDS
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": row.recipient.lstrip("+"),
        }
        template = row.meta.get("template")
        if inside:
            body.update(type="text", text={"preview_url": False, "body": row.body})
        elif isinstance(template, dict) and template.get("name"):
            body.update(type="template", template=_template(template))
        else:
            return Sent(
                ok=False,
                status=OutboxStatus.needs_template,
                error="outside the 24-hour window: an approved template is needed",
            )
        try:
            response = self.client.post(
                f"{self.url}/{number_id}/messages",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except httpx.HTTPError as exc:
            return unreachable(exc)
        return outcome(response, _json_id(response, "messages", 0, "id"))


def _template(template: dict[str, Any]) -> dict[str, Any]:
    """The Cloud API's template object: name, language, body parameters in order."""
    parameters = [{"type": "text", "text": str(v)} for v in template.get("parameters") or []]
    shaped: dict[str, Any] = {
        "name": str(template["name"]),
        "language": {"code": str(template.get("language") or "en_US")},
    }
    if parameters:
        shaped["components"] = [{"type": "body", "parameters": parameters}]
    return shaped
