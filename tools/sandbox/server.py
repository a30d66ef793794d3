"""The sandbox store over HTTP: `POST /admin/api/{version}/graphql.json`, like a real shop.

Runs on the standard library's threading HTTP server so it starts in-process on an ephemeral
port (tests, `threadline serve --demo`) or on its own (`threadline sandbox serve`). Admin
endpoints under `/_sandbox/` (same token) reset state, read it, and queue faults. Given a
webhook URL and secret, it sends the shop's signed webhooks there (`tools.sandbox.shipments`).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode

from tools.sandbox.faults import Fault, FaultQueue
from tools.sandbox.fixtures import load_fixtures
from tools.sandbox.graphql_api import SandboxGraphQL, query_cost
from tools.sandbox.shipments import WebhookSender
from tools.sandbox.store import SandboxStore

logger = logging.getLogger(__name__)

_GRAPHQL_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json$")
_MAX_BODY = 1024 * 1024
_BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105


class CostBucket:
    """Shopify's leaky bucket of query cost points (reported always, enforced if enabled)."""

    def __init__(
        self, maximum: float = 2000.0, restore_rate: float = 100.0, enforce: bool = False
    ) -> None:
        self.maximum, self.restore_rate, self.enforce = maximum, restore_rate, enforce
        self._available, self._stamp = maximum, time.monotonic()
        self._lock = threading.Lock()

    def spend(self, cost: int) -> tuple[bool, dict[str, float]]:
        with self._lock:
            now = time.monotonic()
            self._available = min(
                self.maximum, self._available + (now - self._stamp) * self.restore_rate
            )
            self._stamp = now
            allowed = not self.enforce or cost <= self._available
            if allowed and self.enforce:
                self._available -= cost
            return allowed, self.status(self._available)

    def status(self, available: float) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(available, 1),
            "restoreRate": self.restore_rate,
        }


def _default_clock(today: date | None) -> Callable[[], datetime]:
    """Fixture-anchored stores live on their `today`, at the real time of day."""
    if today is None:
        return lambda: datetime.now(UTC)
    return lambda: datetime.combine(today, datetime.now(UTC).time(), tzinfo=UTC)


