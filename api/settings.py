"""Deployment settings: one class, read where the app or a command is assembled, passed down."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from inbox.outbound_events import EVENT_TYPES, EventSink

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_STORE_DIR = PROJECT_ROOT / "stores" / "demo"


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Settings(BaseSettings):
    """Every setting reads `THREADLINE_<NAME>` from the environment or a `.env` file."""

    model_config = SettingsConfigDict(
        env_prefix="THREADLINE_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Path(".threadline")
    """Where the SQLite database, the Chroma index and checkpoints live by default."""
    database_url: str | None = None
    """SQLAlchemy URL; default `sqlite:///<data_dir>/threadline.db`. PostgreSQL:
    `postgresql+psycopg://user@host:5432/db`."""
    store_dir: Path | None = None
    """The store directory (policy.yaml, knowledge/, sandbox/); `--store` / `--demo` override."""
    shopify_url: str | None = None
    """A shop's base URL; when unset and the store has sandbox/, `serve` starts the sandbox."""
    shopify_token: SecretStr | None = None
    """Admin API access token for `shopify_url`."""
    shopify_webhook_secret: SecretStr | None = None
    """The app's secret that signs Shopify's webhooks (`X-Shopify-Hmac-Sha256`); unset: the
    `/webhooks/shopify` route answers 503."""
    shopify_timeout: float = Field(default=10.0, gt=0, le=120)
    """Seconds one Admin API call may take before it is a timeout (retried when that is safe)."""
    chroma_url: str | None = None
    """A Chroma server (`http://host:8000`); default: a persistent collection under data_dir."""
    bootstrap_api_keys: SecretStr | None = None
    """Comma-separated `role:key` pairs installed (hashed) at start-up, e.g. for CI or a deploy."""
    escalation_webhook_url: str | None = None
    """Where escalation packets are POSTed (signed with HMAC-SHA256); unset: stored only."""
    escalation_webhook_secret: SecretStr | None = None
    """The shared secret for the `X-Threadline-Signature` header."""
    events_webhook_url: str | None = None
    """The integrator's webhook: every subscribed event is POSTed here, signed like escalation
    packets; unset: no events are written or sent."""
    events_webhook_secret: SecretStr | None = None
    """The shared secret that signs events (`X-Threadline-Signature`); required with the URL."""
    events_webhook_types: str | None = None
    """Comma-separated event types to send (default: all): message.replied, message.held,
    escalation.created, escalation.claimed, escalation.resolved, conversation.resolved,
    customer.merged."""
    events_max_attempts: int = Field(default=8, ge=1, le=50)
    """Deliveries of one event before it is marked failed."""
    events_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    """The first retry's wait; each further retry waits twice as long (at most an hour)."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    """Requests with larger bodies are refused with 413."""
    rate_limit_per_minute: int = Field(default=3000, ge=0)
    """Requests one API key may make per minute (its token bucket's refill); 0: no limit."""
    rate_limit_burst: int = Field(default=300, ge=0)
    """Requests one API key may make at once before the per-minute rate holds; 0: no limit."""
    today: date | None = None
    """Pins the business date for policy windows (tests, replays); default: the real date, or
    for a sandbox store the `today` in its `sandbox/store.json`."""
    default_phone_region: str = "US"
    """Region used to read phone numbers written without a country code."""
    max_concurrent_messages: int = Field(default=8, ge=1, le=256)
    """Turns one process runs at once; further messages wait for a slot without holding a
    database connection."""
    message_lease_seconds: float = Field(default=30.0, ge=1.0)
    """How long a message's handler may take before a redelivery or the recovery sweep takes
    the message over (a crashed handler's message is answered after at most this long)."""
    recovery_interval_seconds: float = Field(default=15.0, gt=0)
    """How often the recovery sweep looks for messages whose handler died (it also runs at
    start-up)."""
    db_pool_size: int | None = Field(default=None, ge=1)
    """Database connections kept per process; default `2 * max_concurrent_messages + 4` (a
    running turn holds at most two: its customer's lock and a short session; the rest serve
    the other routes)."""
    db_max_overflow: int = Field(default=4, ge=0)
    """Extra connections allowed above the pool in a burst."""
    db_pool_timeout: float = Field(default=10.0, gt=0)
    """Seconds a request waits for a pooled connection before it fails (503, never a hang)."""

    # --- channels: inbound webhooks (a webhook whose secret is unset answers 404) ---------------
    public_url: str | None = None
    """The URL the providers call Threadline at (`https://support.example.com`), used to check
    Twilio's signature, which covers the full URL; default: the URL the request arrived at."""
    webhook_replay_seconds: int = Field(default=300, ge=10, le=7 * 24 * 3600)
    """A signed delivery whose own timestamp (or message time) is older than this is refused as
    a replay; redeliveries inside it are deduplicated on the provider's message id."""
    webhook_stale_seconds: int = Field(default=24 * 3600, ge=60)
    """A message whose own send time (Meta, WhatsApp) is older than this is a replay or stale:
    acknowledged and not taken in (the providers' retries of a real outage come sooner)."""
    email_webhook_secret: SecretStr | None = None
    """Signs `/webhooks/email` deliveries: `X-Threadline-Signature: sha256=<hex>` over
    `<X-Threadline-Timestamp>.<body>` (the event webhook's scheme)."""
    meta_app_secret: SecretStr | None = None
    """The Meta app secret that signs Instagram/Messenger events (`X-Hub-Signature-256`)."""
    meta_verify_token: SecretStr | None = None
    """The token Meta echoes in the `GET` verification challenge (Meta and WhatsApp)."""
    whatsapp_app_secret: SecretStr | None = None
    """The Meta app secret of the WhatsApp Business app (`X-Hub-Signature-256`)."""
    twilio_auth_token: SecretStr | None = None
    """Twilio's auth token: checks `X-Twilio-Signature` and authenticates sends."""
    chatwoot_token: SecretStr | None = None
    """The Chatwoot agent bot's access token (`api_access_token`): posts its replies."""
    chatwoot_webhook_secret: SecretStr | None = None
    """The Chatwoot agent bot's webhook secret: checks `X-Chatwoot-Signature` (HMAC-SHA256 over
    `<X-Chatwoot-Timestamp>.<body>`); with `chatwoot_token` and `chatwoot_url` it turns
    `/webhooks/chatwoot` on (else 404)."""

    # --- channels: outbound delivery (the outbox worker) -------------------------------------
    outbox_max_attempts: int = Field(default=6, ge=1, le=50)
    """Delivery attempts of one outbox message before it is `dead`."""
    outbox_backoff_seconds: float = Field(default=5.0, gt=0, le=3600)
    """The first retry's wait; each further retry waits twice as long (at most an hour)."""
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    """How often the delivery worker looks for due messages when nothing wakes it."""
    email_api_url: str | None = None
    """A mail-sending HTTP API (Postmark's `POST /email` shape); unset: email is not sent."""
    email_api_token: SecretStr | None = None
    """Sent as `X-Postmark-Server-Token`."""
    email_from: str | None = None
    """The From address of Threadline's emails; default: the policy's `store.support_email`."""
    twilio_account_sid: str | None = None
    """The Twilio account that sends SMS (with `twilio_auth_token`)."""
    twilio_from_number: str | None = None
    """The number proactive SMS are sent from; replies go from the number the customer wrote to."""
    twilio_api_url: str = "https://api.twilio.com"
    meta_page_token: SecretStr | None = None
    """The Page access token that sends Instagram and Messenger replies (Send API)."""
    meta_graph_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_token: SecretStr | None = None
    """The WhatsApp Cloud API access token."""
    whatsapp_phone_number_id: str | None = None
    """The business number proactive WhatsApp messages are sent from."""
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    chatwoot_url: str | None = None
    """The Chatwoot installation's base URL (`https://chatwoot.example.com`)."""

    # --- the chat widget ---------------------------------------------------------------------
    widget_enabled: bool | None = None
    """Serve the chat widget's public endpoint and `/demo`; default: on for the demo store."""
    widget_origins: str | None = None
    """Comma-separated origins allowed to embed the widget (CORS); default: same origin only."""

    @field_validator("events_webhook_types")
    @classmethod
    def _known_event_types(cls, value: str | None) -> str | None:
        if value is None:
            return None
        unknown = sorted(set(split_list(value)) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(
                f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}"
            )
        return value

    @model_validator(mode="after")
    def _secret_with_url(self) -> Settings:
        if self.events_webhook_url and self.events_webhook_secret is None:
            raise ValueError(
                "THREADLINE_EVENTS_WEBHOOK_SECRET is required when THREADLINE_EVENTS_WEBHOOK_URL "
                "is set (events are always signed)"
            )
        return self

    @property
    def event_sink(self) -> EventSink:
        """What to write for the event webhook (nothing when none is configured)."""
        types = split_list(self.events_webhook_types) if self.events_webhook_types else None
        return EventSink.for_types(bool(self.events_webhook_url), types)

    @field_validator("default_phone_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @property
    def engine_options(self) -> dict[str, Any]:
        """`inbox.db.make_engine`'s pool settings."""
        return {
            "pool_size": self.db_pool_size or 2 * self.max_concurrent_messages + 4,
            "max_overflow": self.db_max_overflow,
            "pool_timeout": self.db_pool_timeout,
        }

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'threadline.db').as_posix()}"
