"""Who may call what: every route of the app against every kind of caller.

`ACCESS` is the spec. It is checked against the routes the app really serves, so a new route
without an entry (or an entry for a route that is gone) fails here before it ships. Webhooks are
authenticated by the sender's signature of the body instead of an API key: for them the matrix
checks that no key, however privileged, stands in for the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from pydantic import SecretStr

from api.main import create_app
from api.settings import Settings
from inbox.db import session_scope
from inbox.keys import create_key, revoke_key
from inbox.models import Role
from tests.api.conftest import Api

PUBLIC = frozenset({"none", "revoked", *Role})
"""A route with no key check: every caller is admitted, even one without a key."""
READERS = frozenset({Role.helpdesk, Role.reviewer, Role.admin})
HELPDESK = frozenset({Role.helpdesk, Role.admin})
ADMIN = frozenset({Role.admin})
REVIEWERS = frozenset({Role.reviewer, Role.admin})

CALLERS = ("none", "revoked", *Role)
"""No Authorization header, a revoked key, and one live key per role."""


@dataclass(frozen=True)
class Rule:
    admits: frozenset[str]
    """The callers that get past authentication and authorisation."""
    status: int
    """What an admitted caller gets for `url`: a success, or the answer for a missing resource
    (404) or a missing store (503; 409 for knowledge ingest) when the app serves no store."""
    url: str | None = None
    """The URL to call, when the path has parameters; default: the path itself."""
    json: dict[str, Any] | None = field(default=None)
    """A well-formed body, for routes that take one."""
    signed: bool = False
    """Authenticated by a signature of the body (a webhook), not by an API key: unsigned calls
    get 401 whatever key they carry, signed ones are admitted with or without one."""
    signer: str = "shopify"
    """Whose signature: `shopify` or `chatwoot`."""


ACCESS: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): Rule(PUBLIC, 200),
    ("GET", "/readyz"): Rule(PUBLIC, 200),
    ("GET", "/openapi.json"): Rule(PUBLIC, 200),
    ("GET", "/docs"): Rule(PUBLIC, 200),
    ("GET", "/docs/oauth2-redirect"): Rule(PUBLIC, 200),
    ("GET", "/redoc"): Rule(PUBLIC, 200),
    ("GET", "/v1/schemas/escalation-packet"): Rule(PUBLIC, 200),
    ("GET", "/v1/customers/{customer_id}"): Rule(READERS, 404, "/v1/customers/cus_missing"),
    ("GET", "/v1/customers/{customer_id}/timeline"): Rule(
        READERS, 404, "/v1/customers/cus_missing/timeline"
    ),
    ("GET", "/v1/conversations/{conversation_id}"): Rule(
        READERS, 404, "/v1/conversations/con_missing"
    ),
    ("GET", "/v1/customers"): Rule(HELPDESK, 200, "/v1/customers?email=matrix@example.com"),
    ("POST", "/v1/conversations/{conversation_id}/messages"): Rule(
        HELPDESK,
        404,
        "/v1/conversations/cnv_missing/messages",
        {"channel": "chat", "text": "Sam here.", "author": {"name": "Sam"}},
    ),
    ("PATCH", "/v1/conversations/{conversation_id}"): Rule(
        HELPDESK, 404, "/v1/conversations/cnv_missing", {"status": "resolved"}
    ),
    ("GET", "/v1/webhooks/deliveries"): Rule(HELPDESK, 200),
    ("POST", "/v1/webhooks/deliveries/{event_id}/retry"): Rule(
        HELPDESK, 404, "/v1/webhooks/deliveries/evt_missing/retry"
    ),
    ("GET", "/v1/escalations"): Rule(READERS, 200),
    ("GET", "/v1/escalations/{escalation_id}"): Rule(READERS, 404, "/v1/escalations/esc_missing"),
    ("PATCH", "/v1/escalations/{escalation_id}"): Rule(
        READERS, 404, "/v1/escalations/esc_missing", {"status": "claimed"}
    ),
    ("GET", "/v1/traces/{trace_id}"): Rule(READERS, 404, "/v1/traces/trc_missing"),
    ("POST", "/v1/messages"): Rule(
        HELPDESK,
        503,
        json={
            "channel": "email",
            "external_id": "access-matrix-1",
            "customer": {"email": "matrix@example.com"},
            "text": "where is my order?",
        },
    ),
    ("POST", "/v1/keys"): Rule(ADMIN, 201, json={"role": "reviewer", "name": "access matrix"}),
    ("GET", "/v1/keys"): Rule(ADMIN, 200),
    ("DELETE", "/v1/keys/{key_id}"): Rule(ADMIN, 404, "/v1/keys/key_missing"),
    ("POST", "/v1/knowledge/ingest"): Rule(ADMIN, 409),
    ("GET", "/v1/privacy/exports"): Rule(ADMIN, 200),
    ("GET", "/v1/privacy/exports/{export_id}"): Rule(ADMIN, 404, "/v1/privacy/exports/pex_missing"),
    ("GET", "/v1/reviews"): Rule(REVIEWERS, 200),
    ("GET", "/v1/reviews/{review_id}"): Rule(REVIEWERS, 404, "/v1/reviews/rev_missing"),
    ("POST", "/v1/reviews/{review_id}/approve"): Rule(
        REVIEWERS, 404, "/v1/reviews/rev_missing/approve", {}
    ),
    ("POST", "/v1/reviews/{review_id}/edit"): Rule(
        REVIEWERS, 404, "/v1/reviews/rev_missing/edit", {"text": "Thanks!"}
    ),
    ("POST", "/v1/reviews/{review_id}/reject"): Rule(
        REVIEWERS, 404, "/v1/reviews/rev_missing/reject", {"category": "tone"}
    ),
    ("GET", "/v1/gate"): Rule(REVIEWERS, 503),
    ("POST", "/v1/gate/{channel}/promote"): Rule(ADMIN, 503, "/v1/gate/email/promote", {}),
    ("POST", "/v1/gate/{channel}/demote"): Rule(ADMIN, 503, "/v1/gate/email/demote", {}),
    ("GET", "/v1/outbox"): Rule(HELPDESK, 200),
    ("POST", "/v1/outbox/{outbox_id}/retry"): Rule(HELPDESK, 404, "/v1/outbox/obx_missing/retry"),
    # Channel webhooks are signed by their provider; with no secret set the channel is off.
    ("POST", "/webhooks/email"): Rule(PUBLIC, 404, json={}),
    ("GET", "/webhooks/meta"): Rule(PUBLIC, 404),
    ("POST", "/webhooks/meta"): Rule(PUBLIC, 404, json={}),
    ("GET", "/webhooks/whatsapp"): Rule(PUBLIC, 404),
    ("POST", "/webhooks/whatsapp"): Rule(PUBLIC, 404, json={}),
    ("POST", "/webhooks/twilio/sms"): Rule(PUBLIC, 404, json={}),
    ("POST", "/webhooks/twilio/voice"): Rule(PUBLIC, 404, json={}),
    # The chat widget is public (browsers hold no key); with no store it is off.
    ("GET", "/demo"): Rule(PUBLIC, 404),
    ("GET", "/widget/{name}"): Rule(PUBLIC, 404, "/widget/widget.js"),
    ("GET", "/widget/messages"): Rule(PUBLIC, 404),
    ("OPTIONS", "/widget/messages"): Rule(PUBLIC, 404),
    ("POST", "/widget/messages"): Rule(
        PUBLIC, 404, json={"visitor_id": "v" * 32, "message_id": "access-matrix-1", "text": "Hi"}
    ),
    # An event the bot does not act on: acknowledged and ignored.
    ("POST", "/webhooks/chatwoot"): Rule(
        PUBLIC, 200, json={"event": "webwidget_triggered"}, signed=True, signer="chatwoot"
    ),
    ("GET", "/review"): Rule(PUBLIC, 200),
    ("GET", "/review/assets/{name}"): Rule(PUBLIC, 200, "/review/assets/review.js"),
    # A topic the app does not handle: acknowledged (200) and ignored, so nothing changes.
    ("POST", "/webhooks/shopify"): Rule(PUBLIC, 200, json={"id": 1}, signed=True),
}

WEBHOOK_SECRET = "access-matrix-webhook-secret"


def _chatwoot_signed(body: bytes) -> dict[str, str]:
    """Headers Chatwoot (4.13+) sends with an agent bot's delivery of `body`."""
    stamp = str(int(time.time()))
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Signature": f"sha256={digest.hexdigest()}",
        "X-Chatwoot-Delivery": "access-matrix",
    }


