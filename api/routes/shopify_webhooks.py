"""`POST /webhooks/shopify`: Shopify's webhooks, authenticated by their signature (no API key).

Shopify signs every delivery: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body
under the app's secret (`THREADLINE_SHOPIFY_WEBHOOK_SECRET`). `X-Shopify-Topic` picks a handler
from `TOPICS`; a topic without one is acknowledged and ignored, since Shopify retries anything
but a 2xx. `X-Shopify-Webhook-Id` is recorded in the same transaction as the handler's work, so
a redelivery does nothing twice.

The mandatory privacy topics (`inbox.privacy` does the work):

* `customers/data_request`: everything held on the customer, on every channel, is stored as an
  export that admins fetch from `/v1/privacy/exports`.
* `customers/redact`: the customer's data is erased, their checkpointed session too; a tombstone
  event keeps counts and a digest of their Shopify id keyed with the webhook secret.
* `shop/redact`: every customer's data is erased.

Shipment changes (`agent.proactive` decides and queues):

* `fulfillments/create`, `fulfillments/update`: a shipment shipped, is out for delivery, was
  delivered or could not be delivered; a short update goes by SMS and WhatsApp to customers who
  want one (the store's `proactive` policy per channel). The order's contact and consent are read
  from the shop; a shop that does not answer gets a 503, so Shopify delivers again later.

Their time (quiet hours, the frequency cap) is the app's clock: `app.state.clock` when set
(tests and replays pin it), else the real time.

Without `THREADLINE_SHOPIFY_WEBHOOK_SECRET` the route answers 404 (the channel is off) and never
takes unsigned input. A request naming another shop than the configured one is acknowledged and
changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from agent.checkpoint import make_checkpointer
from agent.locks import CustomerLocks
from agent.proactive import Outcome, shipping_update
from agent.shipment_updates import Shipment, read_contact
from api.channels.signatures import secret_or_off
from api.deps import EngineDep, SettingsDep
from api.errors import ApiError
from api.settings import Settings
from api.store_runtime import StoreRuntime
from inbox.conversations import record_event
from inbox.models import utcnow
from inbox.privacy import (
    Subject,
    export_customer,
    find_subject,
    redact_customer,
    redact_shop,
)
from inbox.webhook_deliveries import claim_delivery
from inbox.webhook_deliveries import handled_before as delivery_seen
from tools.errors import ShopifyError
from tools.toolkit import ShopifyTools

logger = logging.getLogger("threadline.api")

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

SOURCE = "shopify"


# --- payloads (Shopify's shapes; fields Threadline does not use are ignored) -----------------


class ShopifyPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        # PostgreSQL refuses NUL in text; no identifier means one.
        if isinstance(data, dict):
            return {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in data.items()}
        return data


class ShopifyCustomer(ShopifyPayload):
    id: int | None = None
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)


class DataRequest(ShopifyPayload):
    id: int | None = None


class ShopRedact(ShopifyPayload):
    shop_id: int
    shop_domain: str = Field(min_length=1, max_length=255)


class CustomersRedact(ShopRedact):
    customer: ShopifyCustomer
    orders_to_redact: list[int] = Field(default_factory=list)


class CustomersDataRequest(ShopRedact):
    customer: ShopifyCustomer
    orders_requested: list[int] = Field(default_factory=list)
    data_request: DataRequest | None = None


class Fulfillment(ShopifyPayload):
    """`fulfillments/create` and `fulfillments/update`: the fulfillment, REST shape."""

    id: int | str
    order_id: int | str
    name: str | None = Field(default=None, max_length=100)
    status: str | None = Field(default=None, max_length=40)
    shipment_status: str | None = Field(default=None, max_length=40)
    tracking_company: str | None = Field(default=None, max_length=255)
    tracking_url: str | None = Field(default=None, max_length=2000)
    tracking_urls: list[str] = Field(default_factory=list)

    def shipment(self) -> Shipment:
        url = self.tracking_url or next((u for u in self.tracking_urls if u), None)
        name = (self.name or "").rsplit(".", 1)[0] or None  # "#1042.1" is #1042's first parcel
        return Shipment(
            fulfillment_id=str(self.id),
            order_id=str(self.order_id),
            status=self.shipment_status,
            fulfillment_status=self.status,
            order_name=name,
            carrier=self.tracking_company,
            tracking_url=url,
        )


# --- the agent's sessions, as the privacy duties reach them ----------------------------------


class CheckpointSessions:
    """`inbox.privacy.Sessions` over a LangGraph checkpointer (SQLite or PostgreSQL)."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver

    def state(self, thread_id: str) -> dict[str, Any] | None:
        found = self.saver.get_tuple({"configurable": {"thread_id": thread_id}})
        return dict(found.checkpoint["channel_values"]) if found else None

    def delete(self, thread_id: str) -> None:
        self.saver.delete_thread(thread_id)

    def thread_ids(self) -> set[str]:
        return {str(c.config["configurable"]["thread_id"]) for c in self.saver.list(None)}


