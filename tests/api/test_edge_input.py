"""Edge input gets a clear 4xx, never a 500, and SQL errors never print what was sent (issue 9)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.logging import JsonFormatter
from inbox.models import ApiKey, Role
from tests.api.conftest import Api


@pytest.mark.parametrize(
    "sent_at",
    [
        "9999-12-31T23:59:59-12:00",  # converting to UTC overflows
        "0001-01-01T00:00:00+14:00",
        "1969-07-20T20:17:00Z",
        "2200-01-01T00:00:00Z",
    ],
)
def test_dates_outside_a_sane_range_are_422(api: Api, sent_at: str) -> None:
    response = api.client.post(
        "/v1/messages",
        headers=api.headers("helpdesk"),
        json={
            "channel": "chat",
            "external_id": "edge-1",
            "customer": {"handle": "edge"},
            "text": "hi",
            "sent_at": sent_at,
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "sent_at"]


def test_nul_characters_are_dropped_before_validation(api: Api) -> None:
    # PostgreSQL refuses NUL in text: without the clean-up this would be a 500 there.
    created = api.client.post(
        "/v1/keys", headers=api.headers("admin"), json={"role": "helpdesk", "name": "de\x00sk"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "desk"
    only_nul = api.client.post(
        "/v1/messages",
        headers=api.headers("helpdesk"),
        json={"channel": "chat", "external_id": "nul", "customer": {"handle": "h"}, "text": "\x00"},
    )
    assert only_nul.status_code == 422  # nothing left of the text


def test_sql_errors_never_carry_the_parameters(api: Api) -> None:
    secret = "77 Juniper Lane, apt 4 - maya@example.com"
    with Session(api.engine) as session:  # type: ignore[call-overload]
        session.add(ApiKey(prefix="x", key_hash=secret, role=Role.helpdesk))
        session.add(ApiKey(prefix="y", key_hash=secret, role=Role.helpdesk))
        with pytest.raises(IntegrityError) as raised:
            session.commit()
    assert "parameters hidden" in str(raised.value)  # SQLAlchemy's own rendering
    # PostgreSQL's message repeats the value ("Key (key_hash)=(...) already exists"): the log
    # formatter drops database error texts from tracebacks.
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, None)
    record.exc_info = (type(raised.value), raised.value, raised.value.__traceback__)
    logged = JsonFormatter().format(record)
    assert secret not in logged
    assert "IntegrityError" in logged and "hidden" in logged
