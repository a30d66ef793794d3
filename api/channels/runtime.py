"""The app's channel machinery, assembled from settings: the outbox worker with an adapter for
every provider that is configured, and the intake that channel webhooks hand messages to."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import Engine

from agent.delivery.adapters import (
    Adapter,
    EmailAdapter,
    MetaAdapter,
    TwilioSmsAdapter,
    WhatsAppAdapter,
)
from agent.delivery.chatwoot import ChatwootAdapter
from agent.delivery.worker import OutboxWorker
from api.channels.intake import ChannelIntake
from api.errors import ApiError
from api.settings import Settings
from tools.policy import StorePolicy

MAX_TEXT = 20_000
"""The longest text taken in (as `POST /v1/messages`); longer emails are cut here."""


def delivery_adapters(settings: Settings, client: httpx.Client) -> dict[str, Adapter]:
    """One adapter per provider whose credentials are set."""
    adapters: dict[str, Adapter] = {}
    if settings.email_api_url and settings.email_api_token is not None:
        sender = settings.email_from or "support@localhost"
        adapters["email"] = EmailAdapter(
            client, settings.email_api_url, settings.email_api_token.get_secret_value(), sender
        )
    if settings.twilio_account_sid and settings.twilio_auth_token is not None:
        adapters["twilio"] = TwilioSmsAdapter(
            client,
            settings.twilio_api_url,
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_from_number,
        )
    if settings.meta_page_token is not None:
        adapters["meta"] = MetaAdapter(
            client, settings.meta_graph_url, settings.meta_page_token.get_secret_value()
        )
    if settings.whatsapp_token is not None:
        adapters["whatsapp"] = WhatsAppAdapter(
            client,
            settings.whatsapp_api_url,
            settings.whatsapp_token.get_secret_value(),
            settings.whatsapp_phone_number_id,
        )
    if settings.chatwoot_url and settings.chatwoot_token is not None:
        adapters["chatwoot"] = ChatwootAdapter(
            client, settings.chatwoot_url, settings.chatwoot_token.get_secret_value()
        )
    return adapters


class OutboxRuntime:
    """The worker and the HTTP client its adapters share (closed together)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.client = httpx.Client(timeout=10.0)
        self.worker = OutboxWorker(
            engine,
            delivery_adapters(settings, self.client),
            max_attempts=settings.outbox_max_attempts,
            backoff_seconds=settings.outbox_backoff_seconds,
            poll_seconds=settings.outbox_poll_seconds,
        )

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()
        self.client.close()


def channel_intake(request: Request) -> ChannelIntake:
    """The intake for the app's store (made on first use, remade if the store changed)."""
    state = request.app.state
    store = getattr(state, "store", None)
    if store is None:
        raise ApiError(503, "no_store", "no store is configured: start with --store or --demo")
    intake: ChannelIntake | None = getattr(state, "intake", None)
    if intake is None or intake.resolver is not store.resolver:
        outbox: OutboxRuntime | None = getattr(state, "outbox", None)
        intake = ChannelIntake(
            store.resolver, on_reply=outbox.worker.wake if outbox is not None else None
        )
        state.intake = intake
    return intake


def store_policy(request: Request, channel: str) -> StorePolicy:
    """The store's policy, after checking the store is up and the channel is on (else 404)."""
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise ApiError(503, "no_store", "no store is configured: start with --store or --demo")
    policy: StorePolicy = store.services.policy
    rule = policy.channels.get(channel)  # type: ignore[call-overload]
    if rule is not None and not rule.enabled:
        raise ApiError(404, "not_found", f"the {channel} channel is turned off in policy.yaml")
    return policy


def json_body(body: bytes) -> Any:
    """A webhook's JSON body, or 400."""
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None


def invalid(exc: ValidationError, what: str) -> ApiError:
    """A 422 naming the first problems of a payload that is not the provider's shape."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
    )
    return ApiError(422, "invalid_payload", f"{what}: {problems}")
