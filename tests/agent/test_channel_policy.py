"""Per-channel settings in `policy.yaml`: greeting and sign-off, business hours and the
first-response promise in holding replies, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from agent.business_hours import HOLDING_TIMES, holding_time
from agent.channels import format_reply
from tools.policy import PolicyError, StorePolicy, load_policy


def policy_with(channels: dict[str, object], timezone: str = "America/New_York") -> StorePolicy:
    return StorePolicy.model_validate({"store": {"timezone": timezone}, "channels": channels})


def test_email_uses_the_channel_greeting_and_sign_off() -> None:
    text = format_reply(
        "Your refund is on its way.",
        "email",
        customer_name="Ada Lovelace",
        store_name="Lumen & Oak",
        greeting="Dear {name},",
        sign_off="Warm wishes,\nThe Lumen & Oak team",
    ).text
    assert text.startswith("Dear Ada,\n\nYour refund is on its way.")
    assert text.endswith("Warm wishes,\nThe Lumen & Oak team")
    anonymous = format_reply("Hello.", "email", greeting="Hello {name},").text
    assert anonymous.startswith("Hello there,")
    default = format_reply("Hello.", "email", customer_name="Bo", store_name="Shop").text
    assert default.startswith("Hi Bo,") and default.endswith("Best regards,\nShop support")


def test_the_promise_replaces_the_channel_default() -> None:
    policy = policy_with({"sms": {"first_response_promise": "within 2 hours"}})
    monday_noon = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 12:00 in New York
    assert holding_time("sms", policy, monday_noon) == "within 2 hours"
    assert holding_time("email", policy, monday_noon) == HOLDING_TIMES["email"]


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 11, 23, 15, 0, tzinfo=UTC), None),  # Mon 10:00 local: open
        (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), "back today from 09:00"),  # Mon 07:00
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), "back tomorrow from 09:00"),  # Mon 18:30
        (datetime(2026, 11, 27, 23, 0, tzinfo=UTC), "back on Monday from 09:00"),  # Fri 18:00
        (datetime(2026, 11, 28, 15, 0, tzinfo=UTC), "back on Monday from 09:00"),  # Sat
    ],
)
def test_outside_business_hours_the_reply_says_when_the_team_is_back(
    utc: datetime, expected: str | None
) -> None:
    policy = policy_with(
        {
            "chat": {
                "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00"},
                "first_response_promise": "within an hour",
            }
        }
    )
    said = holding_time("chat", policy, utc)
    assert said.startswith("within an hour")
    if expected is None:
        assert said == "within an hour"
    else:
        assert said.endswith(expected)


def test_business_hours_follow_the_store_timezone() -> None:
    hours = {"business_hours": {"start": "09:00", "end": "17:00"}}
    moment = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
    assert "back" not in holding_time("chat", policy_with({"chat": hours}), moment)
    tokyo = policy_with({"chat": hours}, timezone="Asia/Tokyo")  # 00:00 Tuesday there
    assert holding_time("chat", tokyo, moment).endswith("back today from 09:00")


@pytest.mark.parametrize(
    "channels",
    [
        {"sms": {"business_hours": {"start": "18:00", "end": "09:00"}}},
        {"sms": {"business_hours": {"start": "9am"}}},
        {"sms": {"proactive": {"events": ["teleported"]}}},
        {"sms": {"proactive": {"max_per_day": -1}}},
        {"sms": {"greting": "Hi"}},
        {"fax": {"enabled": True}},
    ],
)
def test_channel_settings_are_validated(tmp_path: Path, channels: dict[str, object]) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"channels": channels}))
    with pytest.raises(PolicyError):
        load_policy(path)


def test_every_channel_setting_has_a_default() -> None:
    rule = policy_with({"whatsapp": {}}).channels["whatsapp"]
    assert rule.enabled and rule.greeting is None and rule.business_hours is None
    assert rule.proactive.shipping_updates is False and rule.proactive.max_per_day == 3
    assert rule.proactive.opt_in == "required" and rule.proactive.quiet_hours is not None