class SandboxServer:
    """A sandbox Shopify store serving one fixture directory; `start()` returns its base URL."""

    def __init__(
        self,
        data_dir: Path | str,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: Path | str | None = None,
        clock: Callable[[], datetime] | None = None,
        rate_limit: bool | CostBucket = False,
        fault_seed: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        """Load `data_dir` (a store's `sandbox/`); `rate_limit` enforces Shopify's cost bucket
        (True: 2,000 points restoring 100/s, or pass a `CostBucket`); by default the bucket is
        only reported in `extensions.cost`. `fault_seed` seeds the draws of faults with a rate.
        With `webhook_url` and `webhook_secret`, the shop's webhooks go there (see
        `send_webhooks_to`)."""
        data = load_fixtures(Path(data_dir))
        self.today: date | None = data.today
        """The business date the fixtures are anchored on (`store.json`), if any."""
        self.store = SandboxStore(data, clock or _default_clock(data.today))
        self.state_file = Path(state_file) if state_file else None
        if self.state_file and self.state_file.exists():
            self.store.load_state(self.state_file)
        self.webhooks: WebhookSender | None = None
        """Where the shop's webhooks go, once `send_webhooks_to` was called."""
        self.api = SandboxGraphQL(self.store, notify=self._notify)
        self.faults = FaultQueue(fault_seed)
        self.bucket = (
            rate_limit if isinstance(rate_limit, CostBucket) else CostBucket(enforce=rate_limit)
        )
        self.requests: list[dict[str, Any]] = []
        """One entry per GraphQL request received (version, operation kind), for tests."""
        self._token = token
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        if webhook_url and webhook_secret:
            self.send_webhooks_to(webhook_url, webhook_secret)

    # ---- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The shop's base URL (what `THREADLINE_SHOPIFY_URL` would hold)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def graphql_url(self, version: str = "2025-07") -> str:
        return f"{self.url}/admin/api/{version}/graphql.json"

    def start(self) -> str:
        """Serve in a background thread; returns the base URL."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="sandbox-shopify",
                daemon=True,
            )
            self._thread.start()
            logger.info("sandbox store listening on %s", self.url)
        return self.url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI)."""
        logger.info("sandbox store listening on %s", self.url)
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        """Stop serving, wake any request sleeping in a fault, release the port."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        if self.webhooks is not None:
            self.webhooks.close()
            self.webhooks = None

    # ---- webhooks ------------------------------------------------------------------------
    def send_webhooks_to(self, url: str, secret: str) -> None:
        """Send the shop's webhooks (`fulfillments/update` when a shipment moves on) to `url`,
        signed with `secret` as Shopify signs them (`X-Shopify-Hmac-Sha256`)."""
        if self.webhooks is not None:
            self.webhooks.close()
        domain = str(self.store.shop.get("myshopify_domain") or "sandbox.myshopify.com")
        self.webhooks = WebhookSender(url, secret, domain)
        logger.info("sandbox store sends its webhooks to %s", url)

    def _notify(self, topic: str, payload: dict[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.send(topic, payload)

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the fixtures: drop state changes, queued faults and the request log."""
        self.store.reset()
        self.faults.clear()
        self.requests.clear()
        if self.state_file is not None:
            self.store.save_state(self.state_file)

    def inject(self, fault: Fault | None = None, **fields: Any) -> Fault:
        """Queue a fault for the next matching requests (see `Fault`)."""
        return self.faults.add(fault, **fields)

    # ---- request handling ----------------------------------------------------------------
    def authorized(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self._token.encode())

    def handle_graphql(self, version: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        """One GraphQL request: (status, extra headers, JSON body)."""
        try:
            request = json.loads(body or b"{}")
            query = request.get("query")
        except (ValueError, AttributeError):
            return 400, {}, {"errors": [{"message": "Invalid JSON in request body"}]}
        if not isinstance(query, str) or not query.strip():
            return 400, {}, {"errors": [{"message": "Parameter Missing or Invalid: query"}]}
        document, errors = self.api.prepare(query)
        operation = "query"
        if document is not None:
            kinds = [
                d.operation.value
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            ]
            operation = "mutation" if "mutation" in kinds else "query"
        self.requests.append({"version": version, "operation": operation})
        fault = self.faults.take(operation)
        if fault is not None and fault.delay and not fault.after_execute:
            self._stopping.wait(fault.delay)
        cost = query_cost(document) if document is not None else 1
        if fault is not None and fault.throttled:
            return (
                200,
                {},
                {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": cost,
                            "actualQueryCost": None,
                            "throttleStatus": self.bucket.status(0.0),
                        }
                    },
                },
            )
        if fault is not None and fault.status and not fault.after_execute:
            return self._fault_response(fault)
        if document is None or errors:
            return 200, {}, {"errors": [e.formatted for e in errors]}
        allowed, throttle = self.bucket.spend(cost)
        if not allowed:
            return (
                200,
                {},
                {
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": cost,
                            "actualQueryCost": None,
                            "throttleStatus": throttle,
                        }
                    },
                },
            )
        variables = request.get("variables")
        payload = self.api.execute(
            document,
            variables if isinstance(variables, dict) else None,
            request.get("operationName"),
        )
        if operation == "mutation" and self.state_file is not None:
            self.store.save_state(self.state_file)
        if fault is not None and fault.after_execute and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.status:
            return self._fault_response(fault)
        payload["extensions"] = {
            "cost": {
                "requestedQueryCost": cost,
                "actualQueryCost": cost,
                "throttleStatus": throttle,
            }
        }
        return 200, {}, payload

    @staticmethod
    def _fault_response(fault: Fault) -> tuple[int, dict[str, str], Any]:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        message = (
            "Exceeded 2 calls per second for api client. Reduce request rates to resume "
            "uninterrupted service."
            if fault.status == 429
            else "Internal Server Error"
        )
        return int(fault.status or 500), headers, {"errors": message}

    def handle_admin(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if path == "/_sandbox/reset" and method == "POST":
            self.reset()
            return 200, {"ok": True}
        if path == "/_sandbox/state" and method == "GET":
            return 200, self.store.snapshot()
        if path == "/_sandbox/faults":
            if method == "POST":
                try:
                    fault = self.faults.add(Fault.from_json(json.loads(body or b"{}")))
                except (ValueError, TypeError) as exc:
                    return 400, {"errors": str(exc)}
                return 200, {"queued": fault.to_json()}
            if method == "DELETE":
                self.faults.clear()
                return 200, {"ok": True}
            if method == "GET":
                return 200, {"faults": [f.to_json() for f in self.faults.pending()]}
        return 404, {"errors": "Not Found"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "ThreadlineSandbox/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("sandbox %s - %s", self.address_string(), format % args)

            def _send(
                self, status: int, payload: Any, headers: dict[str, str] | None = None
            ) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    logger.debug("sandbox client went away before the answer")

            def _body(self) -> bytes | None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > _MAX_BODY:
                    self._send(413, {"errors": "Request body too large"})
                    return None
                return self.rfile.read(length) if length else b""

            def _dispatch(self, method: str) -> None:
                body = self._body()
                if body is None:
                    return
                path = self.path.split("?", 1)[0]
                if path == "/health" and method == "GET":
                    self._send(200, {"ok": True})
                    return
                if not server.authorized(self.headers.get("X-Shopify-Access-Token")):
                    self._send(401, {"errors": _BAD_TOKEN})
                    return
                if path.startswith("/_sandbox/"):
                    status, payload = server.handle_admin(method, path, body)
                    self._send(status, payload)
                    return
                match = _GRAPHQL_PATH.match(path)
                if match is None or method != "POST":
                    self._send(404, {"errors": "Not Found"})
                    return
                try:
                    status, headers, payload = server.handle_graphql(match.group(1), body)
                except Exception:
                    logger.exception("sandbox failed to answer a GraphQL request")
                    status, headers, payload = 500, {}, {"errors": "Internal Server Error"}
                self._send(status, payload, headers)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_DELETE(self) -> None:
                self._dispatch("DELETE")

        return Handler
