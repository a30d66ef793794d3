"""Shipments moving on in the sandbox, and the shop's webhook that says so.

`fulfillmentEventCreate` records a carrier event on a fulfillment (in transit, out for delivery,
delivered, failure, …) and moves its `shipment_status` on, as a real shop does on a carrier's
scan. A sandbox given a webhook URL then sends Shopify's `fulfillments/update` webhook there:
the fulfillment in REST shape, signed the way Shopify signs (`X-Shopify-Hmac-Sha256`, the base64
HMAC-SHA256 of the raw body under the app's secret), delivered from a background thread and
retried with backoff on anything but a 2xx, under the same `X-Shopify-Webhook-Id` each time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
import uuid
from datetime import UTC, datetime

import httpx

from tools.sandbox.store import SandboxStore, UserErr
from tools.sandbox.values import Json, iso_utc, parse_time
from tools.sandbox.views import gid, gid_id

logger = logging.getLogger(__name__)

EVENT_STATUSES = frozenset(
    {
        "attempted_delivery",
        "carrier_picked_up",
        "confirmed",
        "delayed",
        "delivered",
        "failure",
        "in_transit",
        "label_printed",
        "label_purchased",
        "out_for_delivery",
        "picked_up",
        "ready_for_pickup",
    }
)
"""Shopify's `FulfillmentEventStatus` values, as REST writes them (`shipment_status`)."""

API_VERSION = "2025-07"


def find_fulfillment(store: SandboxStore, fulfillment_id: str) -> tuple[Json, Json] | None:
    """(order, fulfillment) for a fulfillment id (numeric or gid)."""
    wanted = gid_id(fulfillment_id, "Fulfillment")
    for order in store.orders.values():
        for fulfillment in order.get("fulfillments") or []:
            if str(fulfillment.get("id")) == wanted:
                return order, fulfillment
    return None


def create_fulfillment_event(
    store: SandboxStore,
    fulfillment_id: str,
    status: str,
    *,
    happened_at: str | None = None,
    message: str | None = None,
    estimated_delivery_at: str | None = None,
) -> tuple[Json | None, Json | None, list[UserErr]]:
    """Record a carrier event: (the event, the fulfillment as the webhook carries it, errors)."""
    code = status.strip().lower()
    with store.lock:
        found = find_fulfillment(store, fulfillment_id)
        if found is None:
            return None, None, [UserErr(["fulfillmentId"], "Fulfillment does not exist")]
        if code not in EVENT_STATUSES:
            return None, None, [UserErr(["status"], f"Status {status!r} is not valid")]
        order, fulfillment = found
        if str(fulfillment.get("status") or "success") != "success":
            return None, None, [UserErr(["fulfillmentId"], "Fulfillment is not active")]
        try:
            moment = parse_time(happened_at) if happened_at else None
        except ValueError:
            return None, None, [UserErr(["happenedAt"], "Happened at is not a valid time")]
        when = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment else store.now()
        event: Json = {
            "id": store.new_id(),
            "fulfillment_id": fulfillment["id"],
            "order_id": order["id"],
            "status": code,
            "message": message,
            "happened_at": when,
            "created_at": store.now(),
            "estimated_delivery_at": estimated_delivery_at,
        }
        fulfillment.setdefault("events", []).append(event)
        fulfillment["shipment_status"] = code
        fulfillment["updated_at"] = when  # a delivered parcel counts as delivered at this time
        order["updated_at"] = store.now()
        return event, fulfillment_payload(order, fulfillment), []


def event_view(event: Json) -> Json:
    """A stored event as GraphQL's `FulfillmentEvent`."""
    return {
        "__typename": "FulfillmentEvent",
        "id": gid("FulfillmentEvent", event["id"]),
        "status": str(event["status"]).upper(),
        "message": event.get("message"),
        "happenedAt": iso_utc(event.get("happened_at")),
        "createdAt": iso_utc(event.get("created_at")),
        "estimatedDeliveryAt": iso_utc(event.get("estimated_delivery_at")),
    }


def fulfillment_payload(order: Json, fulfillment: Json) -> Json:
    """The fulfillment as Shopify's `fulfillments/create|update` webhooks carry it (REST)."""
    numbers = fulfillment.get("tracking_numbers") or [
        n for n in (fulfillment.get("tracking_number"),) if n
    ]
    urls = fulfillment.get("tracking_urls") or [u for u in (fulfillment.get("tracking_url"),) if u]
    return {
        "id": fulfillment["id"],
        "admin_graphql_api_id": gid("Fulfillment", fulfillment["id"]),
        "order_id": order["id"],
        "name": fulfillment.get("name") or f"{order.get('name')}.1",
        "status": fulfillment.get("status") or "success",
        "service": fulfillment.get("service") or "manual",
        "shipment_status": fulfillment.get("shipment_status"),
        "created_at": fulfillment.get("created_at"),
        "updated_at": fulfillment.get("updated_at"),
        "tracking_company": fulfillment.get("tracking_company"),
        "tracking_number": numbers[0] if numbers else None,
        "tracking_numbers": list(numbers),
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": list(urls),
        "email": order.get("email"),
        "destination": order.get("shipping_address"),
        "line_items": [dict(line) for line in fulfillment.get("line_items") or []],
    }


def shopify_signature(body: bytes, secret: str) -> str:
    """`X-Shopify-Hmac-Sha256`: the base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookSender:
    """Delivers the shop's webhooks to one URL from a background thread, in order, retrying a
    failed delivery (network error or non-2xx) `attempts` times with doubling waits."""

    def __init__(
        self,
        url: str,
        secret: str,
        shop_domain: str,
        *,
        attempts: int = 6,
        backoff_seconds: float = 0.5,
        timeout: float = 30.0,
    ) -> None:
        self.url, self.shop_domain = url, shop_domain
        self._secret = secret
        self.attempts, self.backoff_seconds = attempts, backoff_seconds
        self._client = httpx.Client(timeout=timeout)
        self._queue: queue.Queue[tuple[str, bytes, str] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:  # never show the secret
        return f"WebhookSender({self.url!r})"

    def send(self, topic: str, payload: Json) -> str:
        """Queue one delivery; its `X-Shopify-Webhook-Id`."""
        webhook_id = str(uuid.uuid4())
        self._queue.put((topic, json.dumps(payload).encode(), webhook_id))
        return webhook_id

    def close(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._client.close()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            topic, body, webhook_id = item
            self._deliver(topic, body, webhook_id)

    def _deliver(self, topic: str, body: bytes, webhook_id: str) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": shopify_signature(body, self._secret),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
        }
        wait = self.backoff_seconds
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._client.post(self.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            else:
                if response.is_success:
                    return
                problem = f"HTTP {response.status_code}"
            logger.warning("sandbox webhook %s: %s (attempt %d)", topic, problem, attempt)
            if attempt == self.attempts or self._stopping.wait(wait):
                break
            wait *= 2
        logger.error("sandbox webhook %s %s was not delivered", topic, webhook_id)