def _shopify_signed(body: bytes) -> dict[str, str]:
    """Headers Shopify sends with `body`, signed with the app's secret."""
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "access-matrix",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
    }


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers; HEAD only where it is not GET's automatic twin."""
    routes = set()
    for context in iter_route_contexts(app.routes):
        methods = context.methods or set()
        for method in methods:
            if method == "HEAD" and "GET" in methods:
                continue
            routes.add((method, str(context.path)))
    return routes


def test_every_served_route_has_an_access_rule(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    served = served_routes(app)
    assert served - ACCESS.keys() == set(), "routes without an entry in ACCESS"
    assert ACCESS.keys() - served == set(), "entries in ACCESS for routes the app does not serve"
    assert ("POST", "/v1/messages") in served  # the enumeration sees the included routers


def _revoked_key(api: Api) -> str:
    with session_scope(api.engine) as session:  # type: ignore[arg-type]
        plaintext, key = create_key(session, Role.helpdesk, "revoked for the access matrix")
        assert revoke_key(session, key.id)
    return plaintext


SIGNERS = {"shopify": _shopify_signed, "chatwoot": _chatwoot_signed}


def test_every_route_admits_exactly_the_callers_its_rule_names(api: Api) -> None:
    app: FastAPI = api.client.app  # type: ignore[assignment]
    served = served_routes(app)
    assert served == ACCESS.keys()
    app.state.settings = app.state.settings.model_copy(
        update={
            "shopify_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "chatwoot_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "chatwoot_token": SecretStr("access-matrix-bot-token"),
            "chatwoot_url": "http://127.0.0.1:9",
        }
    )
    headers: dict[str, dict[str, str]] = {
        "none": {},
        "revoked": {"Authorization": f"Bearer {_revoked_key(api)}"},
        **{role.value: api.headers(role.value) for role in Role},
    }
    mismatches = []
    for (method, path), rule in sorted(ACCESS.items()):
        for caller in CALLERS:
            if rule.signed:
                body = json.dumps(rule.json).encode()
                unsigned = api.client.request(
                    method, rule.url or path, content=body, headers=headers[caller]
                )
                if unsigned.status_code != 401:
                    mismatches.append(
                        f"{method} {path} unsigned as {caller}: {unsigned.status_code}, "
                        "expected 401"
                    )
                response = api.client.request(
                    method,
                    rule.url or path,
                    content=body,
                    headers={**headers[caller], **SIGNERS[rule.signer](body)},
                )
            else:
                response = api.client.request(
                    method, rule.url or path, json=rule.json, headers=headers[caller]
                )
            if caller in rule.admits:
                expected = rule.status
            elif caller in ("none", "revoked"):
                expected = 401
            else:
                expected = 403
            if response.status_code != expected:
                mismatches.append(
                    f"{method} {path} as {caller}: {response.status_code}, expected {expected}"
                )
            elif expected in (401, 403):
                code = "unauthorized" if expected == 401 else "forbidden"
                assert response.json()["error"]["code"] == code
    assert mismatches == []
