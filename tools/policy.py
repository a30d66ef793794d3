"""The store's action rules (`policy.yaml`), validated once at load time.

Every key is optional and has a documented default; an unknown key is an error, so a typo in a
merchant's policy never silently falls back to a default that moves money.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreInfo(_Strict):
    name: str = "Our store"
    currency: str = "USD"
    timezone: str = "America/New_York"
    support_email: str | None = None


class ReturnsPolicy(_Strict):
    window_days: int = Field(default=30, ge=0)
    """Days after delivery (else after fulfillment) during which a return may be started."""
    exclude_tags: list[str] = Field(default_factory=lambda: ["final-sale"])
    """Product tags that make an item non-returnable."""


class RefundsPolicy(_Strict):
    auto_approve_limit: float = Field(default=100.0, ge=0)
    """Refunds above this amount are escalated to a human, never issued by the agent."""


class CancellationsPolicy(_Strict):
    allowed_fulfillment_statuses: list[str] = Field(default_factory=lambda: ["unfulfilled"])
    refund_over_limit: Literal["escalate", "allow"] = "escalate"
    """A cancellation refunds what was paid; above `refunds.auto_approve_limit` a person decides
    (`escalate`), unless the store lets cancellations refund any amount (`allow`)."""


class AddressChangesPolicy(_Strict):
    allowed_fulfillment_statuses: list[str] = Field(default_factory=lambda: ["unfulfilled"])


class VerificationPolicy(_Strict):
    require_identity_match: bool = True
    writes: Literal["proven", "claim"] = "proven"
    """What a write (cancel, return, refund, address change) needs: an identity the channel, the
    helpdesk or a one-time code proved (`proven`), or also an order number with the order's
    email or phone (`claim`)."""


class EscalationPolicy(_Strict):
    topics: list[str] = Field(
        default_factory=lambda: ["legal", "chargeback", "self_harm", "harassment"]
    )
    max_ai_turns: int = Field(default=6, ge=1)


Stage = Literal["draft", "review", "autonomous"]
ChannelName = Literal["chat", "email", "instagram", "messenger", "sms", "whatsapp", "voice"]


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class BusinessHours(_Strict):
    """When people answer on a channel, in the store's timezone (`store.timezone`)."""

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: str = Field(default="09:00", pattern=_CLOCK)
    end: str = Field(default="17:00", pattern=_CLOCK)

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class QuietHours(_Strict):
    """No proactive message goes out between `start` and `end` (store time; may wrap midnight);
    one due then waits for `end`."""

    start: str = Field(default="21:00", pattern=_CLOCK)
    end: str = Field(default="08:00", pattern=_CLOCK)


ShippingEvent = Literal["in_transit", "out_for_delivery", "delivered", "failure"]
SHIPPING_EVENTS: tuple[ShippingEvent, ...] = (
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failure",
)


class ProactivePolicy(_Strict):
    """Messages Threadline starts on the channel (SMS and WhatsApp: shipping updates)."""

    shipping_updates: bool = False
    events: list[ShippingEvent] = Field(default_factory=lambda: list(SHIPPING_EVENTS))
    """Which shipment changes are worth a message (`in_transit`: the order shipped)."""
    opt_in: Literal["required", "unless_opted_out"] = "required"
    """`required`: only customers who opted in (the shop's marketing consent for SMS, or
    `START` on the channel); `unless_opted_out`: anyone with a number who did not say STOP."""
    quiet_hours: QuietHours | None = Field(default_factory=QuietHours)
    max_per_day: int = Field(default=3, ge=0)
    """Proactive messages one customer gets on the channel in 24 hours; further ones are
    dropped (recorded as skipped)."""
    template: str | None = None
    """WhatsApp: the approved template sent outside the 24-hour window (body parameters: the
    customer's first name, the order, the update)."""
    template_language: str = "en_US"


