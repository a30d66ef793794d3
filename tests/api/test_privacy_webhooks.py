"""Shopify's mandatory privacy webhooks, through the app on SQLite and PostgreSQL (issue 9).

A data request exports everything held on a customer across channels; a customer redaction
erases it from every table and from the agent's checkpoints, leaving only a tombstone; a shop
redaction erases every customer. Deliveries are signed (HMAC), deduplicated, and refused
without a valid signature (401), or without a secret (404: the channel is off), with nothing
recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint
from pydantic import SecretStr
from sqlalchemy import Engine, func, text
from sqlmodel import Session, SQLModel, col, select

from agent.checkpoint import make_checkpointer
from inbox.conversations import current_conversation, record_message
from inbox.identity import IdentityClaim, resolve_customer
from inbox.models import (
    Author,
    Conversation,
    Customer,
    Direction,
    Escalation,
    Event,
    Identity,
    Message,
    OutboxMessage,
    PrivacyExport,
    Review,
    ToolCall,
    Trace,
    VerificationCode,
    WebhookDelivery,
)
from tests.agent.conftest import AgentApi, make_agent_api
from tests.agent.demo import CUSTOMERS
from tests.api.conftest import Api

SECRET = "shpss_privacy_test_secret"
SHOP = "northwind.myshopify.com"

NORA = next(c for c in CUSTOMERS if c.get("email") and c.get("phone"))
KENJI = next(c for c in CUSTOMERS if c.get("email") and c.get("phone") and c is not NORA)

PERSONAL_TABLES: tuple[type[SQLModel], ...] = (
    Customer,
    Identity,
    Conversation,
    Message,
    Escalation,
    Review,
    Trace,
    ToolCall,
    VerificationCode,
    OutboxMessage,
    PrivacyExport,
)


def deliver(
    client: Any,
    topic: str,
    payload: dict[str, Any],
    *,
    webhook_id: str | None = None,
    secret: str = SECRET,
    signature: str | None = None,
) -> Response:
    """POST one delivery as Shopify sends it: the raw body signed with the app's secret."""
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": digest if signature is None else signature,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
    }
    if signature == "":
        del headers["X-Shopify-Hmac-Sha256"]
    response: Response = client.post("/webhooks/shopify", content=body, headers=headers)
    return response


def customer_payload(customer: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "shop_id": 954889,
        "shop_domain": SHOP,
        "customer": {
            "id": customer["id"],
            "email": customer.get("email"),
            "phone": customer.get("phone"),
        },
        **extra,
    }


