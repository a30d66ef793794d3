"""Who sent a channel webhook: each provider's signature, checked in constant time.

* Meta (Instagram, Messenger) and WhatsApp: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256
  of the raw body under the app secret.
* Twilio: `X-Twilio-Signature`, checked by the `twilio` package's `RequestValidator` over the
  URL Twilio called and the posted form.
* Email: `X-Threadline-Signature: sha256=<hex>` over `<X-Threadline-Timestamp>.<body>` (the
  scheme of Threadline's own webhooks), the timestamp inside the replay window.

A channel whose secret is not set is off: its webhook answers 404 and takes nothing in.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from fastapi import Request
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from agent.escalation_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from api.errors import ApiError


def secret_or_off(secret: SecretStr | None, channel: str) -> str:
    """The channel's secret; without one the channel is off (404)."""
    if secret is None or not secret.get_secret_value():
        raise ApiError(404, "not_found", f"the {channel} channel is not configured")
    return secret.get_secret_value()


def refuse(reason: str) -> ApiError:
    return ApiError(401, "unauthorized", reason)


def check_hub_signature(body: bytes, header: str | None, secret: str) -> None:
    """Meta's `X-Hub-Signature-256`, or 401."""
    if not header or not header.startswith("sha256="):
        raise refuse("X-Hub-Signature-256 is missing")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower()):
        raise refuse("X-Hub-Signature-256 does not match")


def check_timestamped_signature(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    max_age: float,
    *,
    signature_header: str = SIGNATURE_HEADER,
    timestamp_header: str = TIMESTAMP_HEADER,
) -> None:
    """`sha256=<hex>` over `timestamp.body` (Threadline's scheme, and Chatwoot's under its own
    header names), the timestamp within `max_age` seconds either way (a replayed old delivery
    is refused even though its signature is right), or 401."""
    timestamp = headers.get(timestamp_header, "").strip()
    signature = headers.get(signature_header, "").strip()
    if not (signature.isascii() and timestamp.isascii() and timestamp.isdigit()):
        raise refuse(f"{signature_header} and {timestamp_header} (a Unix time) are required")
    if not verify_signature(secret, timestamp, body, signature):
        raise refuse(f"{signature_header} does not match")
    if abs(time.time() - int(timestamp)) > max_age:
        raise refuse("the signed timestamp is outside the replay window")


def called_url(request: Request, public_url: str | None) -> str:
    """The URL the provider called: the configured public base (behind a proxy) with the
    request's path and query, else the URL as it arrived."""
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_url.rstrip('/')}{request.url.path}{query}"


def check_twilio_signature(
    url: str, form: Mapping[str, str], header: str | None, token: str
) -> None:
    """Twilio's `X-Twilio-Signature` over the URL and the posted parameters, or 401."""
    if not header:
        raise refuse("X-Twilio-Signature is missing")
    if not RequestValidator(token).validate(url, dict(form), header):
        raise refuse("X-Twilio-Signature does not match")


def too_old(sent_at_seconds: float, max_age: float) -> bool:
    """Whether a message sent at this Unix time is older than the replay window."""
    return time.time() - sent_at_seconds > max_age
