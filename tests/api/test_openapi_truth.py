"""The OpenAPI document says what the API does: error answers, enums, the packet, headers,
webhooks. (Live responses are checked against it by the schemathesis run in test_schema_fuzz.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.escalation import REASON_CODES
from api.main import create_app
from api.settings import Settings
from inbox.models import Channel, EscalationStatus
from inbox.outbound_events import EVENT_TYPES
from tests.api.test_access_matrix import ACCESS

KEYED_ERRORS = {"401", "429", "503"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("spec"))
    with TestClient(create_app(settings)) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def _keyed(operation: dict[str, Any]) -> bool:
    return any("HTTPBearer" in s for s in operation.get("security", []))


def test_every_keyed_route_documents_its_key_errors_in_the_one_error_shape(
    spec: dict[str, Any],
) -> None:
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        if _keyed(operation):
            assert set(responses) >= KEYED_ERRORS, (method, path)
        admits = ACCESS[(method, path)].admits
        if _keyed(operation) and len(admits) < 3:  # not every role: 403 is a real answer
            assert "403" in responses, (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in responses, (method, path)
        if operation.get("requestBody"):
            assert "413" in responses or path.startswith("/webhooks"), (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")) and path != "/readyz":  # readiness: its own body
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
        for status in ("429", "503"):
            if status in responses and path != "/readyz":
                assert "Retry-After" in responses[status]["headers"], (method, path, status)


def test_statuses_channels_outcomes_and_reasons_are_enums(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]

    def enum_of(model: str, field: str) -> set[str]:
        node = schemas[model]["properties"][field]
        if "$ref" in node:
            node = schemas[node["$ref"].rsplit("/", 1)[1]]
        if "anyOf" in node:
            node = next(n for n in node["anyOf"] if n.get("type") != "null")
            if "$ref" in node:
                node = schemas[node["$ref"].rsplit("/", 1)[1]]
        return set(node["enum"])

    assert enum_of("MessageOut", "outcome") == {"replied", "held_for_review", "escalated"}
    assert enum_of("MessageIn", "channel") == {c.value for c in Channel}
    assert enum_of("ReplyOut", "channel") == {c.value for c in Channel}
    assert enum_of("ActionOut", "status") == {"done", "refused", "failed"}
    assert enum_of("EscalationSummary", "status") == {s.value for s in EscalationStatus}
    assert enum_of("EscalationSummary", "reason") == set(REASON_CODES)
    assert enum_of("EscalationReason", "code") == set(REASON_CODES)
    assert enum_of("EventDeliveryPublic", "type") == set(EVENT_TYPES)
    assert enum_of("ConversationPublic", "status") == {"open", "resolved", "escalated"}


def test_the_packet_is_one_schema_by_reference(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    escalation = schemas["MessageOut"]["properties"]["escalation"]["anyOf"]
    assert {"$ref": "#/components/schemas/EscalationPacket"} in escalation
    packet = schemas["EscalationDetail"]["properties"]["packet"]
    assert packet == {"$ref": "#/components/schemas/EscalationPacket"}
    assert "identity_conflicts" in schemas["EscalationPacket"]["properties"]


def test_duplicate_and_retry_headers_are_documented(spec: dict[str, Any]) -> None:
    post = spec["paths"]["/v1/messages"]["post"]["responses"]
    assert "X-Threadline-Duplicate" in post["200"]["headers"]
    assert "Retry-After" in post["409"]["headers"]
    reply = spec["paths"]["/v1/conversations/{conversation_id}/messages"]["post"]["responses"]
    assert "Idempotent-Replay" in reply["200"]["headers"]
    assert "201" in reply


def test_the_event_webhooks_are_documented_with_their_signature(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    webhooks = spec["webhooks"]
    assert set(EVENT_TYPES) | {"escalation-packet"} == set(webhooks)
    for name, item in webhooks.items():
        headers = {p["name"].lower() for p in item["post"]["parameters"]}
        assert {"x-threadline-signature", "x-threadline-timestamp", "x-threadline-delivery"} <= (
            headers
        ), name
        assert "requestBody" in item["post"], name


def test_every_time_field_is_a_date_time(spec: dict[str, Any], tmp_path: Path) -> None:
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        for field, node in schema.get("properties", {}).items():
            if field.endswith("_at") and name != "HTTPValidationError":
                options = node.get("anyOf", [node])
                assert any(o.get("format") == "date-time" for o in options), (name, field)