# --- one delivery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One verified delivery, and what its handler may reach."""

    topic: str
    delivery_id: str
    secret: str
    engine: Engine
    settings: Settings
    runtime: StoreRuntime | None
    """The running store, or None when none is served."""
    shop_domain: str = ""
    """`X-Shopify-Shop-Domain`: the shop that sent it."""
    clock: Callable[[], datetime] = utcnow
    wake: Callable[[], None] = field(default=lambda: None)
    """Tells the outbox worker that something is due (it looks anyway, every poll)."""

    @contextmanager
    def sessions(self) -> Iterator[CheckpointSessions]:
        """The running store's checkpointer, or the same storage opened for the call."""
        saver = self.runtime.resolver.graph.checkpointer if self.runtime else None
        if isinstance(saver, BaseCheckpointSaver):
            yield CheckpointSessions(saver)
            return
        saver, resource = make_checkpointer(
            self.settings.resolved_database_url, self.settings.data_dir, max_connections=2
        )
        try:
            yield CheckpointSessions(saver)
        finally:
            resource.close()

    @contextmanager
    def holding(self, customer_ids: tuple[str, ...]) -> Iterator[None]:
        """The customers' turn locks, so no turn writes while their data goes."""
        locks = self.runtime.resolver.locks if self.runtime else CustomerLocks(self.engine)
        with ExitStack() as stack:
            for customer_id in sorted(customer_ids):
                stack.enter_context(locks.hold(f"customer:{customer_id}"))
            yield

    def handled_before(self) -> bool:
        with Session(self.engine) as session:
            return delivery_seen(session, SOURCE, self.delivery_id)

    def claim(self, session: Session) -> bool:
        """Record the delivery in the work's transaction; False when it was handled before."""
        return claim_delivery(session, SOURCE, self.delivery_id, self.topic)

    def other_shop(self, shop_domain: str) -> bool:
        """True when the request names a shop other than the configured one (if one is known)."""
        host = urlsplit(self.settings.shopify_url or "").hostname or ""
        known = host.lower() if host.endswith(".myshopify.com") else None
        return known is not None and shop_domain.strip().lower() != known

    def ignore_other_shop(self, shop_domain: str) -> dict[str, Any]:
        with Session(self.engine) as session:
            if not self.claim(session):
                return DUPLICATE
            record_event(
                session,
                "privacy_request_ignored",
                payload={
                    "topic": self.topic,
                    "reason": "other_shop",
                    "shop_domain": shop_domain,
                    "delivery_id": self.delivery_id,
                },
            )
            session.commit()
        logger.warning("a Shopify %s webhook for another shop was ignored", self.topic)
        return {"status": "ignored", "reason": "other_shop"}

    def digest(self, customer: ShopifyCustomer, shop_domain: str) -> str:
        """The tombstone's name for the person: keyed, so it cannot be reversed by trying ids,
        yet whoever holds the secret can check whether a given customer was erased."""
        who = f"id:{customer.id}" if customer.id is not None else f"email:{customer.email}"
        message = f"{shop_domain.strip().lower()}|{who}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()


DUPLICATE: dict[str, Any] = {"status": "duplicate"}


# --- topic handlers --------------------------------------------------------------------------


def _subject(delivery: Delivery, session: Session, customer: ShopifyCustomer) -> Subject:
    return find_subject(
        session,
        shopify_customer_id=customer.id,
        email=customer.email,
        phone=customer.phone,
        region=delivery.settings.default_phone_region,
    )


def export_data(delivery: Delivery, payload: CustomersDataRequest) -> dict[str, Any]:
    if delivery.other_shop(payload.shop_domain):
        return delivery.ignore_other_shop(payload.shop_domain)
    request_id = payload.data_request.id if payload.data_request else None
    with delivery.sessions() as sessions, Session(delivery.engine) as session:
        if not delivery.claim(session):
            return DUPLICATE
        export = export_customer(
            session,
            _subject(delivery, session, payload.customer),
            sessions,
            shop_domain=payload.shop_domain,
            data_request_id=str(request_id) if request_id is not None else None,
            orders_requested=payload.orders_requested,
            delivery_id=delivery.delivery_id,
        )
        session.commit()
        logger.info("privacy export %s stored for a Shopify data request", export.id)
        return {"status": "done", "export_id": export.id}


def erase_customer(delivery: Delivery, payload: CustomersRedact) -> dict[str, Any]:
    if delivery.handled_before():
        return DUPLICATE
    if delivery.other_shop(payload.shop_domain):
        return delivery.ignore_other_shop(payload.shop_domain)
    with Session(delivery.engine) as session:
        first_look = _subject(delivery, session, payload.customer)
    with (
        delivery.holding(first_look.customer_ids),
        delivery.sessions() as sessions,
        Session(delivery.engine) as session,
    ):
        if not delivery.claim(session):
            return DUPLICATE
        counts = redact_customer(
            session,
            _subject(delivery, session, payload.customer),  # again, now that no turn runs
            sessions,
            shop_domain=payload.shop_domain,
            subject_digest=delivery.digest(payload.customer, payload.shop_domain),
            orders_to_redact=payload.orders_to_redact,
            delivery_id=delivery.delivery_id,
        )
        session.commit()
    logger.info("a Shopify customer was erased: %s", counts)
    return {"status": "done", "erased": counts}