def count(engine: Engine, model: type[SQLModel], *where: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def events(engine: Engine, kind: str) -> list[Event]:
    with Session(engine) as session:
        return list(session.exec(select(Event).where(Event.kind == kind)).all())


def stored_threads(engine: Engine, data_dir: Path, thread_id: str) -> int:
    """Rows a thread has in the checkpointer's own tables (PostgreSQL, or SQLite's file)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return sum(
                conn.execute(
                    text(f"SELECT count(*) FROM {table} WHERE thread_id = :thread"),
                    {"thread": thread_id},
                ).scalar_one()
                for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
            )
    with sqlite3.connect(data_dir / "checkpoints.sqlite") as conn:
        query = "SELECT count(*) FROM {} WHERE thread_id = ?"
        return sum(
            conn.execute(query.format(table), (thread_id,)).fetchone()[0]
            for table in ("checkpoints", "writes")
        )


# --- the app on the demo store, with its agent ------------------------------------------------


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[AgentApi]:
    """The demo store's app on a real database, with the webhook secret set."""
    yield from make_agent_api(
        tmp_path, database_url=database_url, shopify_webhook_secret=SecretStr(SECRET)
    )


def engine_of(shop: AgentApi) -> Engine:
    engine: Engine = shop.runtime.services.engine
    return engine


def saver_of(shop: AgentApi) -> BaseCheckpointSaver[Any]:
    saver: BaseCheckpointSaver[Any] = shop.runtime.resolver.graph.checkpointer
    return saver


def has_thread(shop: AgentApi, thread_id: str) -> bool:
    return saver_of(shop).get_tuple({"configurable": {"thread_id": thread_id}}) is not None


def talk_on_two_channels(shop: AgentApi, customer: dict[str, Any], handle: str) -> str:
    """The customer asks on chat (logged in), then on email (the reply is held for review),
    then asks for a person; their id."""
    chat = shop.send(
        "chat",
        "How long does shipping to Canada take?",
        handle=handle,
        email=customer["email"],
        verified=["email"],
    )
    held = shop.send("email", "Can I return a jacket I wore once?", email=customer["email"])
    assert held["outcome"] == "held_for_review"
    email = shop.send("email", "I want to talk to a real person please.", email=customer["email"])
    assert email["customer_id"] == chat["customer_id"]
    assert email["outcome"] == "escalated"
    return str(chat["customer_id"])


def seed_writes_and_codes(engine: Engine, nora: str, kenji: str) -> None:
    """What a turn with a write and a one-time code leaves: a ledger entry per customer, and
    codes in the outbox, one of them asked for by Kenji's record but sent to Nora's email."""
    with Session(engine) as session:
        for customer_id in (nora, kenji):
            session.add(
                ToolCall(
                    idempotency_key=f"cancel_order:{customer_id}:pa_1",
                    tool="cancel_order",
                    status="done",
                    result={"tool": "cancel_order", "status": "done", "detail": "Cancelled."},
                )
            )
        for recipient in (NORA["email"], KENJI["phone"]):
            session.add(
                OutboxMessage(
                    customer_id=kenji,
                    channel="email" if "@" in recipient else "sms",
                    recipient=recipient,
                    purpose="verification_code",
                    body="Your code is 123456",
                )
            )
        session.commit()


def test_a_data_request_exports_both_channels_and_the_escalation(
    shop: AgentApi, tmp_path: Path
) -> None:
    nora = talk_on_two_channels(shop, NORA, "v-nora")
    kenji = shop.send("sms", "where is my parcel?", phone=KENJI["phone"])["customer_id"]
    engine = engine_of(shop)
    seed_writes_and_codes(engine, nora, kenji)

    request = customer_payload(NORA, orders_requested=[1001], data_request={"id": 9999})
    first = deliver(shop.client, "customers/data_request", request, webhook_id="wh-export-1")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "done"
    export_id = first.json()["export_id"]

    listed = shop.client.get("/v1/privacy/exports", headers=shop.headers).json()["exports"]
    assert [e["id"] for e in listed] == [export_id]
    assert listed[0]["data_request_id"] == "9999"
    fetched = shop.client.get(f"/v1/privacy/exports/{export_id}", headers=shop.headers)
    assert fetched.status_code == 200
    data = fetched.json()["data"]
    assert fetched.json()["customer_ids"] == [nora]

    said = {(m["channel"], m["text"]) for m in data["messages"] if m["author"] == "customer"}
    assert said == {
        ("chat", "How long does shipping to Canada take?"),
        ("email", "Can I return a jacket I wore once?"),
        ("email", "I want to talk to a real person please."),
    }
    assert {m["customer_id"] for m in data["messages"]} == {nora}
    assert {m["channel"] for m in data["messages"] if m["author"] == "ai"} >= {"chat", "email"}
    assert [e["reason_code"] for e in data["escalations"]] == ["customer_request"]
    assert data["escalations"][0]["packet"]["customer"]["id"] == nora
    assert {(i["kind"], i["value"]) for i in data["identities"]} >= {
        ("email", NORA["email"]),
        ("chat_visitor", "v-nora"),
    }
    assert len(data["traces"]) == 3
    # The held email reply; an autonomous chat reply is sampled for review 1 time in 20 too.
    assert len([r for r in data["reviews"] if r["held"]]) == 1
    assert all(r["customer_id"] == nora for r in data["reviews"])
    assert {e["kind"] for e in data["events"]} >= {"message_received", "escalated"}
    assert nora in data["sessions"]
    assert [t["idempotency_key"] for t in data["tool_calls"]] == [f"cancel_order:{nora}:pa_1"]
    assert [o["recipient"] for o in data["outbox"]] == [NORA["email"]]
    assert data["orders_requested"] == [1001]
    # Kenji's record appears only as the one that asked for a code to Nora's email.
    everything = json.dumps(data)
    assert "where is my parcel" not in everything and KENJI["phone"] not in everything
    assert {m["customer_id"] for m in data["messages"]} == {nora}
    assert {t["customer_id"] for t in data["traces"]} == {nora}
    assert kenji not in data["sessions"]

    (exported,) = events(engine, "customer_data_exported")
    assert exported.payload["export_id"] == export_id
    assert exported.payload["counts"]["messages"] == len(data["messages"])
    assert events(engine, "privacy_export_read")

    again = deliver(shop.client, "customers/data_request", request, webhook_id="wh-export-1")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert count(engine, PrivacyExport) == 1
    assert len(events(engine, "customer_data_exported")) == 1

    readers = shop.client.get(
        f"/v1/privacy/exports/{export_id}", headers={"Authorization": "Bearer nope"}
    )
    assert readers.status_code == 401


def test_customers_redact_erases_the_customer_everywhere_and_no_one_else(
    shop: AgentApi, tmp_path: Path
) -> None:
    nora = talk_on_two_channels(shop, NORA, "v-nora")
    kenji = shop.send("sms", "where is my parcel?", phone=KENJI["phone"])["customer_id"]
    engine = engine_of(shop)
    seed_writes_and_codes(engine, nora, kenji)
    exported = deliver(shop.client, "customers/data_request", customer_payload(NORA))
    assert exported.json()["status"] == "done"

    mine = {
        Customer: col(Customer.id) == nora,
        Identity: col(Identity.customer_id) == nora,
        Conversation: col(Conversation.customer_id) == nora,
        Message: col(Message.customer_id) == nora,
        Escalation: col(Escalation.customer_id) == nora,
        Trace: col(Trace.customer_id) == nora,
        Event: col(Event.customer_id) == nora,
        PrivacyExport: col(PrivacyExport.shopify_customer_id) == str(NORA["id"]),
        ToolCall: col(ToolCall.idempotency_key).contains(nora),
        OutboxMessage: col(OutboxMessage.recipient) == NORA["email"],
    }
    for model, where in mine.items():
        assert count(engine, model, where) > 0, model.__name__
    with Session(engine) as session:  # her email reply is held for review
        conversations = select(Conversation.id).where(Conversation.customer_id == nora)
        hers = col(Review.conversation_id).in_(list(session.exec(conversations).all()))
    assert count(engine, Review, hers) == 1
    reviews_before = count(engine, Review)
    assert has_thread(shop, nora)
    assert stored_threads(engine, tmp_path, nora) > 0
    kenji_before = {m: count(engine, m, col(m.customer_id) == kenji) for m in (Message, Trace)}  # type: ignore[attr-defined]
    assert all(kenji_before.values())

    erased = deliver(
        shop.client,
        "customers/redact",
        customer_payload(NORA, orders_to_redact=[1001, 1002]),
        webhook_id="wh-redact-1",
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["status"] == "done"

    for model, where in mine.items():
        assert count(engine, model, where) == 0, model.__name__
    assert count(engine, Review, hers) == 0
    assert count(engine, Review) == reviews_before - 1  # Kenji's SMS reply may wait for review
    assert count(engine, Identity, col(Identity.value) == NORA["email"]) == 0
    with Session(engine) as session:
        texts = " ".join(session.exec(select(Message.text)).all())
    assert "Canada" not in texts and "real person" not in texts
    assert not has_thread(shop, nora)
    assert stored_threads(engine, tmp_path, nora) == 0
    assert shop.client.get(f"/v1/customers/{nora}", headers=shop.headers).status_code == 404

    # The other customer is untouched: records, identities, and the session.
    assert {m: count(engine, m, col(m.customer_id) == kenji) for m in (Message, Trace)} == (  # type: ignore[attr-defined]
        kenji_before
    )
    assert count(engine, Identity, col(Identity.value) == KENJI["phone"]) == 1
    assert count(engine, ToolCall, col(ToolCall.idempotency_key).contains(kenji)) == 1
    assert count(engine, OutboxMessage, col(OutboxMessage.recipient) == KENJI["phone"]) == 1
    assert has_thread(shop, kenji)

    (tombstone,) = events(engine, "customer_redacted")
    assert tombstone.customer_id is None
    assert tombstone.payload["customer_ids"] == [nora]
    assert tombstone.payload["erased"]["messages"] >= 4
    assert tombstone.payload["erased"]["sessions"] == 1
    assert tombstone.payload["orders_to_redact"] == 2
    assert len(tombstone.payload["subject_digest"]) == 64
    kept = json.dumps(tombstone.payload)
    assert NORA["email"] not in kept and NORA["phone"] not in kept and str(NORA["id"]) not in kept
    assert events(engine, "customer_data_exported")  # the audit of the export stays

    again = deliver(
        shop.client,
        "customers/redact",
        customer_payload(NORA, orders_to_redact=[1001, 1002]),
        webhook_id="wh-redact-1",
    )
    assert again.json()["status"] == "duplicate"
    assert len(events(engine, "customer_redacted")) == 1

    # She may come back later: a new record, a new session, nothing of the old one.
    back = shop.send("email", "Hello again", email=NORA["email"])
    assert back["customer_id"] != nora


def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(shop: AgentApi) -> None:
    nora = talk_on_two_channels(shop, NORA, "v-nora")
    engine = engine_of(shop)
    before = {m: count(engine, m) for m in (*PERSONAL_TABLES, Event, WebhookDelivery)}
    payload = customer_payload(NORA)
    refused = [
        deliver(shop.client, "customers/redact", payload, secret="someone else's secret"),
        deliver(shop.client, "customers/redact", payload, signature="bm90IGEgc2lnbmF0dXJl"),
        deliver(shop.client, "customers/redact", payload, signature=""),
        deliver(shop.client, "shop/redact", {"shop_id": 1, "shop_domain": SHOP}, signature="x"),
    ]
    for response in refused:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    assert {m: count(engine, m) for m in before} == before
    assert has_thread(shop, nora)


def test_shop_redact_erases_every_customer(shop: AgentApi, tmp_path: Path) -> None:
    nora = talk_on_two_channels(shop, NORA, "v-nora")
    kenji = shop.send("sms", "where is my parcel?", phone=KENJI["phone"])["customer_id"]
    engine = engine_of(shop)
    with Session(engine) as session:  # a one-time code waiting in the outbox, to Kenji
        session.add(
            OutboxMessage(
                customer_id=kenji,
                channel="sms",
                recipient=KENJI["phone"],
                purpose="verification_code",
                body="Your code is 123456",
            )
        )
        session.commit()

    erased = deliver(shop.client, "shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
    assert erased.status_code == 200, erased.text
    for model in PERSONAL_TABLES:
        assert count(engine, model) == 0, model.__name__
    assert {e.kind for e in events_all(engine)} == {"shop_redacted"}
    for customer_id in (nora, kenji):
        assert not has_thread(shop, customer_id)
        assert stored_threads(engine, tmp_path, customer_id) == 0
    assert shop.client.get("/v1/keys", headers=shop.headers).status_code == 200  # keys stay


def events_all(engine: Engine) -> list[Event]:
    with Session(engine) as session:
        return list(session.exec(select(Event)).all())


# --- the app without a store: the webhook alone ----------------------------------------------


def with_settings(api: Api, **changes: Any) -> None:
    """The running app reads its settings per request: change them for this test."""
    app = api.client.app
    app.state.settings = app.state.settings.model_copy(update=changes)  # type: ignore[attr-defined]


def seed_customer(engine: Engine, email: str, text_: str) -> str:
    with Session(engine, expire_on_commit=False) as session:
        claim = IdentityClaim.of("email", email, verified=True)
        customer = resolve_customer(session, [claim], channel="email").customer
        conversation = current_conversation(session, customer.id, "email")
        record_message(
            session,
            conversation,
            direction=Direction.inbound,
            channel="email",
            author=Author.customer,
            text=text_,
        )
        session.commit()
        return customer.id


def test_without_a_secret_the_route_answers_404_and_records_nothing(api: Api) -> None:
    """The channel is off: it answers 404 and never takes unsigned input."""
    engine: Engine = api.engine  # type: ignore[assignment]
    seed_customer(engine, NORA["email"], "please keep my data")
    before = {m: count(engine, m) for m in (Message, Event, WebhookDelivery)}
    for signature in (None, ""):  # signed with some secret, or not signed at all
        response = deliver(
            api.client, "customers/redact", customer_payload(NORA), signature=signature
        )
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert "shopify" in error["message"]
    assert {m: count(engine, m) for m in before} == before


def test_without_a_store_erasure_reaches_the_checkpoints_all_the_same(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    """No store is served, so no checkpointer is open: the webhook opens the same storage."""
    with_settings(api, shopify_webhook_secret=SecretStr(SECRET))
    engine: Engine = api.engine  # type: ignore[assignment]
    nora = seed_customer(engine, NORA["email"], "my old message")
    kenji = seed_customer(engine, KENJI["email"], "keep me")
    saver, resource = make_checkpointer(database_url, tmp_path)
    try:
        for thread_id in (nora, kenji):
            config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
            saver.put(config, empty_checkpoint(), {}, {})  # type: ignore[arg-type]
    finally:
        resource.close()

    erased = deliver(api.client, "customers/redact", customer_payload(NORA))
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"]["sessions"] == 1
    assert count(engine, Message, col(Message.customer_id) == nora) == 0
    assert count(engine, Message, col(Message.customer_id) == kenji) == 1
    assert stored_threads(engine, tmp_path, nora) == 0
    assert stored_threads(engine, tmp_path, kenji) > 0


def test_unknown_topics_and_other_shops_are_acknowledged_and_change_nothing(api: Api) -> None:
    with_settings(
        api,
        shopify_webhook_secret=SecretStr(SECRET),
        shopify_url="https://northwind.myshopify.com",
    )
    engine: Engine = api.engine  # type: ignore[assignment]
    seed_customer(engine, NORA["email"], "still here")
    unknown = deliver(api.client, "orders/create", {"id": 1})
    assert unknown.status_code == 200
    assert unknown.json() == {"topic": "orders/create", "status": "ignored"}
    assert count(engine, WebhookDelivery) == 0

    elsewhere = customer_payload(NORA)
    elsewhere["shop_domain"] = "another-shop.myshopify.com"
    ignored = deliver(api.client, "customers/redact", elsewhere)
    assert ignored.status_code == 200
    assert ignored.json()["status"] == "ignored"
    assert count(engine, Message) == 1
    assert [e.payload["reason"] for e in events(engine, "privacy_request_ignored")] == [
        "other_shop"
    ]


def test_malformed_deliveries_get_the_usual_errors(api: Api) -> None:
    with_settings(api, shopify_webhook_secret=SecretStr(SECRET))
    missing_customer = deliver(api.client, "customers/redact", {"shop_id": 1, "shop_domain": SHOP})
    assert missing_customer.status_code == 422
    assert missing_customer.json()["error"]["code"] == "validation_error"
    body = b"{not json"
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    broken = api.client.post(
        "/webhooks/shopify",
        content=body,
        headers={
            "X-Shopify-Topic": "shop/redact",
            "X-Shopify-Hmac-Sha256": signature.decode(),
            "X-Shopify-Webhook-Id": "wh-broken",
        },
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_json"
    assert count(api.engine, WebhookDelivery) == 0  # type: ignore[arg-type]
