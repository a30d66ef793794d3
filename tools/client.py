"""The one narrow interface to a shop: GraphQL Admin API calls through the ShopifyAPI library.

The library keeps its session in class-level (partly thread-local) state, so `ShopifyClient`
activates its session under a process-wide lock right before each request and builds the
library's `GraphQL` object from it; the request itself runs outside the lock. The library's
`GraphQL.execute` has no timeout and prints error bodies, so `_TimedGraphQL` replaces only that
method, keeping the library's endpoint and headers.

Retries: HTTP 429 (after `Retry-After`), `THROTTLED` GraphQL errors (after the time the cost
bucket needs to refill), 5xx, unreachable shop and timeouts, at most `RetryPolicy.max_attempts`
tries in all. Calls marked `retry_unsafe=False` (writes) are not retried after a 5xx or timeout,
because the change may have happened; the caller checks the state instead.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import shopify

from tools.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    ShopifyThrottled,
    ShopifyTimeout,
    ShopifyUnavailable,
    ShopifyUserError,
    UserError,
)

logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2025-07"
_SESSION_LOCK = threading.Lock()
"""The ShopifyAPI session lives in class attributes: activate and snapshot it one at a time."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up; tests use tiny delays."""

    max_attempts: int = 4
    """Tries in all, the first included."""
    base_delay: float = 0.5
    """First back-off in seconds; doubles each retry."""
    max_delay: float = 8.0
    """No single wait is longer than this, whatever `Retry-After` or the bucket says."""

    def backoff(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))


