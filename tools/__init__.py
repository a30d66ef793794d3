"""Threadline's Shopify tools: one client over the GraphQL Admin API, order tools behind store
policy and ownership checks, and the sandbox store that speaks the same API (`tools.sandbox`).

Typical use::

    client = ShopifyClient(shop_url, token)
    tools = ShopifyTools(client, load_policy(store_dir / "policy.yaml"))
    me = CustomerIdentity.of(email="ava@example.com")
    tools.get_order(me, "#1042")
    tools.cancel_order(me, "#1042", idempotency_key=message_id)
"""

from tools.client import DEFAULT_API_VERSION, RetryPolicy, ShopifyClient
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
from tools.idempotency import IdempotencyStore, InMemoryIdempotencyStore
from tools.identity import CustomerIdentity
from tools.inputs import RefundItem, ReturnItem, ShippingAddress
from tools.policy import PolicyError, StorePolicy, load_policy
from tools.results import NOT_FOUND_SENTENCE, Reason, Status, ToolResult
from tools.toolkit import ShopifyTools

TOOL_NAMES = (
    "lookup_orders",
    "get_order",
    "cancel_order",
    "create_return",
    "refund",
    "update_shipping_address",
)
"""The action names of DESIGN.md §3.3 (plus `lookup_customer`, a read the agent uses)."""

__all__ = [
    "DEFAULT_API_VERSION",
    "NOT_FOUND_SENTENCE",
    "TOOL_NAMES",
    "CustomerIdentity",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "PolicyError",
    "Reason",
    "RefundItem",
    "RetryPolicy",
    "ReturnItem",
    "ShippingAddress",
    "ShopifyAuthError",
    "ShopifyClient",
    "ShopifyError",
    "ShopifyQueryError",
    "ShopifyThrottled",
    "ShopifyTimeout",
    "ShopifyTools",
    "ShopifyUnavailable",
    "ShopifyUserError",
    "Status",
    "StorePolicy",
    "ToolResult",
    "UserError",
    "load_policy",
]
