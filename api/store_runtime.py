"""Assembles one store's runtime: policy, knowledge, shop (or its sandbox), and the resolver.

The models a message needs (the sentence encoder, the intent, act and topic classifiers) are
loaded by a warm-up in the background, so a server can listen at once: `/readyz` answers 503
with `models: loading` until the warm-up has run each model once, then `ok`.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
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
from agent.verification import OutboxDelivery
from api.settings import Settings
from knowledge.embeddings import encode, load_model
from tools.client import ShopifyClient
from tools.policy import load_policy
from tools.toolkit import ShopifyTools

logger = logging.getLogger("threadline.store")

WARM_UP_MESSAGE = "Hi! Where is my order #1001? And how many days do I have to return a jacket?"
"""Read once at start-up like a customer's message: several words (the language detector), an
order number (entities), two asks (the act classifier), a knowledge question (the search)."""

WarmUpWork = Callable[[], Iterator[object]]
"""The warm-up's steps: a generator that does one step per `next()`."""


def warm_up_models(services: Services) -> Iterator[str]:
    """Load every model a first message uses and run each once, one step at a time (so a
    store closed meanwhile stops the warm-up between steps). Loads are process-wide: a second
    store in the same process finds them done."""
    from agent.understanding import ActClassifier, IntentClassifier, understand
    from agent.understanding.topics import TopicMatcher

    load_model()
    yield "sentence model"
    intents = IntentClassifier.load()
    yield "intent classifier"
    ActClassifier.load(intents.encoder)
    yield "act classifier"
    TopicMatcher.load()
    yield "topic matcher"
    understanding = understand(WARM_UP_MESSAGE, region=services.phone_region)
    yield "understanding"
    if services.knowledge is not None:
        services.knowledge.search(understanding.search_text)
        yield "knowledge search"


class Warmup:
    """Runs a `WarmUpWork` in a background thread and says how far it got (for `/readyz`)."""

    def __init__(self, work: WarmUpWork) -> None:
        self._work = work
        self._stopping = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="threadline-warm-up", daemon=True)
        self.state = "loading"
        """The readiness check's value: `loading`, then `ok`, `failed (ErrorClass)`, or
        `stopped` (the store closed first)."""

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up has ended, however it ended; False on timeout."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the current step and wait for it (a closing store's models and index
        must not be in use)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            for _ in self._work():
                if self._stopping.is_set():
                    logger.info("warm-up stopped: the store is closing")
                    self.state = "stopped"
                    return
        except Exception as exc:  # the service still answers; messages load what they need
            logger.exception("warm-up failed; messages will load the models themselves")
            self.state = f"failed ({type(exc).__name__})"
        else:
            seconds = round(time.perf_counter() - started, 2)
            logger.info("warm-up done in %.2f s: ready", seconds, extra={"seconds": seconds})
            self.state = "ok"
        finally:
            self._done.set()


@dataclass
class StoreRuntime:
    resolver: Resolver
    services: Services
    store_dir: Path
    warmup: Warmup
    knowledge: Any = None
    sandbox: Any = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # closing must go on for the others
                logger.exception("error while closing the store runtime")


def code_providers(settings: Settings) -> dict[str, str]:
    """Which outbox adapter sends one-time codes to an email address or a phone, when
    Threadline sends them itself (the adapter is configured); else the channel sender does."""
    providers = {}
    if settings.email_api_url and settings.email_api_token is not None:
        providers["email"] = "email"
    if settings.twilio_account_sid and settings.twilio_auth_token is not None:
        providers["phone"] = "twilio"
    return providers


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


def start_store(
    settings: Settings,
    engine: Engine,
    store_dir: Path,
    *,
    warm_up: Callable[[Services], Iterator[object]] = warm_up_models,
    background: bool = False,
    served_at: str | None = None,
) -> StoreRuntime:
    """Open the store and warm it up (`warm_up`, in a thread of its own).

    A sandbox shop started here sends its webhooks (`fulfillments/update`) to this app's
    `/webhooks/shopify` when `THREADLINE_SHOPIFY_WEBHOOK_SECRET` is set: at `served_at` (where
    `threadline serve` listens), else at `THREADLINE_PUBLIC_URL`.

    With `background`, return at once (`threadline serve` then listens while `/readyz` says
    `models: loading`): the runtime already answers, and a message that comes first loads
    whatever the warm-up has not loaded yet. Otherwise return once the warm-up has finished,
    as a caller about to send messages (the app's own start-up, `chat`) wants."""
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
        app_url = served_at or settings.public_url
        if settings.shopify_webhook_secret is not None and app_url:
            sandbox.send_webhooks_to(
                f"{app_url.rstrip('/')}/webhooks/shopify",
                settings.shopify_webhook_secret.get_secret_value(),
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
        events=settings.event_sink,
        knowledge=knowledge,
        knowledge_problem=knowledge_problem,
        tools=tools,
        today=today,
        phone_region=settings.default_phone_region,
        code_delivery=OutboxDelivery(engine, code_providers(settings)),
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
    warmup = Warmup(lambda: warm_up(services))
    warmup.start()
    closers.append(warmup.stop)  # closers run last-first: the warm-up stops before the rest
    if not background:
        warmup.wait()
    return StoreRuntime(
        resolver=resolver,
        services=services,
        store_dir=store_dir,
        warmup=warmup,
        knowledge=knowledge,
        sandbox=sandbox,
        closers=closers,
    )