class ChannelPolicy(_Strict):
    enabled: bool = True
    """Off: the channel's webhook answers 404 and nothing is taken in on it."""
    greeting: str | None = None
    """The reply's first line (email; `{name}` is the customer's first name), e.g. "Hi {name},"."""
    sign_off: str | None = None
    """The reply's closing (email), e.g. "Warm wishes,\nThe Northwind team"."""
    business_hours: BusinessHours | None = None
    """When people answer; outside them a holding reply says when they will."""
    first_response_promise: str | None = None
    """What a holding reply promises, e.g. "within 4 business hours"."""
    proactive: ProactivePolicy = Field(default_factory=ProactivePolicy)
    stage: Stage = "review"
    review_first: int = Field(default=100, ge=0)
    """AI replies held for review before the channel may go autonomous."""
    sample_rate: float = Field(default=0.05, ge=0, le=1)
    """Share of autonomous replies still sent to reviewers."""
    approval_bar: float = Field(default=0.90, ge=0, le=1)
    """Promotion needs the approval rate's Wilson 95% lower bound at or above this."""
    critical_lookback: int = Field(default=50, ge=1)
    """Promotion needs no critical rejection among this many latest reviews."""
    demote_after: int = Field(default=20, ge=1)
    """Sampled reviews after a promotion before their approval rate can demote the channel (a
    critical rejection demotes at once)."""
    autonomous_intents: list[str] = Field(default_factory=list)
    """In stage `review`: intents already sent at once (the gate adds the ones it promotes)."""
    low_confidence: float = Field(default=0.6, ge=0, le=1)
    """Autonomous replies to messages understood with less confidence are always sampled."""


def _default_channels() -> dict[ChannelName, ChannelPolicy]:
    return {
        "email": ChannelPolicy(stage="review", review_first=100),
        "chat": ChannelPolicy(stage="autonomous", sample_rate=0.05),
    }


LanguageCode = Literal["en", "es", "fr", "de", "pt", "it"]
"""The languages Threadline detects and understands (ISO 639-1)."""


class LanguagesPolicy(_Strict):
    default: LanguageCode = "en"
    """The store's own language: replies are written in it."""
    served: list[LanguageCode] | None = None
    """Languages the store answers in (default: only `default`)."""
    other: Literal["answer", "escalate"] = "answer"
    """A message in a language not served: answer in `default`, with one line in the customer's
    language saying so (`answer`), or hand it to a person (`escalate`)."""

    @model_validator(mode="after")
    def _default_is_served(self) -> LanguagesPolicy:
        if self.served is not None and self.default not in self.served:
            raise ValueError(f"default language {self.default!r} must be one of served")
        return self

    @property
    def served_languages(self) -> tuple[LanguageCode, ...]:
        """`served`, or just `default` when the policy does not list them."""
        return tuple(self.served) if self.served is not None else (self.default,)


class StorePolicy(_Strict):
    store: StoreInfo = Field(default_factory=StoreInfo)
    returns: ReturnsPolicy = Field(default_factory=ReturnsPolicy)
    refunds: RefundsPolicy = Field(default_factory=RefundsPolicy)
    cancellations: CancellationsPolicy = Field(default_factory=CancellationsPolicy)
    address_changes: AddressChangesPolicy = Field(default_factory=AddressChangesPolicy)
    verification: VerificationPolicy = Field(default_factory=VerificationPolicy)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    channels: dict[ChannelName, ChannelPolicy] = Field(default_factory=_default_channels)
    languages: LanguagesPolicy = Field(default_factory=LanguagesPolicy)


class PolicyError(ValueError):
    """The policy file is missing, unreadable or invalid; the message names the file and key."""


def load_policy(path: Path) -> StorePolicy:
    """Read and validate a `policy.yaml`; a missing file means every default."""
    if not path.exists():
        return StorePolicy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PolicyError(f"{path}: not valid YAML: {where}{exc.problem}") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: cannot read policy: {' '.join(str(exc).split())}") from exc
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: policy must be a mapping of sections")
    try:
        return StorePolicy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise PolicyError(f"{path}: {problems}") from exc
