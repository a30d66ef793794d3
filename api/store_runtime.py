"""Assembles one store's runtime: policy, knowledge, shop (or its sandbox), and the resolver."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from agent.checkpoint import make_checkpointer
from agent.composer import TemplateComposer
from agent.context import Services
from agent.escalation_delivery import EscalationNotifier
from agent.ledger import SqlIdempotencyStore
from agent.recovery import RecoverySweeper
from agent.service import Resolver
from api.settings import Settings
from knowledge.embeddings import encode
from tools.client import ShopifyClient
from tools.policy import load_policy
from tools.toolkit import ShopifyTools

logger = logging.getLogger("threadline.store")


@dataclass
class StoreRuntime:
    resolver: Resolver
    services: Services
    store_dir: Path
    knowledge: Any = None
    sandbox: Any = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # closing must go on for the others
                logger.exception("error while closing the store runtime")


def open_knowledge(settings: Settings, store_dir: Path, *, ingest: bool = True) -> Any:
    """The store's knowledge base, ingested first if its files changed since the last run."""
    from knowledge import KnowledgeBase, collection_name

    source = store_dir / "knowledge"
    if not source.is_dir():
        return None
    kb = KnowledgeBase.open(
        settings.data_dir, chroma_url=settings.chroma_url, collection=collection_name(store_dir)
    )
    if ingest and kb.ingest(source, dry_run=True).changed:
        report = kb.ingest(source)
        logger.info("knowledge ingested: %d passage(s) written", report.passages_written)
    return kb


def start_store(settings: Settings, engine: Engine, store_dir: Path) -> StoreRuntime:
    policy = load_policy(store_dir / "policy.yaml")
    closers: list[Callable[[], None]] = []
    sandbox = None
    shop_url = settings.shopify_url
    token = settings.shopify_token.get_secret_value() if settings.shopify_token else ""
    anchored_today: date | None = None
    if not shop_url and (store_dir / "sandbox").is_dir():
        from tools.sandbox.server import SandboxServer

        token = secrets.token_urlsafe(24)
        state_dir = settings.data_dir / "sandbox"
        state_dir.mkdir(parents=True, exist_ok=True)
        sandbox = SandboxServer(
            store_dir / "sandbox", token, state_file=state_dir / f"{store_dir.name}.json"
        )
        shop_url = sandbox.start()
        anchored_today = sandbox.today
        closers.append(sandbox.stop)
    tools = None
    if shop_url:
        client = ShopifyClient(shop_url, token, timeout=settings.shopify_timeout)
        tools = ShopifyTools(client, policy, SqlIdempotencyStore(engine))
    today_value = settings.today or anchored_today
    today: Callable[[], date] = (lambda: today_value) if today_value else date.today
    knowledge_problem = None
    try:
        knowledge = open_knowledge(settings, store_dir)
    except Exception as exc:  # the service still starts: it reports not ready and hands over
        logger.error("the knowledge index could not be opened: %s", type(exc).__name__)
        knowledge, knowledge_problem = None, f"could not be opened ({type(exc).__name__})"
    webhook_secret = settings.escalation_webhook_secret
    notifier = EscalationNotifier(
        engine,
        settings.escalation_webhook_url,
        webhook_secret.get_secret_value() if webhook_secret else None,
    )
    notifier.resume_pending()
    services = Services(
        engine=engine,
        policy=policy,
        composer=TemplateComposer(encoder=encode),
        notifier=notifier,
        knowledge=knowledge,
        knowledge_problem=knowledge_problem,
        tools=tools,
        today=today,
        phone_region=settings.default_phone_region,
    )
    checkpointer, resource = make_checkpointer(
        settings.resolved_database_url,
        settings.data_dir,
        max_connections=settings.max_concurrent_messages + 2,
    )
    closers.append(resource.close)
    resolver = Resolver(
        services,
        checkpointer,
        max_concurrent=settings.max_concurrent_messages,
        lease_seconds=settings.message_lease_seconds,
    )
    sweeper = RecoverySweeper(resolver, interval=settings.recovery_interval_seconds)
    sweeper.start(everything=engine.dialect.name == "sqlite")
    closers.append(sweeper.stop)
    return StoreRuntime(
        resolver=resolver,
        services=services,
        store_dir=store_dir,
        knowledge=knowledge,
        sandbox=sandbox,
        closers=closers,
    )
