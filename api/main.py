"""Assembles the FastAPI app from settings: database, middleware, error shape, routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from agent.event_delivery import EventDispatcher
from api.channels.runtime import OutboxRuntime
from api.errors import install_error_handlers
from api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from api.ratelimit import RateLimiter
from api.routes import (
    channel_webhooks,
    chatwoot,
    conversations,
    customers,
    docs,
    escalations,
    gate,
    health,
    keys,
    knowledge,
    messages,
    outbox,
    privacy,
    review_page,
    reviews,
    shopify_webhooks,
    traces,
    webhooks,
    widget,
)
from api.settings import Settings
from api.store_runtime import start_store
from api.webhook_docs import install_webhook_docs
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import install_bootstrap_keys

logger = logging.getLogger("threadline.api")


def prepare_database(engine: Engine, settings: Settings) -> None:
    """Migrate SQLite on start (PostgreSQL is migrated by `threadline db upgrade`), install keys."""
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    if settings.bootstrap_api_keys is not None:
        with session_scope(engine) as session:
            installed = install_bootstrap_keys(
                session, settings.bootstrap_api_keys.get_secret_value()
            )
        if installed:
            logger.info("installed %d bootstrap API key(s)", installed)


def event_dispatcher(settings: Settings, engine: Engine) -> EventDispatcher | None:
    """The worker that delivers the event webhook's events, when one is configured."""
    if not settings.events_webhook_url or settings.events_webhook_secret is None:
        return None
    return EventDispatcher(
        engine,
        settings.events_webhook_url,
        settings.events_webhook_secret.get_secret_value(),
        max_attempts=settings.events_max_attempts,
        backoff_seconds=settings.events_backoff_seconds,
    )


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, *, prepared: bool = False
) -> FastAPI:
    """The app; unless `prepared`, its start-up migrates SQLite and installs bootstrap keys."""
    settings = settings or Settings()
    engine = engine or make_engine(settings.resolved_database_url, **settings.engine_options)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not prepared:
            prepare_database(engine, settings)
        if settings.store_dir is not None and app.state.store is None:
            app.state.store = start_store(settings, engine, settings.store_dir)
        dispatcher = event_dispatcher(settings, engine)
        if dispatcher is not None:
            dispatcher.start()
        app.state.outbox = OutboxRuntime(settings, engine)
        app.state.outbox.start()
        try:
            yield
        finally:
            if app.state.intake is not None:
                app.state.intake.close()
                app.state.intake = None
            app.state.outbox.stop()
            if dispatcher is not None:
                dispatcher.stop()
            if app.state.store is not None:
                app.state.store.close()
                app.state.store = None

    app = FastAPI(
        title="Threadline",
        version="0.1.0",
        summary="AI resolution backend for omnichannel ecommerce support.",
        lifespan=lifespan,
        docs_url=None,  # served by api.routes.docs from packaged assets (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = None
    app.state.intake = None
    app.state.outbox = None
    app.state.events = settings.event_sink
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    install_error_handlers(app)
    install_webhook_docs(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    for module in (
        health,
        customers,
        conversations,
        messages,
        escalations,
        traces,
        keys,
        knowledge,
        privacy,
        shopify_webhooks,
        reviews,
        gate,
        outbox,
        review_page,
        docs,
        webhooks,
        channel_webhooks,
        chatwoot,
        widget,
    ):
        app.include_router(module.router)
    app.mount(docs.ASSETS_PATH, docs.assets, name="docs-assets")
    return app
