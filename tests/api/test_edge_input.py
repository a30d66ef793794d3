"""Edge input gets a clear 4xx, never a 500, and SQL errors never print what was sent (issue 9)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api import schemas
from api.logging import JsonFormatter
from api.main import create_app
from api.settings import Settings
from inbox.db import session_scope
from inbox.models import ApiKey, Customer, Role
from tests.agent.conftest import AgentApi, make_agent_api
from tests.api.conftest import Api
from tests.api.test_access_matrix import ACCESS


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


@pytest.mark.parametrize("sent_at", ["9999-12-31T23:59:59-12:00", "1969-07-20T20:17:00Z"])
def test_a_persons_reply_with_a_date_outside_the_range_is_422(api: Api, sent_at: str) -> None:
    response = api.client.post(
        "/v1/conversations/cnv_any/messages",
        headers=api.headers("helpdesk"),
        json={"channel": "chat", "text": "hi", "author": {"name": "Sam"}, "sent_at": sent_at},
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


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/v1/customers/cus_%00"),
        ("GET", "/v1/customers/cus_%00/timeline"),
        ("GET", "/v1/conversations/cnv_%00"),
        ("GET", "/v1/escalations/esc_%00"),
        ("PATCH", "/v1/escalations/esc_%00"),
        ("GET", "/v1/traces/trc_%00"),
        ("DELETE", "/v1/keys/key_%00"),
        ("PATCH", "/v1/conversations/cnv_%00"),
        ("POST", "/v1/webhooks/deliveries/evt_%00/retry"),
    ],
)
def test_a_nul_in_a_path_id_is_not_found(api: Api, method: str, url: str) -> None:
    # PostgreSQL refuses NUL in a query's parameters: without the clean-up this was a 500 there.
    body = {"status": "resolved"} if method == "PATCH" else None
    response = api.client.request(method, url, headers=api.headers("admin"), json=body)
    assert response.status_code == 404, response.text
    too_long = api.client.request(
        method, url.replace("%00", "x" * 300), headers=api.headers("admin"), json=body
    )
    assert too_long.status_code == 422, too_long.text


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(["2026-01-01T00:00:00+00:00", "msg_\x00"]),  # a 500 on PostgreSQL before
        _cursor(["not a time", "msg_1"]),
        _cursor({"a": 1}),
        _cursor([1, 2, 3]),
        "%%%",
        "\x00",
    ],
)
def test_a_cursor_this_api_did_not_give_out_is_400(api: Api, cursor: str) -> None:
    with session_scope(api.engine) as session:  # type: ignore[arg-type]
        customer = Customer()
        session.add(customer)
        session.flush()
        customer_id = customer.id
    response = api.client.get(
        f"/v1/customers/{customer_id}/timeline",
        params={"cursor": cursor},
        headers=api.headers("reviewer"),
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_cursor"


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


# --- every string bounded and NUL-free, every date in range: for every request the API takes ---

SCHEMAS_REF = "#/components/schemas/"


def finished(method: str, path: str) -> bool:
    """A route the access matrix has a rule for (a new one without is reported there)."""
    return (method.upper(), path) in ACCESS


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The OpenAPI's operations on finished routes."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if finished(method, path):
                yield method.upper(), path, operation


def _request_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) for every parameter and request body of every operation."""
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            yield f"{method} {path} {parameter['in']} {parameter['name']}", parameter["schema"]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            yield f"{method} {path} body", body["schema"]


