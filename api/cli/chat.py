"""`threadline chat`: talk to the agent in the terminal, as a customer on a channel."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from agent.proof import InvalidSender
from agent.service import InboundRequest
from api.cli.common import load_settings
from api.logging import configure_logging
from api.main import prepare_database
from api.settings import DEMO_STORE_DIR
from api.store_runtime import start_store
from inbox.db import make_engine
from inbox.models import Channel, Trace
from tools.policy import PolicyError
from tools.sandbox.fixtures import FixtureError

PHONE_CHANNELS = ("sms", "whatsapp", "voice")


def chat(
    channel: Annotated[Channel, typer.Option(help="The channel to write on.")] = Channel.chat,
    customer: Annotated[
        str, typer.Option(help="The sender: an email, a phone number or a handle.")
    ] = "visitor-1",
    store: Annotated[Path | None, typer.Option(help="Store directory (default: the demo).")] = None,
    trace: Annotated[bool, typer.Option("--trace", help="Print each turn's trace.")] = False,
) -> None:
    """Chat with the agent; each line you type is one inbound message. Ctrl-D to stop."""
    settings = load_settings()
    store_dir = store or settings.store_dir or DEMO_STORE_DIR
    settings = settings.model_copy(update={"store_dir": store_dir, "log_level": "WARNING"})
    configure_logging("WARNING", "text")
    engine = make_engine(settings.resolved_database_url, **settings.engine_options)
    prepare_database(engine, settings)
    typer.secho(f"loading store {store_dir} …", err=True)
    try:
        runtime = start_store(settings, engine, store_dir)
    except (FixtureError, PolicyError) as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(2) from exc
    sender: dict[str, str] = {}
    if channel.value == "email":
        sender["email"] = customer
    elif channel.value in PHONE_CHANNELS:
        sender["phone"] = customer
    else:
        sender["handle"] = customer
    session_id = uuid.uuid4().hex[:8]
    typer.secho(f"You are {customer} on {channel.value}. Type a message.", fg="green", err=True)
    try:
        for turn in itertools.count(1):
            try:
                text = input("you> ").strip()
            except EOFError:
                break
            if not text:
                continue
            request = InboundRequest(
                channel=channel.value,
                external_id=f"cli-{session_id}-{turn}",
                text=text,
                email=sender.get("email"),
                phone=sender.get("phone"),
                handle=sender.get("handle"),
            )
            try:
                result = runtime.resolver.handle(request)
            except InvalidSender as exc:
                typer.secho(f"error: {exc}", fg="red", err=True)
                raise typer.Exit(2) from exc
            body = result.body
            reply = (body.get("reply") or {}).get("text", "")
            typer.secho(f"agent [{body['outcome']}, {body['intent']['name']}]> {reply}", fg="cyan")
            for action in body["actions"]:
                typer.echo(f"  action: {action['tool']} {action['status']}: {action['detail']}")
            if trace:
                with Session(engine) as session:
                    row = session.get(Trace, body["trace_id"])
                    typer.echo(json.dumps(row.data if row else {}, indent=2, default=str))
    finally:
        runtime.close()