def erase_shop(delivery: Delivery, payload: ShopRedact) -> dict[str, Any]:
    if delivery.other_shop(payload.shop_domain):
        return delivery.ignore_other_shop(payload.shop_domain)
    with delivery.sessions() as sessions, Session(delivery.engine) as session:
        if not delivery.claim(session):
            return DUPLICATE
        counts = redact_shop(
            session, sessions, shop_domain=payload.shop_domain, delivery_id=delivery.delivery_id
        )
        session.commit()
    logger.info("the shop's data was erased: %s", counts)
    return {"status": "done", "erased": counts}


def shipment_changed(delivery: Delivery, payload: Fulfillment) -> dict[str, Any]:
    """A shipment moved on: updates by SMS and WhatsApp to the customers who want them."""
    runtime = delivery.runtime
    if runtime is None or not isinstance(runtime.services.tools, ShopifyTools):
        return {"status": "ignored", "reason": "no_shop"}
    if delivery.handled_before():
        return DUPLICATE
    if delivery.other_shop(delivery.shop_domain):
        with Session(delivery.engine) as session:
            if not delivery.claim(session):
                return DUPLICATE
            record_event(
                session,
                "shipping_update_skipped",
                payload={"reason": "other_shop", "shop_domain": delivery.shop_domain[:255]},
            )
            session.commit()
        return {"status": "ignored", "reason": "other_shop"}
    shipment = payload.shipment()
    try:
        contact = read_contact(runtime.services.tools.client, shipment.order_id)
    except ShopifyError as exc:
        logger.warning("shipment update deferred: the shop did not answer (%s)", exc.code)
        raise ApiError(503, "shop_unavailable", "the shop did not answer; deliver again") from None
    for attempt in (1, 2):
        with Session(delivery.engine) as session:
            if not delivery.claim(session):
                return DUPLICATE
            try:
                decisions = shipping_update(
                    session,
                    runtime.services.policy,
                    shipment,
                    contact,
                    now=delivery.clock(),
                    region=runtime.services.phone_region,
                    events=runtime.services.events,
                )
                session.commit()
            except IntegrityError:  # the customer's record was created meanwhile: again
                if attempt == 2:
                    raise
                continue
        break
    if any(d.outcome is not Outcome.skipped for d in decisions):
        delivery.wake()
    return {"status": "done", "updates": [d.to_json() for d in decisions]}


@dataclass(frozen=True)
class Topic:
    payload: type[BaseModel]
    handle: Callable[[Delivery, Any], dict[str, Any]]


TOPICS: dict[str, Topic] = {
    "customers/data_request": Topic(CustomersDataRequest, export_data),
    "customers/redact": Topic(CustomersRedact, erase_customer),
    "shop/redact": Topic(ShopRedact, erase_shop),
    "fulfillments/create": Topic(Fulfillment, shipment_changed),
    "fulfillments/update": Topic(Fulfillment, shipment_changed),
}
"""What each topic's payload is and who handles it; other topics are acknowledged, ignored."""


# --- the route -------------------------------------------------------------------------------


def signature_valid(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether `signature` is Shopify's: base64 HMAC-SHA256 of the raw body, compared in
    constant time."""
    if not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


@router.post("/shopify", include_in_schema=False)
async def shopify_webhook(
    request: Request, engine: EngineDep, settings: SettingsDep
) -> dict[str, Any]:
    """One Shopify webhook delivery. Shopify's contract, not the API's: outside the OpenAPI."""
    secret = secret_or_off(settings.shopify_webhook_secret, "shopify")
    body = await request.body()
    if not signature_valid(body, request.headers.get("X-Shopify-Hmac-Sha256"), secret):
        raise ApiError(401, "unauthorized", "X-Shopify-Hmac-Sha256 is missing or does not match")
    topic_name = request.headers.get("X-Shopify-Topic", "").strip()
    topic = TOPICS.get(topic_name)
    if topic is None:
        return {"topic": topic_name[:100], "status": "ignored"}
    delivery_id = request.headers.get("X-Shopify-Webhook-Id", "").strip()
    if not delivery_id or len(delivery_id) > 255:
        raise ApiError(400, "bad_request", "X-Shopify-Webhook-Id is required")
    try:
        document = json.loads(body)
    except ValueError:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
    try:
        payload = topic.payload.model_validate(document)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    outbox = getattr(request.app.state, "outbox", None)
    delivery = Delivery(
        topic=topic_name,
        delivery_id=delivery_id,
        secret=secret,
        engine=engine,
        settings=settings,
        runtime=getattr(request.app.state, "store", None),
        shop_domain=request.headers.get("X-Shopify-Shop-Domain", "").strip(),
        clock=getattr(request.app.state, "clock", None) or utcnow,
        wake=outbox.worker.wake if outbox is not None else (lambda: None),
    )
    outcome = await run_in_threadpool(topic.handle, delivery, payload)
    return {"topic": topic_name, **outcome}
