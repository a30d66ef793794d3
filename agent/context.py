"""What each run of the graph gets besides its state: the store's services and a trace recorder.

Passed as LangGraph's `context=` (`context_schema=Context`): nodes read `runtime.context`, never
global configuration. Each outside system is a protocol here (the inbox, the shop's order tools,
the knowledge store), with one real implementation wired in `api.store_runtime`, so a node can
be run against a working stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine

from agent.trace import TraceRecorder
from agent.verification import CodeDelivery, OutboxDelivery
from inbox.facade import SqlInbox
from inbox.outbound_events import NO_EVENTS, EventSink
from tools.identity import CustomerIdentity
from tools.inputs import RefundItem, ReturnItem, ShippingAddress
from tools.policy import StorePolicy
from tools.results import ToolResult

if TYPE_CHECKING:
    from agent.composer import Composer
    from agent.escalation_delivery import EscalationNotifier
    from knowledge.retrieval import SearchResult


class Inbox(Protocol):
    """The inbox verbs nodes use (see `inbox.facade.SqlInbox`)."""

    def move_message(self, message_id: str, conversation_id: str | None) -> str: ...

    def note(self, conversation_id: str, channel: str, text: str, meta: dict[str, Any]) -> str: ...


class Knowledge(Protocol):
    """The store's knowledge (see `knowledge.KnowledgeBase`)."""

    def search(self, query: str, k: int = 5) -> SearchResult: ...

    def search_many(self, queries: Sequence[str], k: int = 5) -> list[SearchResult]: ...


class OrderTools(Protocol):
    """The shop's order tools (see `tools.ShopifyTools`); every call checks ownership."""

    def lookup_orders(
        self, customer: CustomerIdentity, order_name: str | None = None, limit: int = 10
    ) -> ToolResult: ...

    def get_order(
        self, customer: CustomerIdentity, order: str, today: date | None = None
    ) -> ToolResult: ...

    def lookup_customer(self, customer: CustomerIdentity) -> ToolResult: ...

    def cancel_order(
        self, customer: CustomerIdentity, order: str, *, idempotency_key: str
    ) -> ToolResult: ...

    def create_return(
        self,
        customer: CustomerIdentity,
        order: str,
        items: list[ReturnItem] | None = None,
        *,
        today: date,
        idempotency_key: str,
        reason: str = "UNKNOWN",
    ) -> ToolResult: ...

    def refund(
        self,
        customer: CustomerIdentity,
        order: str,
        items: list[RefundItem] | None = None,
        *,
        idempotency_key: str,
    ) -> ToolResult: ...

    def preview_refund(
        self,
        customer: CustomerIdentity,
        order: str,
        items: list[RefundItem] | None = None,
        *,
        amount: Decimal | str | None = None,
    ) -> ToolResult: ...

    def update_shipping_address(
        self,
        customer: CustomerIdentity,
        order: str,
        address: ShippingAddress,
        *,
        idempotency_key: str,
    ) -> ToolResult: ...


@dataclass
class Services:
    """Built once per process for one store; shared by every run."""

    engine: Engine
    policy: StorePolicy
    composer: Composer
    notifier: EscalationNotifier
    knowledge: Knowledge | None = None
    """The store's knowledge, or None when the store has none (or it could not be opened)."""
    knowledge_problem: str | None = None
    """Why the store's knowledge could not be opened although the store has some; questions
    for it then go to a person, and the service reports not ready."""
    tools: OrderTools | None = None
    """The order tools bound to the shop, or None when no shop is configured."""
    catalogue: tuple[str, ...] = ()
    """Product titles, for item mentions."""
    today: Callable[[], date] = date.today
    phone_region: str = "US"
    inbox_facade: Inbox | None = None
    """The inbox facade; None: the one on `engine`."""
    code_delivery: CodeDelivery | None = None
    """Where one-time codes go; None: the outbox table on `engine`."""
    events: EventSink = NO_EVENTS
    """Writes the integrator's webhook events (none unless a webhook subscribes)."""

    @property
    def inbox(self) -> Inbox:
        if self.inbox_facade is None:
            self.inbox_facade = SqlInbox(self.engine)
        return self.inbox_facade

    @property
    def codes(self) -> CodeDelivery:
        if self.code_delivery is None:
            self.code_delivery = OutboxDelivery(self.engine)
        return self.code_delivery


@dataclass
class Context:
    """One run: the services plus this run's trace."""

    services: Services
    trace: TraceRecorder = field(default_factory=TraceRecorder)
    extra: dict[str, Any] = field(default_factory=dict)
