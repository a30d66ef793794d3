"""`threadline serve`: run the API for a store."""

from __future__ import annotations

import json
import logging
import shlex
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import Engine
from sqlmodel import select

from api.cli.common import CONFIG_ERRORS, fail, load_settings, say
from api.logging import configure_logging
from api.main import create_app, prepare_database
from api.settings import DEMO_STORE_DIR
from api.store_runtime import start_store
from inbox.db import make_engine, session_scope
from inbox.keys import create_key
from inbox.models import ApiKey, Role

logger = logging.getLogger("threadline.serve")

KEY_VARIABLE = "THREADLINE_KEY"
"""The shell variable the start-up hint and the README's examples keep the API key in."""

TRY_MESSAGE = {
    "channel": "chat",
    "external_id": "try-1",
    "customer": {"handle": "visitor-1"},
    "text": "How long do I have to return something?",
}


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
        fail("give --store or --demo, not both")
    settings = load_settings()
    store_dir = DEMO_STORE_DIR if demo else (store or settings.store_dir)
    if store_dir is not None and not store_dir.is_dir():
        fail(f"store directory {store_dir} does not exist")
    settings = settings.model_copy(update={"store_dir": store_dir})
    configure_logging(settings.log_level, settings.log_format)

    engine = make_engine(settings.resolved_database_url, **settings.engine_options)
    prepare_database(engine, settings)
    app = create_app(settings, engine, prepared=True)
    url = f"http://{_local_host(host)}:{port}"
    if store_dir is not None:
        # Load the store before listening, so a bad policy.yaml or fixture is one clear line.
        # Its models warm up in the background while the server listens (see /readyz).
        try:
            app.state.store = start_store(
                settings, engine, store_dir, background=True, served_at=url
            )
        except CONFIG_ERRORS as exc:
            fail(str(exc))
    say(
        settings.log_format,
        f"Threadline listening on {url} (docs at {url}/docs); ready when {url}/readyz answers 200",
        url=url,
    )
    new_key = _print_demo_key(engine, settings.log_format) if demo else None
    if store_dir is not None:
        _print_try_it(url, new_key, settings.log_format)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def _local_host(host: str) -> str:
    """Where a client on this machine reaches a server bound to `host`."""
    if host == "0.0.0.0":  # noqa: S104 (reading the option, not binding)
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _print_demo_key(engine: Engine, log_format: str = "text") -> str | None:
    """On a fresh demo database, make one admin key so the quick start can call the API; the
    key is shown this once (returned too, for the hint that uses it)."""
    with session_scope(engine) as session:
        if session.exec(select(ApiKey)).first() is not None:
            return None
        plaintext, _ = create_key(session, Role.admin, "demo")
    say(log_format, f"Demo admin API key (shown once): {plaintext}", api_key=plaintext)
    return plaintext


def try_it_command(url: str, key: str | None) -> str:
    """The shell lines that send one message: export the key (when it is known), then curl."""
    body = shlex.quote(json.dumps(TRY_MESSAGE))
    lines = [f"export {KEY_VARIABLE}={shlex.quote(key)}"] if key else []
    lines.append(
        f'curl -s {url}/v1/messages -H "Authorization: Bearer ${KEY_VARIABLE}" '
        f"-H 'Content-Type: application/json' -d {body}"
    )
    return "\n".join(lines)


def _print_try_it(url: str, key: str | None, log_format: str) -> None:
    command = try_it_command(url, key)
    where = "" if key else f" (export {KEY_VARIABLE}=<an API key> first)"
    indented = "\n".join(f"  {line}" for line in command.splitlines())
    say(log_format, f"Try a message{where}:\n{indented}", command=command)
