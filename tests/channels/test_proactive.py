"""Proactive shipping updates by SMS and WhatsApp, through the app over real HTTP.

A signed Shopify `fulfillments/update` webhook (or the sandbox shop's own, when a shipment moves
on there) queues a short update for customers who opted in: once per fulfillment and status,
within quiet hours and the frequency cap of the store's pinned `policy.yaml`; every update not
sent leaves an event that says why; a reply continues the same conversation and the agent knows
which order it is about. On the demo store and on a second store, each a temporary copy whose
policy turns updates on and whose shop records say who subscribed to SMS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import Session, col, select

from agent.channels import sms_segments
from agent.shipment_updates import WORDING, Update, quiet_until, update_text
from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from evals.stores import second
from inbox.consent import record_consent
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import (
    ConsentState,
    Event,
    Message,
    OutboxMessage,
    OutboxStatus,
    Role,
    WebhookDelivery,
)
from tests.agent import demo
from tests.api.servers import free_port
from tools.errors import ShopifyQueryError
from tools.policy import QuietHours
from tools.sandbox.shipments import fulfillment_payload, shopify_signature

SECRET = "shpss_proactive_test_secret"
TEMPLATE = "order_shipping_update"
QUIET = {"start": "21:00", "end": "08:00"}
MAX_PER_DAY = 2
EVENT_STATUSES = ("in_transit", "out_for_delivery", "delivered", "failure")

FULFILLMENT_EVENT_CREATE = """
mutation fulfillmentEventCreate($fulfillmentEvent: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {
    fulfillmentEvent { id status happenedAt }
    userErrors { field message }
  }
}
"""


# --- the stores -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parcel:
    """A customer's tracked shipment, as the store's fixtures hold it."""

    customer: dict[str, Any]
    order: dict[str, Any]
    fulfillment: dict[str, Any]

    @property
    def phone(self) -> str:
        return str(self.customer["phone"])

    @property
    def name(self) -> str:
        return str(self.order["name"])

    @property
    def carrier(self) -> str:
        return str(self.fulfillment["tracking_company"])

    @property
    def tracking_url(self) -> str | None:
        urls = self.fulfillment.get("tracking_urls") or [self.fulfillment.get("tracking_url")]
        return urls[0] if urls else None


@dataclass(frozen=True)
class StoreFacts:
    """A store's records and what its copy pins, so tests derive every expectation from data."""

    key: str
    source: Callable[[Path], Path]
    orders: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    today: date
    store_name: str
    timezone: str
    shop_domain: str

    def parcels(self) -> list[Parcel]:
        """One tracked shipment per customer with a phone, customers with most orders first."""
        found = []
        for customer in self.customers:
            mine = [
                o
                for o in self.orders
                if (o.get("customer") or {}).get("id") == customer["id"]
                and not o.get("cancelled_at")
            ]
            tracked = [
                (order, f)
                for order in mine
                for f in order.get("fulfillments") or []
                if f.get("tracking_number") and f.get("status", "success") == "success"
            ]
            if customer.get("phone") and tracked:
                found.append((len(mine), Parcel(customer, *tracked[0])))
        found.sort(key=lambda item: -item[0])
        return [parcel for _, parcel in found]

    def roles(self) -> dict[str, Parcel]:
        """One customer per test: the one with most orders is answered about a shipment, the
        one with fewest never subscribed to SMS; the others subscribed."""
        parcels = self.parcels()
        names = ("reply", "happy", "stop", "quiet", "cap")
        assert len(parcels) > len(names), "the store has too few customers with parcels"
        return {**dict(zip(names, parcels, strict=False)), "unsubscribed": parcels[-1]}

    def phoneless(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """An order with a tracked parcel and no phone anywhere (order or customer)."""
        phones = {c["id"] for c in self.customers if c.get("phone")}
        for order in self.orders:
            owner = (order.get("customer") or {}).get("id")
            for f in order.get("fulfillments") or []:
                if f.get("tracking_number") and not order.get("phone") and owner not in phones:
                    return order, f
        return None


def _demo_source(root: Path) -> Path:
    target = root / "demo"
    shutil.copytree(DEMO_STORE_DIR, target)
    return target


DEMO_STORE_JSON = json.loads((demo.SANDBOX / "store.json").read_text())
STORES = {
    "demo": StoreFacts(
        "demo",
        _demo_source,
        demo.ORDERS,
        demo.CUSTOMERS,
        demo.TODAY,
        DEMO_STORE_JSON["shop"]["name"],
        DEMO_STORE_JSON["shop"]["timezone"],
        DEMO_STORE_JSON["shop"]["myshopify_domain"],
    ),
    "second": StoreFacts(
        "second",
        second.write_second_store,
        second.ORDERS,
        second.CUSTOMERS,
        second.TODAY,
        second.STORE_NAME,
        second.TIMEZONE,
        "fjord-and-pine.myshopify.com",
    ),
}


def pinned_copy(facts: StoreFacts, root: Path) -> Path:
    """The store with shipping updates on for SMS and WhatsApp (quiet hours, a cap, a WhatsApp
    template), and the shop's SMS consent on every customer but the unsubscribed one."""
    store = facts.source(root)
    policy = yaml.safe_load((store / "policy.yaml").read_text()) or {}
    proactive = {
        "shipping_updates": True,
        "events": list(EVENT_STATUSES),
        "opt_in": "required",
        "quiet_hours": QUIET,
        "max_per_day": MAX_PER_DAY,
    }
    policy["channels"] = {
        **policy.get("channels", {}),
        "sms": {"stage": "autonomous", "sample_rate": 0.0, "proactive": proactive},
        "whatsapp": {
            "stage": "autonomous",
            "sample_rate": 0.0,
            "proactive": {**proactive, "template": TEMPLATE, "template_language": "en_US"},
        },
    }
    (store / "policy.yaml").write_text(yaml.safe_dump(policy))
    roles = facts.roles()
    unsubscribed = roles["unsubscribed"].customer["id"]
    path = store / "sandbox" / "customers.json"
    records = json.loads(path.read_text())
    for customer in records["customers"]:
        if customer.get("phone"):
            state = "not_subscribed" if customer["id"] == unsubscribed else "subscribed"
            customer["sms_marketing_consent"] = {
                "state": state,
                "opt_in_level": "single_opt_in",
                "consent_updated_at": "2025-01-01T00:00:00-00:00",
                "consent_collected_from": "OTHER",
            }
    path.write_text(json.dumps(records, indent=1))
    return store


# --- the app, served ----------------------------------------------------------------------------


@dataclass
class Shop:
    """The app on one store copy, over HTTP, with its sandbox shop posting webhooks to it."""

    facts: StoreFacts
    app: FastAPI
    url: str
    key: str
    roles: dict[str, Parcel]
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=300)

    @property
    def engine(self) -> Any:
        return self.app.state.engine

    @property
    def runtime(self) -> Any:
        return self.app.state.store

    def local(self, day_offset: int, hour: int, minute: int = 0) -> datetime:
        """A time in the store's timezone on its business date (+ days), in UTC."""
        zone = ZoneInfo(self.facts.timezone)
        moment = datetime.combine(
            self.facts.today + timedelta(days=day_offset), datetime.min.time()
        )
        return moment.replace(hour=hour, minute=minute, tzinfo=zone).astimezone(UTC)

    def pin(self, moment: datetime) -> None:
        self.app.state.clock = lambda: moment

    def deliver(
        self,
        parcel: Parcel,
        status: str | None,
        *,
        topic: str = "fulfillments/update",
        webhook_id: str | None = None,
        secret: str = SECRET,
    ) -> httpx.Response:
        """POST a fulfillment webhook as Shopify sends it, signed with `secret`."""
        fulfillment = {**parcel.fulfillment, "shipment_status": status}
        body = json.dumps(fulfillment_payload(parcel.order, fulfillment)).encode()
        return self.http.post(
            "/webhooks/shopify",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": shopify_signature(body, secret),
                "X-Shopify-Shop-Domain": self.facts.shop_domain,
                "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            },
        )

    def send(self, phone: str, text: str, sent_at: datetime) -> dict[str, Any]:
        response = self.http.post(
            "/v1/messages",
            json={
                "channel": "sms",
                "external_id": f"sms-{uuid.uuid4()}",
                "customer": {"phone": phone},
                "text": text,
                "sent_at": sent_at.isoformat(),
            },
            headers={"Authorization": f"Bearer {self.key}"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def rows(self, parcel: Parcel, channel: str = "sms") -> list[OutboxMessage]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.recipient == parcel.phone)
                    .where(OutboxMessage.channel == channel)
                    .where(OutboxMessage.purpose == "shipping_update")
                    .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
                ).all()
            )

    def skips(self, parcel: Parcel | None = None, fulfillment_id: Any = None) -> list[Event]:
        wanted = str(fulfillment_id or (parcel.fulfillment["id"] if parcel else ""))
        with Session(self.engine) as session:
            events = session.exec(select(Event).where(Event.kind == "shipping_update_skipped"))
            return [e for e in events.all() if e.payload.get("fulfillment_id") == wanted]

    def consent(self, channel: str, phone: str, state: ConsentState) -> None:
        with Session(self.engine) as session:
            record_consent(session, channel, phone, state, source="keyword")
            session.commit()


