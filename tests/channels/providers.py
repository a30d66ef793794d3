"""A local stand-in for the providers Threadline sends through, speaking their HTTP APIs:
Postmark's `POST /email`, Twilio's `POST /2010-04-01/Accounts/{sid}/Messages.json`, Meta's
Send API `POST /me/messages` and the WhatsApp Cloud API `POST /{phone_number_id}/messages`.

It checks each one's credentials the way the provider does, records every call, and can be told
to answer the next calls with an error (to test retries, backoff and `dead`)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import parse_qs

from .json_server import JsonServer

EMAIL_TOKEN = "postmark-server-token"
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token-0123"
META_TOKEN = "meta-page-token"
WHATSAPP_TOKEN = "whatsapp-access-token"


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON, or the form as a dict of single values."""
    at: float
    status: int


@dataclass
class Providers:
    """The stand-in server; `url` is the base every adapter is pointed at."""

    calls: list[Call] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    """Statuses to answer the next calls with, in order (then 2xx again)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _server: JsonServer | None = None
    _ids: Iterator[int] = field(default_factory=lambda: count(1))

    def start(self) -> Providers:
        self._ids = count(1)
        self._server = JsonServer(self._post)
        self.url = self._server.url
        return self

    def _post(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        if "json" in headers.get("Content-Type", ""):
            body: Any = json.loads(raw or b"{}")
        else:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        status, answer = self._answer(path, headers, next(self._ids))
        with self.lock:
            self.calls.append(Call(path, headers, body, time.monotonic(), status))
        return status, answer

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def _answer(self, path: str, headers: dict[str, str], n: int) -> tuple[int, dict[str, Any]]:
        if not self._authorised(path, headers):
            return 401, {"error": "unauthorised"}
        with self.lock:
            failing = self.failures.pop(0) if self.failures else None
        if failing is not None:
            return failing, {"error": f"stand-in failure {failing}"}
        if path == "/email":
            return 200, {"MessageID": f"pm-{n}", "ErrorCode": 0, "Message": "OK"}
        if path.endswith("/Messages.json"):
            return 201, {"sid": f"SM{n:032d}", "status": "queued"}
        if path == "/me/messages":
            return 200, {"recipient_id": "x", "message_id": f"m_{n}"}
        if path.endswith("/messages"):
            return 200, {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{n}"}]}
        return 404, {"error": "no such endpoint"}

    def _authorised(self, path: str, headers: dict[str, str]) -> bool:
        lower = {k.lower(): v for k, v in headers.items()}
        if path == "/email":
            return lower.get("x-postmark-server-token") == EMAIL_TOKEN
        if path.endswith("/Messages.json"):
            basic = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
            return lower.get("authorization") == f"Basic {basic}"
        if path == "/me/messages":
            return lower.get("authorization") == f"Bearer {META_TOKEN}"
        return lower.get("authorization") == f"Bearer {WHATSAPP_TOKEN}"

    def wait_for(
        self, matches: Callable[[Call], bool], *, timeout: float = 60.0, n: int = 1
    ) -> list[Call]:
        """The calls that match, once there are `n` of them (or AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [c for c in self.calls if matches(c)]
            if len(found) >= n:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {n} matching call(s); got {self.calls!r}")


def settings_for(url: str) -> dict[str, Any]:
    """Every adapter pointed at the stand-in at `url`, retrying fast."""
    return {
        "email_api_url": url,
        "email_api_token": EMAIL_TOKEN,
        "email_from": "help@store.example",
        "twilio_account_sid": TWILIO_SID,
        "twilio_auth_token": TWILIO_TOKEN,
        "twilio_api_url": url,
        "meta_page_token": META_TOKEN,
        "meta_graph_url": url,
        "whatsapp_token": WHATSAPP_TOKEN,
        "whatsapp_api_url": url,
        "outbox_poll_seconds": 0.05,
        "outbox_backoff_seconds": 0.05,
    }
