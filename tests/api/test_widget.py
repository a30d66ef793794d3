"""The chat widget's public endpoint and pages over HTTP: answers a visitor may see and nothing
more, once per message id, on for the demo store only unless configured, limited, CORS only for
configured origins, and an email typed in is a claim (issue: chat widget)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.main import create_app
from api.ratelimit import RateLimiter
from api.routes import widget
from api.routes.widget import HELD_NOTE, WidgetLimiter, WidgetLimits, visitor_key
from api.settings import DEMO_STORE_DIR, Settings
from evals.stores.second import write_second_store
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Direction, Message, Review, Role

VISITOR_HEADER = "X-Threadline-Visitor"
NO_LIMITS = WidgetLimits(RateLimiter(0, 0), RateLimiter(0, 0), RateLimiter(0, 0))


def with_widget(app: FastAPI) -> FastAPI:
    """`app` with the widget's router (the app registers it itself once the lead adds it)."""
    if not any(str(c.path).startswith("/widget") for c in iter_route_contexts(app.routes)):
        app.include_router(widget.router)
    return app


@dataclass
class WidgetApi:
    client: TestClient
    engine: Engine
    admin: dict[str, str]
    """The Authorization header of an admin key (for the helpdesk's side of the checks)."""

    @property
    def app(self) -> FastAPI:
        app: FastAPI = self.client.app  # type: ignore[assignment]
        return app

    def say(self, visitor: str, text: str, **fields: Any) -> Any:
        body = {"visitor_id": visitor, "message_id": new_id(), "text": text, **fields}
        return self.client.post("/widget/messages", json=body)

    def later(self, visitor: str, after: str | None = None) -> Any:
        params = {"after": after} if after else {}
        return self.client.get("/widget/messages", params=params, headers={VISITOR_HEADER: visitor})

    def messages(self) -> int:
        """Every message recorded, on any channel."""
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(Message)).one())

    def recorded(self, visitor: str, direction: Direction = Direction.inbound) -> int:
        """Messages of `direction` on the visitor's thread (inbound) or its conversations."""
        with Session(self.engine) as session:
            thread = visitor_key(visitor)
            if direction == Direction.inbound:
                query = select(func.count()).where(
                    Message.thread_id == thread, Message.direction == direction
                )
            else:
                conversations = select(Message.conversation_id).where(Message.thread_id == thread)
                query = select(func.count()).where(
                    col(Message.conversation_id).in_(conversations),
                    Message.direction == direction,
                )
            return int(session.exec(query).one())


def new_visitor() -> str:
    return secrets.token_urlsafe(24)


def new_id() -> str:
    return secrets.token_urlsafe(12)


def serve_widget(tmp: Path, **settings: Any) -> Iterator[WidgetApi]:
    """The app (with the widget) on a real SQLite database under `tmp`, started, no limits."""
    app_settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp}/db.sqlite", **settings)
    engine = make_engine(app_settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        key, _ = create_key(session, Role.admin, "widget tests")
    app = with_widget(create_app(app_settings, engine))
    app.state.widget_limits = NO_LIMITS
    with TestClient(app) as client:
        yield WidgetApi(client, engine, {"Authorization": f"Bearer {key}"})
    engine.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetApi]:
    """The demo store's app: the widget is on by default."""
    yield from serve_widget(tmp_path_factory.mktemp("widget-demo"), store_dir=DEMO_STORE_DIR)


# --- answers -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_question_gets_an_answer_and_nothing_a_visitor_may_not_see(demo: WidgetApi) -> None:
    response = demo.say(new_visitor(), "What is your return policy?")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"outcome", "reply", "note"}
    assert answer["outcome"] == "replied"
    assert set(answer["reply"]) == {"text", "parts"}
    assert "30 days" in answer["reply"]["text"]
    assert answer["reply"]["parts"] == [answer["reply"]["text"]]
    assert answer["note"] is None
    for internal in ("cus_", "cnv_", "trc_", "intent", "sources", "escalation", "returns-and"):
        assert internal not in response.text


