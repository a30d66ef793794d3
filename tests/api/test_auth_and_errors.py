import json
import logging

import pytest
from openapi_spec_validator import validate

from api.logging import ContextFilter
from tests.api.conftest import Api


def test_health_needs_no_key_and_readiness_checks_the_database(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}


def test_readiness_fails_when_the_database_is_gone(api: Api) -> None:
    from inbox.db import make_engine

    api.client.app.state.engine = make_engine(  # type: ignore[attr-defined]
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )
    response = api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable"}


def test_missing_key_is_401_with_the_error_shape(api: Api) -> None:
    response = api.client.get("/v1/customers/cus_x")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


def test_unknown_key_is_401(api: Api) -> None:
    response = api.client.get("/v1/customers/cus_x", headers={"Authorization": "Bearer tl_nope"})
    assert response.status_code == 401


def test_wrong_role_is_403_and_right_role_passes(api: Api) -> None:
    for role in ("helpdesk", "reviewer"):
        response = api.client.get("/v1/keys", headers=api.headers(role))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert api.client.get("/v1/keys", headers=api.headers("admin")).status_code == 200
    # helpdesk and reviewer may read customers: the 404 proves they got past auth
    for role in ("helpdesk", "reviewer", "admin"):
        response = api.client.get("/v1/customers/cus_missing", headers=api.headers(role))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_keys_created_over_the_api_work_and_revoked_keys_stop(api: Api) -> None:
    created = api.client.post(
        "/v1/keys", json={"role": "helpdesk", "name": "zendesk"}, headers=api.headers("admin")
    )
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("tl_") and body["role"] == "helpdesk"
    fresh = {"Authorization": f"Bearer {body['key']}"}
    assert api.client.get("/v1/customers/nobody", headers=fresh).status_code == 404
    listed = api.client.get("/v1/keys", headers=api.headers("admin")).json()
    assert all("key" not in k for k in listed)  # plaintext never listed
    assert (
        api.client.delete(f"/v1/keys/{body['id']}", headers=api.headers("admin")).status_code == 204
    )
    assert api.client.get("/v1/customers/nobody", headers=fresh).status_code == 401


def test_unknown_fields_invalid_json_and_oversized_bodies_are_4xx(api: Api) -> None:
    admin = api.headers("admin")
    unknown = api.client.post("/v1/keys", json={"role": "helpdesk", "colour": "red"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["loc"] == ["body", "colour"]
    bad_role = api.client.post("/v1/keys", json={"role": "root"}, headers=admin)
    assert bad_role.status_code == 422
    broken = api.client.post(
        "/v1/keys", content=b'{"role": ', headers={**admin, "content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_json"
    huge = json.dumps({"role": "helpdesk", "name": "x" * 10_000})
    too_big = api.client.post(
        "/v1/keys", content=huge, headers={**admin, "content-type": "application/json"}
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: the limit must hold while streaming
        for _ in range(10):
            yield b"x" * 1000

    streamed = api.client.post(
        "/v1/keys", content=chunks(), headers={**admin, "content-type": "application/json"}
    )
    assert streamed.status_code == 413


def test_unknown_route_and_method_use_the_error_shape(api: Api) -> None:
    missing = api.client.get("/v2/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    wrong = api.client.put("/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_openapi_is_served_and_valid(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    validate(spec)
    assert "/v1/customers/{customer_id}/timeline" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_request_id_is_echoed_and_logged_without_secrets(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(ContextFilter())  # as configure_logging does for the real handler
    response = api.client.post(
        "/v1/keys",
        json={"role": "helpdesk", "name": "jane@example.com"},
        headers={**api.headers("admin"), "X-Request-ID": "req-123"},
    )
    assert response.headers["x-request-id"] == "req-123"
    generated = api.client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    records = [r for r in caplog.records if r.name == "threadline.access"]
    assert records, "every request leaves an access line"
    stamped = [r for r in records if getattr(r, "request_id", None) == "req-123"]
    assert stamped and stamped[0].getMessage() == "POST /v1/keys 201"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert api.keys["admin"] not in text and "jane@example.com" not in text
