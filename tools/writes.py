"""Scaffolding for write tools: idempotency keys, and looking before retrying a lost write.

A write that fails with a 5xx or a timeout may have happened anyway; `GuardedWriter._write`
re-reads the order (the `applied` check) first. After a 5xx that did not apply it tries again
(within the retry policy); after a timeout that did not apply it gives up (the request may still
be running on the shop), and a later call re-checks the state before writing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tools.client import ShopifyClient
from tools.errors import ShopifyTimeout, ShopifyUnavailable, ShopifyUserError
from tools.idempotency import IdempotencyStore, InMemoryIdempotencyStore
from tools.identity import CustomerIdentity
from tools.policy import StorePolicy
from tools.reads import OrderReader
from tools.results import Reason, Status, ToolResult, refused
from tools.rules import REFUSAL_SENTENCES
from tools.summaries import Json, nodes
from tools.summaries import amount as money_amount

logger = logging.getLogger(__name__)


def refuse(tool: str, reason: Reason, **data: Any) -> ToolResult:
    """A refusal with the reason's standard sentence."""
    return refused(tool, reason, REFUSAL_SENTENCES[reason], **data)


class GuardedWriter(OrderReader):
    """Idempotency and safe-retry scaffolding shared by the write tools."""

    def __init__(
        self,
        client: ShopifyClient,
        policy: StorePolicy,
        idempotency: IdempotencyStore | None = None,
    ) -> None:
        super().__init__(client, policy)
        self.idempotency: IdempotencyStore = idempotency or InMemoryIdempotencyStore()
        self._key_locks: dict[str, threading.Lock] = {}
        self._key_locks_guard = threading.Lock()

    def _idempotent(
        self, tool: str, key: str, customer: CustomerIdentity, action: Callable[[], ToolResult]
    ) -> ToolResult:
        if not key or not key.strip():
            raise ValueError(f"{tool} needs an idempotency key")
        scoped = f"{tool}:{key}"
        with self._key_locks_guard:
            lock = self._key_locks.setdefault(scoped, threading.Lock())
        with lock:
            stored = self.idempotency.get(scoped)
            if stored is not None:
                return stored.as_replay()
            result = self._guard(tool, customer, action)
            if result.status is not Status.FAILED:
                self.idempotency.put(scoped, result)
            return result

    def _write(
        self, tool: str, write: Callable[[], Json], applied: Callable[[], bool]
    ) -> ToolResult | Json:
        """Run a mutation; after a 5xx/timeout, look before trying again.

        Returns the mutation payload (or `{}` when a lost answer turned out to be applied), or a
        refusal when Shopify's own validation said no.
        """
        attempts = max(self.client.retry.max_attempts, 1)
        for attempt in range(1, attempts + 1):
            try:
                return write()
            except ShopifyUserError as error:
                messages = [e.message for e in error.errors]
                logger.info("%s refused by the shop: %s", tool, "; ".join(messages))
                return refused(
                    tool,
                    Reason.SHOP_REFUSED,
                    REFUSAL_SENTENCES[Reason.SHOP_REFUSED],
                    shop_errors=messages,
                )
            except (ShopifyUnavailable, ShopifyTimeout) as error:
                if applied():
                    logger.warning(
                        "%s: answer lost (%s) but the change is in place", tool, error.code
                    )
                    return {}
                # A timed-out request may still be running on the shop: never send it again.
                # A 5xx answer means the shop is done with it, so one more try is safe.
                if isinstance(error, ShopifyTimeout) or attempt == attempts:
                    raise
                logger.warning("%s: %s, not applied; retrying", tool, error.code)
                self.client.pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def amount_of(order: Json, field: str) -> Decimal:
    return money_amount(order.get(field))


def parent_transaction(order: Json, preview: Json) -> Json:
    """The sale the refund goes back to: Shopify's suggestion, else the first captured sale."""
    for suggestion in preview.get("suggestedTransactions") or []:
        parent = suggestion.get("parentTransaction") or {}
        if parent.get("id"):
            return {"id": parent["id"], "gateway": suggestion.get("gateway")}
    for txn in nodes(order.get("transactions")):
        if txn.get("kind") in ("SALE", "CAPTURE") and txn.get("status") == "SUCCESS":
            return {"id": txn["id"], "gateway": txn.get("gateway")}
    return {}