@dataclass
class Served:
    url: str
    stop: Callable[[], None]


def serve(app: FastAPI, port: int) -> Served:
    """`app` under uvicorn on `port` in a thread, once its start-up (the store) is done."""
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 600
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=30)

    return Served(f"http://127.0.0.1:{port}", stop)


@pytest.fixture(scope="module", params=sorted(STORES))
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shop]:
    facts = STORES[request.param]
    root = tmp_path_factory.mktemp(f"proactive-{facts.key}")
    store = pinned_copy(facts, root / "store")
    port = free_port()
    data = root / "data"
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data}/db.sqlite",
        store_dir=store,
        today=facts.today,
        shopify_webhook_secret=SecretStr(SECRET),
        public_url=f"http://127.0.0.1:{port}",
    )
    data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        key, _ = create_key(session, Role.admin, "proactive")
    app = create_app(settings, engine)
    served = serve(app, port)
    shop = Shop(facts, app, served.url, key, facts.roles())
    try:
        yield shop
    finally:
        shop.http.close()
        served.stop()
        engine.dispose()


@pytest.fixture(autouse=True)
def afternoon(request: pytest.FixtureRequest) -> None:
    """Each test starts at 14:00 store time on the store's business date (outside quiet hours)."""
    if "shop" in request.fixturenames:
        shop: Shop = request.getfixturevalue("shop")
        shop.pin(shop.local(0, 14))


