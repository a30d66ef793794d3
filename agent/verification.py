"""One-time codes: a customer proves they control the email or phone on an order.

A claim ("my email is …" plus an order number) opens that order for reading only. Before a write
on such an order (with `verification.writes: proven`, the default) the agent sends a 6-digit code
to the email or phone on file and asks the customer to reply with it; the reply is both the
explicit yes and the proof. A correct code links the identifier to the customer (and so merges
records that share it); a wrong one counts against `MAX_ATTEMPTS`; a code lives `CODE_TTL`.

Codes are stored as HMAC-SHA256 under a per-code salt, never in clear; every send and check is an
event (without the code or the identifier). Delivery goes through `CodeDelivery`: the default
writes to the outbox table, from which a channel sender (or a test) takes it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from inbox.conversations import record_event
from inbox.models import Channel, OutboxMessage, VerificationCode, utcnow

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
_CODE = re.compile(r"(?<![\d#])(\d{3})[ -]?(\d{3})(?!\d)")


class CodeDelivery(Protocol):
    """Sends a one-time code's message to an email address or a phone number."""

    def deliver(self, *, customer_id: str, kind: str, recipient: str, text: str) -> None: ...


class OutboxDelivery:
    """Writes the code's message to the outbox: sent by Threadline's own adapter when one is
    configured for email or SMS (`providers`), else taken by the channel sender."""

    def __init__(self, engine: Engine, providers: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self.providers = dict(providers or {})
        """The outbox provider per kind of address (`email`, `phone`) that sends codes."""

    def deliver(self, *, customer_id: str, kind: str, recipient: str, text: str) -> None:
        with Session(self.engine) as session:
            session.add(
                OutboxMessage(
                    customer_id=customer_id,
                    channel=Channel.email if kind == "email" else Channel.sms,
                    provider=self.providers.get(kind),
                    recipient=recipient,
                    purpose="verification_code",
                    subject="Your verification code" if kind == "email" else None,
                    body=text,
                )
            )
            session.commit()


class CodeCheck(StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    """Too many wrong tries (or already used): the customer must ask for a new code."""


@dataclass(frozen=True)
class CheckResult:
    outcome: CodeCheck
    kind: str = ""
    value: str = ""
    """The identifier the code proves (only when `outcome` is CORRECT)."""
    attempts_left: int = 0


def mask(kind: str, value: str) -> str:
    """Enough of an email or phone for the customer to recognise it, not enough to learn it."""
    if kind == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}•••@{domain}"
    return f"•••{value[-4:]}"


def find_code(text: str) -> str | None:
    """A 6-digit code in the message ("123456", "123 456", "my code is 123-456")."""
    match = _CODE.search(text)
    return f"{match.group(1)}{match.group(2)}" if match else None


def _digest(code: str, salt: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def send_code(
    engine: Engine,
    delivery: CodeDelivery,
    *,
    customer_id: str,
    kind: str,
    value: str,
    store_name: str,
    channel: str,
) -> str:
    """Create a code for `value`, deliver it, and return the code's id."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    with Session(engine, expire_on_commit=False) as session:
        row = VerificationCode(
            customer_id=customer_id,
            kind=kind,
            value=value,
            code_hash=_digest(code, salt),
            salt=salt,
            expires_at=utcnow() + CODE_TTL,
        )
        session.add(row)
        record_event(
            session,
            "verification_code_sent",
            channel=channel,
            customer_id=customer_id,
            payload={"code_id": row.id, "kind": kind},
        )
        session.commit()
    minutes = int(CODE_TTL.total_seconds() // 60)
    delivery.deliver(
        customer_id=customer_id,
        kind=kind,
        recipient=value,
        text=(
            f"Your {store_name} verification code is {code}. It expires in {minutes} minutes. "
            "If you didn't ask for it, ignore this message and don't share it."
        ),
    )
    return row.id


def check_code(engine: Engine, code_id: str, attempt: str, *, channel: str) -> CheckResult:
    """Check `attempt` against the code; a wrong try counts, a correct one uses the code up."""
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(VerificationCode, code_id, with_for_update=True)
        if row is None or row.used_at is not None or row.attempts >= MAX_ATTEMPTS:
            result = CheckResult(CodeCheck.EXHAUSTED)
        elif _aware(row.expires_at) <= utcnow():
            result = CheckResult(CodeCheck.EXPIRED)
        elif hmac.compare_digest(_digest(attempt, row.salt), row.code_hash):
            row.used_at = utcnow()
            result = CheckResult(CodeCheck.CORRECT, row.kind, row.value)
        else:
            row.attempts += 1
            left = MAX_ATTEMPTS - row.attempts
            result = CheckResult(
                CodeCheck.WRONG if left else CodeCheck.EXHAUSTED, attempts_left=left
            )
        if row is not None:
            record_event(
                session,
                "verification_code_checked",
                channel=channel,
                customer_id=row.customer_id,
                payload={"code_id": row.id, "outcome": result.outcome.value},
            )
        session.commit()
    return result


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
