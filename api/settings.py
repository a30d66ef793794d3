"""Deployment settings: one class, read where the app or a command is assembled, passed down."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_STORE_DIR = PROJECT_ROOT / "stores" / "demo"


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
    chroma_url: str | None = None
    """A Chroma server (`http://host:8000`); default: a persistent collection under data_dir."""
    bootstrap_api_keys: SecretStr | None = None
    """Comma-separated `role:key` pairs installed (hashed) at start-up, e.g. for CI or a deploy."""
    escalation_webhook_url: str | None = None
    """Where escalation packets are POSTed (signed with HMAC-SHA256); unset: stored only."""
    escalation_webhook_secret: SecretStr | None = None
    """The shared secret for the `X-Threadline-Signature` header."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    """Requests with larger bodies are refused with 413."""
    today: date | None = None
    """Pins the business date for policy windows (tests, replays); default: the real date, or
    for a sandbox store the `today` in its `sandbox/store.json`."""
    default_phone_region: str = "US"
    """Region used to read phone numbers written without a country code."""

    @field_validator("default_phone_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'threadline.db').as_posix()}"