# --- through the webhook ----------------------------------------------------------------------


def test_an_opted_in_customer_gets_one_update_and_never_the_same_one_twice(shop: Shop) -> None:
    parcel = shop.roles["happy"]
    first = shop.deliver(parcel, "out_for_delivery", webhook_id="wh-happy-1")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "done"
    (row,) = shop.rows(parcel)
    expected = update_text(
        shop.facts.store_name,
        Update.out_for_delivery,
        parcel.name,
        carrier=parcel.carrier,
        tracking_url=parcel.tracking_url,
    )
    assert row.body == expected
    assert row.body.startswith(f"{shop.facts.store_name}: your order {parcel.name} is out for")
    assert parcel.carrier in row.body and "STOP" in row.body
    assert sms_segments(row.body) <= 2  # one unless the carrier's link is very long
    assert (row.provider, row.status, row.purpose) == (
        "twilio",
        OutboxStatus.pending,
        "shipping_update",
    )
    assert row.dedupe_key == f"ship:sms:{parcel.fulfillment['id']}:out_for_delivery"
    with Session(shop.engine) as session:
        message = session.get(Message, row.message_id)
        assert message is not None
        assert (message.author, message.direction, message.channel) == ("ai", "out", "sms")
        assert message.meta["proactive"] == "shipping_update"
        assert message.meta["order"] == parcel.name
        assert message.conversation_id == row.conversation_id

    again = shop.deliver(parcel, "out_for_delivery", webhook_id="wh-happy-1")
    assert again.json()["status"] == "duplicate"
    same_status = shop.deliver(parcel, "out_for_delivery")
    assert same_status.status_code == 200
    assert [row.id] == [r.id for r in shop.rows(parcel)]
    assert "already_sent" in {e.payload["reason"] for e in shop.skips(parcel) if e.channel == "sms"}
    with Session(shop.engine) as session:
        seen = session.exec(
            select(WebhookDelivery).where(WebhookDelivery.delivery_id == "wh-happy-1")
        ).all()
    assert len(seen) == 1