@pytest.mark.slow
def test_the_same_message_id_is_answered_once(demo: WidgetApi) -> None:
    visitor = new_visitor()
    body = {"visitor_id": visitor, "message_id": new_id(), "text": "How long does shipping take?"}
    first = demo.client.post("/widget/messages", json=body)
    again = demo.client.post("/widget/messages", json=body)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.json() == first.json()
    assert demo.recorded(visitor) == 1
    assert demo.recorded(visitor, Direction.outbound) == 1


@pytest.mark.slow
def test_the_visitor_id_continues_one_conversation(demo: WidgetApi) -> None:
    visitor = new_visitor()
    for text in ("Hi there", "What is your return policy?"):
        assert demo.say(visitor, text).status_code == 200
    with Session(demo.engine) as session:
        rows = session.exec(select(Message).where(Message.thread_id == visitor_key(visitor))).all()
    assert len(rows) == 2
    assert len({row.customer_id for row in rows}) == 1
    assert len({row.conversation_id for row in rows}) == 1
    assert all(visitor not in (row.external_id or "") for row in rows)  # stored as a hash


VISITOR = "V" * 32
"""Stands for a fresh visitor's id in `INVALID_BODIES`."""
INVALID_BODIES = [
    {"visitor_id": "short", "message_id": "m-00000001", "text": "hi"},
    {"visitor_id": "x" * 65, "message_id": "m-00000001", "text": "hi"},
    {"visitor_id": "not/url+safe" * 3, "message_id": "m-00000001", "text": "hi"},
    {"message_id": "m-00000001", "text": "hi"},
    {"visitor_id": None, "message_id": "m-00000001", "text": "hi"},
    {"visitor_id": VISITOR, "message_id": "m1", "text": "hi"},
    {"visitor_id": VISITOR, "text": "hi"},
    {"visitor_id": VISITOR, "message_id": "m-00000001"},
    {"visitor_id": VISITOR, "message_id": "m-00000001", "text": ""},
    {"visitor_id": VISITOR, "message_id": "m-00000001", "text": "   \n "},
    {"visitor_id": VISITOR, "message_id": "m-00000001", "text": "x" * 4001},
    {"visitor_id": VISITOR, "message_id": "m-00000001", "text": "hi", "verified": ["email"]},
    {"visitor_id": VISITOR, "message_id": "m-00000001", "text": "hi", "email": "e" * 321},
    {"visitor_id": VISITOR, "message_id": "m-00000001", "text": "hi", "name": "n" * 201},
]


