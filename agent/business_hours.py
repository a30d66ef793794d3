"""When a person will answer: the channel's promise and business hours from `policy.yaml`,
for the holding reply the agent sends when it hands a conversation over."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tools.policy import WEEKDAYS, BusinessHours, StorePolicy

HOLDING_TIMES = {
    "chat": "shortly, right here in the chat",
    "email": "by email within one business day",
    "instagram": "here on Instagram within a few hours",
    "messenger": "here on Messenger within a few hours",
    "sms": "by text within a few hours",
    "whatsapp": "here on WhatsApp within a few hours",
    "voice": "with a call back within one business day",
}
"""What a holding reply promises on a channel whose policy promises nothing itself."""

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def store_zone(policy: StorePolicy) -> ZoneInfo:
    try:
        return ZoneInfo(policy.store.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_opening(hours: BusinessHours, local: datetime) -> datetime | None:
    """The next moment the team is in, in store time; None while it is in now."""
    open_days = {WEEKDAYS.index(d) for d in hours.days}
    if not open_days:
        return None
    start_h, start_m = (int(x) for x in hours.start.split(":"))
    for ahead in range(8):
        day = (local + timedelta(days=ahead)).replace(second=0, microsecond=0)
        if day.weekday() not in open_days:
            continue
        opens = day.replace(hour=start_h, minute=start_m)
        closes = day.replace(hour=int(hours.end[:2]), minute=int(hours.end[3:]))
        if ahead == 0 and opens <= local < closes:
            return None
        if local < opens:
            return opens
    return None


def holding_time(channel: str, policy: StorePolicy, now: datetime) -> str:
    """When the customer will hear from a person, as a reply says it: the channel's
    `first_response_promise` (else the channel's usual time), and outside its business hours
    when the team is next in ("on Monday from 09:00")."""
    rule = policy.channels.get(channel)  # type: ignore[call-overload]
    promise = (rule.first_response_promise if rule else None) or HOLDING_TIMES.get(
        channel, "as soon as possible"
    )
    hours = rule.business_hours if rule else None
    if hours is None:
        return promise
    local = now.astimezone(store_zone(policy))
    opening = next_opening(hours, local)
    if opening is None:
        return promise
    day = "today" if opening.date() == local.date() else f"on {DAY_NAMES[opening.weekday()]}"
    if opening.date() == (local + timedelta(days=1)).date():
        day = "tomorrow"
    return f"{promise}; our team is back {day} from {hours.start}"