def test_no_consent_no_phone_or_a_label_print_send_nothing_and_say_why(shop: Shop) -> None:
    parcel = shop.roles["unsubscribed"]
    response = shop.deliver(parcel, "in_transit")
    assert response.status_code == 200, response.text
    assert shop.rows(parcel) == [] and shop.rows(parcel, "whatsapp") == []
    reasons = {(e.channel, e.payload["reason"]) for e in shop.skips(parcel)}
    assert reasons == {("sms", "no_consent"), ("whatsapp", "no_consent")}
    assert {u["outcome"] for u in response.json()["updates"]} == {"skipped"}

    printed = shop.deliver(shop.roles["happy"], "label_printed")
    assert {u["reason"] for u in printed.json()["updates"]} == {"not_an_update"}

    phoneless = shop.facts.phoneless()
    if phoneless is not None:  # an order the shop has no phone for
        order, fulfillment = phoneless
        owner = {"phone": None, "id": (order.get("customer") or {}).get("id")}
        shop.deliver(Parcel(owner, order, fulfillment), "delivered")
        reasons = {e.payload["reason"] for e in shop.skips(fulfillment_id=fulfillment["id"])}
        assert reasons == {"no_phone"}


def test_a_customer_who_said_stop_gets_nothing_whatever_the_shop_says(shop: Shop) -> None:
    parcel = shop.roles["stop"]  # subscribed to SMS in the shop
    shop.consent("sms", parcel.phone, ConsentState.opted_out)
    shop.deliver(parcel, "delivered")
    assert shop.rows(parcel) == []
    sms = [e.payload["reason"] for e in shop.skips(parcel) if e.channel == "sms"]
    assert sms == ["opted_out"]

    shop.consent("sms", parcel.phone, ConsentState.opted_in)  # START
    shop.deliver(parcel, "delivered")
    assert len(shop.rows(parcel)) == 1


def test_an_update_in_quiet_hours_waits_for_their_end(shop: Shop) -> None:
    parcel = shop.roles["quiet"]
    late = shop.local(0, 23, 30)
    shop.pin(late)
    response = shop.deliver(parcel, "in_transit")
    (row,) = shop.rows(parcel)
    morning = shop.local(1, 8)
    assert row.next_attempt_at.replace(tzinfo=UTC) == morning
    assert {u["outcome"] for u in response.json()["updates"] if u["channel"] == "sms"} == {
        "scheduled"
    }
    with Session(shop.engine) as session:
        message = session.get(Message, row.message_id)
        assert message is not None and message.sent_at.replace(tzinfo=UTC) == morning

    shop.pin(shop.local(1, 6, 45))  # early morning: still quiet, ends the same day
    shop.deliver(parcel, "out_for_delivery")
    first, latest = sorted(shop.rows(parcel), key=lambda r: r.created_at)
    assert latest.next_attempt_at.replace(tzinfo=UTC) == morning
    # Only the latest goes: the in-transit update still waiting is replaced, not sent at 08:00.
    assert (first.status, latest.status) == (OutboxStatus.superseded, OutboxStatus.pending)
    with Session(shop.engine) as session:
        replaced = session.get(Message, first.message_id)
        assert replaced is not None and replaced.direction == "internal"


def test_the_frequency_cap_skips_the_update_past_it(shop: Shop) -> None:
    parcel = shop.roles["cap"]
    for status in EVENT_STATUSES[: MAX_PER_DAY + 1]:
        assert shop.deliver(parcel, status).status_code == 200
    assert len(shop.rows(parcel)) == MAX_PER_DAY
    capped = [e for e in shop.skips(parcel) if e.payload["reason"] == "capped"]
    assert [(e.channel, e.payload["status"]) for e in capped] == [
        ("sms", EVENT_STATUSES[MAX_PER_DAY])
    ]

    shop.pin(shop.local(1, 15))  # a day later the cap has room again
    shop.deliver(parcel, EVENT_STATUSES[MAX_PER_DAY + 1])
    assert len(shop.rows(parcel)) == MAX_PER_DAY + 1


