"""`threadline serve`: run the API for a store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import Engine
from sqlmodel import select

from api.cli.common import load_settings
from api.logging import configure_logging
from api.main import create_app, prepare_database
from api.settings import DEMO_STORE_DIR
from api.store_runtime import start_store
from inbox.db import make_engine, session_scope
from inbox.keys import create_key
from inbox.models import ApiKey, Role
from tools.policy import PolicyError
from tools.sandbox.fixtures import FixtureError

logger = logging.getLogger("threadline.serve")


def serve(
    store: Annotated[
        Path | None,
        typer.Option(
            help="A store directory (policy.yaml, knowledge/, sandbox/).", file_okay=False
        ),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Serve the demo store inside the project.")
    ] = False,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
) -> None:
    """Run the resolution API (SQLite and local defaults unless configured otherwise)."""
    if store is not None and demo:
        typer.secho("error: give --store or --demo, not both", err=True, fg="red")
        raise typer.Exit(2)
    settings = load_settings()
    store_dir = DEMO_STORE_DIR if demo else (store or settings.store_dir)
    if store_dir is not None and not store_dir.is_dir():
        typer.secho(f"error: store directory {store_dir} does not exist", err=True, fg="red")
        raise typer.Exit(2)
    settings = settings.model_copy(update={"store_dir": store_dir})
    configure_logging(settings.log_level, settings.log_format)

    engine = make_engine(settings.resolved_database_url, **settings.engine_options)
    prepare_database(engine, settings)
    if demo:
        _print_demo_key(engine)
    app = create_app(settings, engine, prepared=True)
    if store_dir is not None:
        # Load the store before listening, so a bad policy.yaml or fixture is one clear line.
        try:
            app.state.store = start_store(settings, engine, store_dir)
        except (FixtureError, PolicyError) as exc:
            typer.secho(f"error: {exc}", err=True, fg="red")
            raise typer.Exit(2) from exc
    typer.secho(f"Threadline listening on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def _print_demo_key(engine: Engine) -> None:
    """On a fresh demo database, make one admin key so the quick start can call the API."""
    with session_scope(engine) as session:
        if session.exec(select(ApiKey)).first() is not None:
            return
        plaintext, _ = create_key(session, Role.admin, "demo")
    typer.secho(
        f"Demo admin API key (shown once): {plaintext}\n"
        "  try: curl -H 'Authorization: Bearer <key>' http://127.0.0.1:8080/readyz",
        err=True,
        fg="green",
    )
