"""Typed failures of the Shopify client; the agent turns each into an escalation reason.

Every error has a stable `code` (used as the failed action's reason) and says whether trying again
later might help. Messages never carry the access token or customer data.
"""

from __future__ import annotations

from dataclasses import dataclass


class ShopifyError(Exception):
    """Any failure talking to the shop."""

    code = "shopify_error"
    retryable = False


class ShopifyAuthError(ShopifyError):
    """The shop refused the access token (HTTP 401/403)."""

    code = "shopify_auth"


class ShopifyThrottled(ShopifyError):
    """Still rate limited (HTTP 429 or a `THROTTLED` GraphQL error) after every retry."""

    code = "shopify_throttled"
    retryable = True


class ShopifyUnavailable(ShopifyError):
    """The shop answered 5xx or could not be reached, after every retry."""

    code = "shopify_unavailable"
    retryable = True


class ShopifyTimeout(ShopifyError):
    """The shop did not answer within the client's timeout, after every retry."""

    code = "shopify_timeout"
    retryable = True


class ShopifyQueryError(ShopifyError):
    """The shop rejected the GraphQL document or its variables (a bug on our side)."""

    code = "shopify_query_error"


@dataclass(frozen=True)
class UserError:
    """One entry of a mutation's `userErrors`: the input path and Shopify's message."""

    field: tuple[str, ...]
    message: str
    code: str | None = None


class ShopifyUserError(ShopifyError):
    """A mutation came back with `userErrors`: Shopify refused the change."""

    code = "shopify_user_error"

    def __init__(self, operation: str, errors: list[UserError]) -> None:
        self.operation = operation
        self.errors = errors
        super().__init__(f"{operation}: " + "; ".join(e.message for e in errors))