def test_a_bad_signature_is_refused_and_queues_nothing(shop: Shop) -> None:
    parcel = shop.roles["happy"]
    with Session(shop.engine) as session:
        before = len(session.exec(select(OutboxMessage)).all())
    for secret in ("someone else's secret", ""):
        response = shop.deliver(parcel, "failure", secret=secret)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    with Session(shop.engine) as session:
        assert len(session.exec(select(OutboxMessage)).all()) == before


# --- end to end: the shop's change, the update, the customer's reply -----------------------------


def wait_for(check: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "nothing happened in time"
        time.sleep(0.1)
    return found


def test_a_shipment_moving_on_in_the_shop_reaches_the_customer_who_answers(shop: Shop) -> None:
    parcel = shop.roles["reply"]
    shop.consent("whatsapp", parcel.phone, ConsentState.opted_in)  # START on WhatsApp too
    client = shop.runtime.services.tools.client
    created = client.execute(
        FULFILLMENT_EVENT_CREATE,
        {
            "fulfillmentEvent": {
                "fulfillmentId": f"gid://shopify/Fulfillment/{parcel.fulfillment['id']}",
                "status": "OUT_FOR_DELIVERY",
                "message": "On the van",
            }
        },
    )
    assert created["fulfillmentEventCreate"]["userErrors"] == []
    assert created["fulfillmentEventCreate"]["fulfillmentEvent"]["status"] == "OUT_FOR_DELIVERY"

    (sms,) = wait_for(lambda: shop.rows(parcel))
    assert sms.body.startswith(f"{shop.facts.store_name}: your order {parcel.name} is out for")
    (whatsapp,) = wait_for(lambda: shop.rows(parcel, "whatsapp"))
    assert whatsapp.provider == "whatsapp"
    first_name = parcel.customer["first_name"]
    assert whatsapp.meta["template"] == {
        "name": TEMPLATE,
        "language": "en_US",
        "parameters": [first_name, parcel.name, WORDING[Update.out_for_delivery].phrase],
    }
    with Session(shop.engine) as session:
        delivered = session.exec(
            select(WebhookDelivery).where(WebhookDelivery.topic == "fulfillments/update")
        ).all()
    assert delivered, "the sandbox's webhook was recorded"

    answer = shop.send(parcel.phone, "When will it arrive?", shop.local(0, 14, 20))
    assert answer["conversation_id"] == sms.conversation_id
    assert answer["intent"]["name"] == "track_order", answer
    reply = answer["reply"]["text"]
    assert parcel.name in reply, reply  # the update's order, read from the shop as it is now
    assert "out for delivery" in reply.lower(), reply
    trace = shop.http.get(
        f"/v1/traces/{answer['trace_id']}", headers={"Authorization": f"Bearer {shop.key}"}
    )
    assert trace.status_code == 200, trace.text
    calls = trace.json()["trace"]["tool_calls"]
    assert {"tool": "get_order", "args": {"order": parcel.name}} in [
        {"tool": c["tool"], "args": c.get("args")} for c in calls
    ]


# --- the parts ----------------------------------------------------------------------------------


def test_every_update_has_its_words_and_fits_one_segment_with_a_usual_link() -> None:
    assert set(WORDING) == set(Update)
    url = "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    for update in Update:
        for store in ("Northwind Outfitters", "Fjord & Pine Outfitters"):
            text = update_text(store, update, "#1042", carrier="UPS", tracking_url=url)
            assert text.startswith(f"{store}: ") and "#1042" in text and "STOP" in text
            assert sms_segments(text) == 1, text
    whatsapp = update_text(
        "Northwind Outfitters", Update.delivered, "#1042", carrier="UPS", channel="whatsapp"
    )
    assert "Reply here with any questions" in whatsapp


@pytest.mark.parametrize(
    ("local", "quiet", "expected"),
    [
        ("2026-11-20T22:15", ("21:00", "08:00"), "2026-11-21T08:00"),
        ("2026-11-21T03:00", ("21:00", "08:00"), "2026-11-21T08:00"),
        ("2026-11-20T08:00", ("21:00", "08:00"), None),
        ("2026-11-20T20:59", ("21:00", "08:00"), None),
        ("2026-11-20T12:30", ("12:00", "13:00"), "2026-11-20T13:00"),
        ("2026-11-20T13:30", ("12:00", "13:00"), None),
        ("2026-03-07T23:00", ("22:00", "07:00"), "2026-03-08T07:00"),  # the night clocks go on
    ],
)
def test_quiet_hours_end_in_store_time(
    local: str, quiet: tuple[str, str], expected: str | None
) -> None:
    zone = ZoneInfo("America/New_York")
    now = datetime.fromisoformat(local).replace(tzinfo=zone)
    until = quiet_until(now, QuietHours(start=quiet[0], end=quiet[1]), "America/New_York")
    if expected is None:
        assert until is None
    else:
        assert until == datetime.fromisoformat(expected).replace(tzinfo=zone).astimezone(UTC)


def test_the_sandbox_refuses_an_unknown_fulfillment_or_status(shop: Shop) -> None:
    client = shop.runtime.services.tools.client
    parcel = shop.roles["unsubscribed"]
    for fulfillment_id, status, where in (
        ("gid://shopify/Fulfillment/1", "DELIVERED", "fulfillmentId"),
        (f"gid://shopify/Fulfillment/{parcel.fulfillment['id']}", "LABEL_VOIDED", None),
    ):
        if where is None:  # not a FulfillmentEventStatus: the schema refuses it
            with pytest.raises(ShopifyQueryError):
                client.execute(
                    FULFILLMENT_EVENT_CREATE,
                    {"fulfillmentEvent": {"fulfillmentId": fulfillment_id, "status": status}},
                )
            continue
        result = client.execute(
            FULFILLMENT_EVENT_CREATE,
            {"fulfillmentEvent": {"fulfillmentId": fulfillment_id, "status": status}},
        )["fulfillmentEventCreate"]
        assert result["fulfillmentEvent"] is None
        assert result["userErrors"][0]["field"] == [where]
    assert shop.rows(parcel) == []


def test_the_signature_is_shopifys() -> None:
    body = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    assert shopify_signature(body, SECRET) == expected.decode()


class Receiver:
    """A local endpoint that records the webhooks posted to it."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/shopify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_threadline_sandbox_serve_sends_signed_webhooks_where_it_is_told() -> None:
    receiver = Receiver()
    order = next(o for o in demo.ORDERS if o.get("fulfillments"))
    fulfillment = order["fulfillments"][0]
    process = subprocess.Popen(
        [
            sys.executable,
            *("-c", "from api.cli.sandbox import app; app()"),
            *("serve", "--data", str(demo.SANDBOX), "--port", "0", "--token", "cli-token"),
            *("--webhook-url", receiver.url, "--webhook-secret", SECRET),
        ],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" on ", 1)[1].split()[0]
        variables = {
            "fulfillmentEvent": {
                "fulfillmentId": f"gid://shopify/Fulfillment/{fulfillment['id']}",
                "status": "DELIVERED",
                "happenedAt": "2026-11-20T15:04:00Z",
            }
        }
        answer = httpx.post(
            f"{url}/admin/api/2025-07/graphql.json",
            json={"query": FULFILLMENT_EVENT_CREATE, "variables": variables},
            headers={"X-Shopify-Access-Token": "cli-token"},
            timeout=10,
        ).json()
        assert answer["data"]["fulfillmentEventCreate"]["userErrors"] == []
        ((headers, body),) = wait_for(lambda: receiver.received, seconds=10)
    finally:
        process.terminate()
        process.communicate(timeout=10)
        receiver.close()
    assert headers["X-Shopify-Topic"] == "fulfillments/update"
    assert headers["X-Shopify-Shop-Domain"] == DEMO_STORE_JSON["shop"]["myshopify_domain"]
    assert headers["X-Shopify-Webhook-Id"]
    assert headers["X-Shopify-Hmac-Sha256"] == shopify_signature(body, SECRET)
    payload = json.loads(body)
    assert (payload["id"], payload["order_id"]) == (fulfillment["id"], order["id"])
    assert payload["shipment_status"] == "delivered"
    assert payload["updated_at"] == "2026-11-20T15:04:00+00:00"
    assert payload["tracking_number"] == fulfillment.get("tracking_number")