class _HTTPFailure(Exception):
    def __init__(self, status: int, retry_after: str | None, body: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.retry_after, self.body = status, retry_after, body


class _TimedGraphQL(shopify.GraphQL):
    """The library's GraphQL client with a timeout and without printing error bodies."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def execute(self, query: str, variables: Any = None, operation_name: str | None = None) -> str:
        headers = self.merge_headers(
            {"Accept": "application/json", "Content-Type": "application/json"}, self.headers
        )
        body = json.dumps(
            {"query": query, "variables": variables, "operationName": operation_name}
        ).encode("utf-8")
        request = urllib.request.Request(self.endpoint, body, headers)  # noqa: S310 (scheme checked)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return str(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            with error:
                body = error.read()[:500]
            raise _HTTPFailure(error.code, error.headers.get("Retry-After"), body) from None


def _parse_retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


class ShopifyClient:
    """GraphQL Admin API access to one shop (`https://x.myshopify.com` or a sandbox URL)."""

    def __init__(
        self,
        shop_url: str,
        token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(shop_url if "://" in shop_url else f"https://{shop_url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("shop_url must be an http(s) URL such as https://shop.myshopify.com")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        try:
            shopify.Session(self.base_url, api_version, None)
        except shopify.VersionNotFoundError as exc:
            raise ValueError(f"unknown Admin API version {api_version!r} (YYYY-MM)") from exc
        self.api_version = api_version
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._token = token
        self._sleep = sleep

    def __repr__(self) -> str:  # never show the token
        return f"ShopifyClient({self.base_url!r}, api_version={self.api_version!r})"

    def pause(self, attempt: int) -> None:
        """Wait the policy's back-off before retry number `attempt` (used by write reconciling)."""
        self._sleep(self.retry.backoff(attempt))

    def _graphql(self) -> _TimedGraphQL:
        with _SESSION_LOCK:
            session = shopify.Session(self.base_url, self.api_version, self._token)
            shopify.ShopifyResource.activate_session(session)
            shopify.ShopifyResource.set_site(f"{self.base_url}/admin/api/{self.api_version}")
            return _TimedGraphQL(self.timeout)

    def execute(
        self, query: str, variables: Mapping[str, Any] | None = None, *, retry_unsafe: bool = True
    ) -> dict[str, Any]:
        """Run a query or mutation and return its `data`; raises a `ShopifyError` subclass."""
        attempts = max(self.retry.max_attempts, 1)
        for attempt in range(1, attempts + 1):
            outcome, delay = self._attempt(query, variables, attempt, retry_unsafe)
            if isinstance(outcome, dict):
                return outcome
            if attempt == attempts:
                raise outcome
            wait = min(max(delay, 0.0), self.retry.max_delay)
            logger.warning(
                "shopify %s; retry %d/%d in %.2fs", outcome.code, attempt, attempts - 1, wait
            )
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self, query: str, variables: Mapping[str, Any] | None, attempt: int, retry_unsafe: bool
    ) -> tuple[dict[str, Any] | ShopifyError, float]:
        """One try: (data, 0) on success, else (a retryable error, how long to wait)."""
        backoff = self.retry.backoff(attempt)
        try:
            raw = self._graphql().execute(query, dict(variables) if variables else None)
        except _HTTPFailure as failure:
            if failure.status in (401, 403):
                raise ShopifyAuthError(
                    f"shop refused the access token (HTTP {failure.status})"
                ) from None
            if failure.status == 429:
                wait = _parse_retry_after(failure.retry_after)
                return ShopifyThrottled("rate limited (HTTP 429)"), (
                    backoff if wait is None else wait
                )
            if failure.status >= 500:
                error = ShopifyUnavailable(f"shop answered HTTP {failure.status}")
                if not retry_unsafe:
                    raise error from None
                return error, backoff
            raise ShopifyError(
                f"shop answered HTTP {failure.status}: "
                f"{failure.body[:200].decode('utf-8', 'replace')}"
            ) from None
        except TimeoutError as exc:
            timeout = ShopifyTimeout(f"no answer within {self.timeout:g}s")
            if not retry_unsafe:
                raise timeout from exc
            return timeout, backoff
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                timeout = ShopifyTimeout(f"no answer within {self.timeout:g}s")
                if not retry_unsafe:
                    raise timeout from exc
                return timeout, backoff
            # connection refused / DNS: the request never reached the shop, safe to retry
            return ShopifyUnavailable(f"shop unreachable: {exc.reason}"), backoff
        except (OSError, http.client.HTTPException) as exc:
            unavailable = ShopifyUnavailable(f"connection failed: {exc.__class__.__name__}")
            if not retry_unsafe:
                raise unavailable from exc
            return unavailable, backoff
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            raise ShopifyError("shop answered with invalid JSON") from exc
        errors = payload.get("errors")
        if errors:
            if isinstance(errors, list) and any(
                (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors
            ):
                return ShopifyThrottled("query cost throttled"), self._throttle_wait(payload)
            messages = (
                errors
                if isinstance(errors, str)
                else "; ".join(str(e.get("message")) for e in errors)
            )
            raise ShopifyQueryError(messages)
        return dict(payload.get("data") or {}), 0.0

    def _throttle_wait(self, payload: dict[str, Any]) -> float:
        """Seconds until the cost bucket holds the requested cost again."""
        cost = (payload.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            needed = float(cost.get("requestedQueryCost") or 0) - float(
                status.get("currentlyAvailable") or 0
            )
            return max(needed / float(status.get("restoreRate") or 50.0), self.retry.base_delay)
        except (TypeError, ValueError):
            return self.retry.base_delay

    def mutate(
        self,
        query: str,
        variables: Mapping[str, Any],
        payload: str,
        *,
        errors_field: str = "userErrors",
    ) -> dict[str, Any]:
        """Run a mutation (no blind retry after 5xx/timeouts) and return its payload object.

        Raises `ShopifyUserError` when the payload's `userErrors` (or `errors_field`) is not
        empty.
        """
        data = self.execute(query, variables, retry_unsafe=False)
        result = data.get(payload) or {}
        raw_errors = result.get(errors_field) or result.get("userErrors") or []
        if raw_errors:
            raise ShopifyUserError(
                payload,
                [
                    UserError(
                        tuple(str(f) for f in (e.get("field") or [])),
                        str(e.get("message")),
                        e.get("code"),
                    )
                    for e in raw_errors
                ],
            )
        return dict(result)
