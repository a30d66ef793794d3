"""What each run of the graph gets besides its state: the store's services and a trace recorder.

Passed as LangGraph's `context=` (`context_schema=Context`): nodes read `runtime.context`, never
global configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from agent.trace import TraceRecorder
from tools.policy import StorePolicy

if TYPE_CHECKING:
    from agent.composer import Composer
    from agent.escalation_delivery import EscalationNotifier


@dataclass
class Services:
    """Built once per process for one store; shared by every run."""

    engine: Engine
    policy: StorePolicy
    composer: Composer
    notifier: EscalationNotifier
    knowledge: Any = None
    """A `knowledge.KnowledgeBase`, or None when the store has no knowledge."""
    tools: Any = None
    """A `tools.OrderTools` bound to the shop, or None when no shop is configured."""
    catalogue: tuple[str, ...] = ()
    """Product titles, for item mentions."""
    today: Callable[[], date] = date.today
    phone_region: str = "US"


@dataclass
class Context:
    """One run: the services plus this run's trace."""

    services: Services
    trace: TraceRecorder = field(default_factory=TraceRecorder)
    extra: dict[str, Any] = field(default_factory=dict)