@pytest.mark.slow
@pytest.mark.parametrize("body", INVALID_BODIES)
def test_an_invalid_body_is_422_and_records_nothing(demo: WidgetApi, body: dict[str, Any]) -> None:
    visitor = new_visitor()
    before = demo.messages()
    body = {k: visitor if v == VISITOR else v for k, v in body.items()}
    response = demo.client.post("/widget/messages", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert demo.messages() == before


@pytest.mark.slow
def test_an_email_that_is_no_email_is_refused_before_anything_is_recorded(
    demo: WidgetApi,
) -> None:
    visitor = new_visitor()
    before = demo.messages()
    response = demo.say(visitor, "Where is my order?", email="not an email")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_sender"
    assert demo.messages() == before


@pytest.mark.slow
def test_an_email_typed_in_is_a_claim_that_joins_no_record(demo: WidgetApi) -> None:
    email = "clara.kim43@fastmail.com"  # a demo-store customer
    proven = demo.client.post(
        "/v1/messages",
        headers=demo.admin,
        json={
            "channel": "chat",
            "external_id": "widget-test-logged-in",
            "customer": {"handle": "shop-session-1", "email": email, "verified": ["email"]},
            "text": "Hello",
        },
    )
    assert proven.status_code == 200, proven.text
    owner = proven.json()["customer_id"]

    visitor = new_visitor()
    assert demo.say(visitor, "Hello, it's Clara", email=email).status_code == 200
    found = demo.client.get(
        "/v1/customers", params={"handle": visitor_key(visitor)}, headers=demo.admin
    )
    assert found.status_code == 200, found.text
    [claimant] = found.json()["customers"]
    assert claimant["id"] != owner
    assert not any(i["kind"] == "email" and i["verified"] for i in claimant["identities"])
    by_email = demo.client.get("/v1/customers", params={"email": email}, headers=demo.admin)
    assert [c["id"] for c in by_email.json()["customers"]] == [owner]
    record = demo.client.get(f"/v1/customers/{owner}", headers=demo.admin).json()
    assert claimant["id"] not in record["merged_ids"]
    assert all(
        i["kind"] != "chat_visitor" or i["value"] != visitor_key(visitor)
        for i in record["identities"]
    )


# --- replies that come later -------------------------------------------------------------------
def _conversation_of(demo: WidgetApi, visitor: str) -> str:
    with Session(demo.engine) as session:
        row = session.exec(select(Message).where(Message.thread_id == visitor_key(visitor))).first()
    assert row is not None
    return row.conversation_id


@pytest.mark.slow
def test_a_teammates_reply_reaches_only_the_visitor_it_was_for(demo: WidgetApi) -> None:
    visitor = new_visitor()
    handed_over = demo.say(visitor, "I want to speak to a human please")
    assert handed_over.status_code == 200, handed_over.text
    answer = handed_over.json()
    assert answer["outcome"] == "escalated"
    assert answer["reply"] is not None or answer["note"]
    assert demo.later(visitor).json() == {"replies": []}

    teammate = demo.client.post(
        f"/v1/conversations/{_conversation_of(demo, visitor)}/messages",
        headers=demo.admin,
        json={
            "channel": "chat",
            "text": "Hi, Sam here: how can I help?",
            "author": {"name": "Sam"},
        },
    )
    assert teammate.status_code == 201, teammate.text
    later = demo.later(visitor)
    assert later.status_code == 200, later.text
    [reply] = later.json()["replies"]
    assert (reply["text"], reply["author"]) == ("Hi, Sam here: how can I help?", "human")
    assert reply["sent_at"].endswith("Z")
    assert demo.later(visitor, after=reply["id"]).json() == {"replies": []}

    assert demo.later(new_visitor()).json() == {"replies": []}  # someone else's id
    unknown = demo.later(visitor, after="msg_0123")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "invalid_cursor"
    missing = demo.client.get("/widget/messages")
    assert missing.status_code == 422
    assert demo.client.get("/widget/messages", headers={VISITOR_HEADER: "short"}).status_code == 422


# --- limits and origins -----------------------------------------------------------------------
@pytest.mark.slow
def test_too_many_messages_from_one_visitor_get_429(demo: WidgetApi) -> None:
    demo.app.state.widget_limits = WidgetLimits(messages=RateLimiter(60, 2))
    try:
        visitor = new_visitor()
        assert [demo.say(visitor, "Hi").status_code for _ in range(2)] == [200, 200]
        limited = demo.say(visitor, "Hi again")
        assert limited.status_code == 429, limited.text
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        assert demo.recorded(visitor) == 2
        assert demo.say(new_visitor(), "Hi").status_code == 200  # another visitor
    finally:
        demo.app.state.widget_limits = NO_LIMITS


@pytest.mark.slow
def test_one_address_making_up_visitor_ids_is_limited_too(demo: WidgetApi) -> None:
    demo.app.state.widget_limits = WidgetLimits(address=RateLimiter(60, 3))
    try:
        statuses = [demo.later(new_visitor()).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = demo.say(new_visitor(), "Hi")
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers
    finally:
        demo.app.state.widget_limits = NO_LIMITS


def test_idle_visitors_are_forgotten() -> None:
    now = [0.0]
    limiter = WidgetLimiter(60, 2, clock=lambda: now[0])
    limiter.PRUNE_ABOVE = 3
    for key in ("a", "b", "c", "d"):
        assert limiter.acquire(key) == 0
    now[0] = 120.0  # every bucket is full again
    assert limiter.acquire("e") == 0
    assert set(limiter._buckets) == {"e"}


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


@pytest.mark.slow
def test_cors_is_only_for_the_configured_origins(demo: WidgetApi) -> None:
    shop, other = "https://shop.example", "https://elsewhere.example"
    refused = demo.client.options("/widget/messages", headers={"Origin": shop, **PREFLIGHT})
    assert refused.status_code == 403  # none configured: same origin only
    assert "access-control-allow-origin" not in refused.headers

    settings = demo.app.state.settings
    demo.app.state.settings = settings.model_copy(update={"widget_origins": f"{shop}/, x.example"})
    try:
        allowed = demo.client.options("/widget/messages", headers={"Origin": shop, **PREFLIGHT})
        assert allowed.status_code == 204, allowed.text
        assert allowed.headers["access-control-allow-origin"] == shop
        assert "POST" in allowed.headers["access-control-allow-methods"]
        assert VISITOR_HEADER in allowed.headers["access-control-allow-headers"]
        assert "Origin" in allowed.headers["vary"]

        refused = demo.client.options("/widget/messages", headers={"Origin": other, **PREFLIGHT})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        assert "access-control-allow-origin" not in refused.headers

        # Answers and errors alike are readable by the allowed origin's script, and only by it.
        answer = demo.client.post(
            "/widget/messages",
            headers={"Origin": shop},
            json={"visitor_id": new_visitor(), "message_id": new_id(), "text": "Hi"},
        )
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == shop
        invalid = demo.client.post("/widget/messages", headers={"Origin": shop}, json={})
        assert invalid.status_code == 422
        assert invalid.headers["access-control-allow-origin"] == shop
        assert "Retry-After" in invalid.headers["access-control-expose-headers"]
        foreign = demo.client.post("/widget/messages", headers={"Origin": other}, json={})
        assert "access-control-allow-origin" not in foreign.headers
    finally:
        demo.app.state.settings = settings


# --- on, off, pages ----------------------------------------------------------------------------
def _unstarted(tmp: Path, **settings: Any) -> TestClient:
    """The app, not started (no store is opened): enough to see whether the widget is on."""
    return TestClient(
        with_widget(create_app(Settings(data_dir=tmp, database_url="sqlite://", **settings)))
    )


WIDGET_CALLS = [
    ("GET", "/demo"),
    ("GET", "/widget/widget.js"),
    ("GET", "/widget/widget.css"),
    ("GET", "/widget/messages"),
    ("POST", "/widget/messages"),
    ("OPTIONS", "/widget/messages"),
]


@pytest.mark.parametrize(
    ("store", "enabled", "on"),
    [
        ("demo", None, True),
        ("demo", False, False),
        ("second", None, False),
        ("second", True, True),
        (None, None, False),
    ],
)
def test_the_widget_is_on_for_the_demo_store_unless_configured(
    tmp_path: Path, store: str | None, enabled: bool | None, on: bool
) -> None:
    store_dir = {"demo": DEMO_STORE_DIR, "second": write_second_store(tmp_path), None: None}[store]
    client = _unstarted(tmp_path, store_dir=store_dir, widget_enabled=enabled)
    for method, path in WIDGET_CALLS:
        response = client.request(method, path)
        if on:
            assert response.status_code != 404, (method, path)
        else:
            assert response.status_code == 404, (method, path)
            assert response.json()["error"]["code"] == "not_found"


def test_a_store_that_is_not_started_answers_503(tmp_path: Path) -> None:
    client = _unstarted(tmp_path, widget_enabled=True)
    response = client.post(
        "/widget/messages", json={"visitor_id": new_visitor(), "message_id": new_id(), "text": "Hi"}
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "no_store"


def test_the_script_and_its_style_are_served_as_such(tmp_path: Path) -> None:
    client = _unstarted(tmp_path, widget_enabled=True)
    script = client.get("/widget/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "innerHTML" not in script.text and "http://" not in script.text.replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert client.get("/widget/widget.css").headers["content-type"].startswith("text/css")
    assert client.get("/widget/demo.html").status_code == 404  # only the assets, by name
    assert client.get("/widget/..%2Fwidget.py").status_code == 404


@pytest.mark.slow
def test_the_demo_page_names_the_store_and_loads_the_widget(demo: WidgetApi) -> None:
    page = demo.client.get("/demo")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<title>Northwind Outfitters" in page.text
    assert '<script src="widget/widget.js" data-title="Northwind Outfitters" defer>' in page.text
    assert 'data-threadline-ask="What is your return policy?"' in page.text
    assert "help@northwind-outfitters.example" in page.text
    assert "http://testserver/widget/widget.js" in page.text  # the snippet to paste


def test_the_openapi_documents_the_public_routes_in_the_one_error_shape(tmp_path: Path) -> None:
    spec = with_widget(create_app(Settings(data_dir=tmp_path, database_url="sqlite://"))).openapi()
    post = spec["paths"]["/widget/messages"]["post"]
    get = spec["paths"]["/widget/messages"]["get"]
    assert "security" not in post and "security" not in get  # public: no key
    assert {"400", "404", "409", "413", "422", "429", "503"} <= set(post["responses"])
    assert {"400", "404", "422", "429"} <= set(get["responses"])
    for operation in (post, get):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}
        assert "Retry-After" in operation["responses"]["429"]["headers"]
    answer = spec["components"]["schemas"]["WidgetAnswer"]
    assert set(answer["properties"]) == {"outcome", "reply", "note"}
    later = spec["components"]["schemas"]["WidgetLaterReply"]["properties"]["sent_at"]
    assert later["format"] == "date-time"
    assert "/demo" not in spec["paths"] and "/widget/{name}" not in spec["paths"]


# --- another store -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetApi]:
    root = tmp_path_factory.mktemp("widget-second")
    yield from serve_widget(root, store_dir=write_second_store(root), widget_enabled=True)


@pytest.mark.slow
def test_a_second_store_works_as_well_as_the_demo(second: WidgetApi) -> None:
    response = second.say(new_visitor(), "How many days do I have to return something?")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["outcome"] == "replied"
    assert "45 days" in answer["reply"]["text"]
    page = second.client.get("/demo")
    assert "Fjord &amp; Pine Outfitters" in page.text
    assert "Northwind" not in page.text


@pytest.mark.slow
def test_a_held_reply_is_shown_only_once_a_reviewer_approves_it(second: WidgetApi) -> None:
    demoted = second.client.post(
        "/v1/gate/chat/demote", headers=second.admin, json={"to": "review", "note": "widget test"}
    )
    assert demoted.status_code == 200, demoted.text

    visitor = new_visitor()
    held = second.say(visitor, "Do you ship to Canada?")
    assert held.status_code == 200, held.text
    assert held.json() == {"outcome": "held_for_review", "reply": None, "note": HELD_NOTE}
    assert second.later(visitor).json() == {"replies": []}

    with Session(second.engine) as session:
        review = session.exec(
            select(Review).where(Review.conversation_id == _conversation_of(second, visitor))
        ).one()
    approved = second.client.post(f"/v1/reviews/{review.id}/approve", headers=second.admin, json={})
    assert approved.status_code == 200, approved.text
    [reply] = second.later(visitor).json()["replies"]
    assert (reply["text"], reply["author"]) == (review.reply_text, "ai")