def _walk(
    schema: dict[str, Any], where: str, components: dict[str, Any], seen: set[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema under `schema`, with `$ref`s followed (once each)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(SCHEMAS_REF)
        if name not in seen:
            seen.add(name)
            yield from _walk(components[name], name, components, seen)
        return
    yield where, schema
    for key, child in schema.get("properties", {}).items():
        yield from _walk(child, f"{where}.{key}", components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            yield from _walk(child, where, components, seen)
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], f"{where}[]", components, seen)


def _request_nodes(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    components = document["components"]["schemas"]
    for where, schema in _request_schemas(document):
        yield from _walk(schema, where, components, set())


def _openapi(tmp_path: Path) -> dict[str, Any]:
    return create_app(Settings(data_dir=tmp_path, database_url="sqlite://")).openapi()


def test_every_string_a_request_carries_is_bounded(tmp_path: Path) -> None:
    unbounded = [
        where
        for where, node in _request_nodes(_openapi(tmp_path))
        if node.get("type") == "string"
        and "maxLength" not in node
        and "enum" not in node
        and node.get("format") != "date-time"
    ]
    assert unbounded == []


def test_every_request_body_drops_nul_and_its_dates_are_the_checked_ones(tmp_path: Path) -> None:
    document = _openapi(tmp_path)
    components = document["components"]["schemas"]
    bodies = {
        name
        for where, schema in _request_schemas(document)
        if where.endswith(" body")
        for name in _referenced(schema, components)
    }
    assert bodies >= {"MessageIn", "MessageCustomer", "KeyCreate", "EscalationUpdate"}
    for name in bodies:
        model = getattr(schemas, name, None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            assert issubclass(model, schemas.StrictRequest), f"{name} does not drop NUL"
        else:  # an enum: no free text
            assert "enum" in components[name], name
    dates = {where for where, node in _request_nodes(document) if node.get("format") == "date-time"}
    # Each one is proven by `test_dates_outside_a_sane_range_are_422` (and the fuzzing).
    assert dates == {"MessageIn.sent_at", "HumanReplyIn.sent_at"}


def _referenced(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The names of the component schemas `schema` uses, however deep."""
    names: set[str] = set()
    list(_walk(schema, "", components, names))  # the walk records each name it follows
    return names


@pytest.fixture
def store_api(database_url: str, tmp_path: Path) -> Iterator[AgentApi]:
    """The demo store's app on the database `database_url` names."""
    yield from make_agent_api(tmp_path, database_url=database_url)


@pytest.mark.slow
@pytest.mark.parametrize(
    # SQLite takes NUL, and the fuzzing sends it in every field there (test_schema_fuzz.py).
    "database_url",
    [pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_a_message_with_nul_in_every_string_is_stored_without_it(store_api: AgentApi) -> None:
    message = {
        "channel": "email",
        "external_id": "nul-\x00everywhere",
        "thread_id": "thr\x00ead",
        "customer": {
            "email": "nu\x00la@example.com",
            "phone": "+1 415 555 01\x0099",
            "handle": "nu\x00la",
            "name": "Nu\x00la",
            "verified": [],
        },
        "subject": "My or\x00der",
        "text": "Where is my or\x00der?",
        "sent_at": "2100-01-01T00:00:00Z",  # the last moment in range (which overflowed once)
    }
    reply = store_api.client.post("/v1/messages", json=message, headers=store_api.headers)
    assert reply.status_code == 200, reply.text
    customer_id = reply.json()["customer_id"]
    customer = store_api.client.get(f"/v1/customers/{customer_id}", headers=store_api.headers)
    timeline = store_api.client.get(
        f"/v1/customers/{customer_id}/timeline", headers=store_api.headers
    )
    for response in (customer, timeline):
        assert response.status_code == 200, response.text
        assert "\\u0000" not in response.text
    assert customer.json()["name"] == "Nula"
    identities = {(i["kind"], i["value"]) for i in customer.json()["identities"]}
    assert ("email", "nula@example.com") in identities
    inbound = next(m for m in timeline.json()["messages"] if m["direction"] == "in")
    assert (inbound["text"], inbound["subject"]) == ("Where is my order?", "My order")
    assert (inbound["external_id"], inbound["thread_id"]) == ("nul-everywhere", "thread")
    earliest = store_api.client.post(
        "/v1/messages",
        json={**message, "external_id": "earliest", "sent_at": "1990-01-01T00:00:00+00:00"},
        headers=store_api.headers,
    )
    assert earliest.status_code == 200, earliest.text
