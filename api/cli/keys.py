"""`threadline keys …`: API keys (the plaintext is printed once, stored only as a hash)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import col, select

from api.cli.common import load_settings
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key, revoke_key
from inbox.models import ApiKey, Role

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


def _engine() -> Engine:
    engine = make_engine(load_settings().resolved_database_url)
    upgrade(engine)
    return engine


@app.command("create")
def create_command(
    role: Annotated[Role, typer.Option(help="What the key may do.", case_sensitive=False)],
    name: Annotated[str | None, typer.Option(help="A label to recognise the key by.")] = None,
) -> None:
    """Create a key and print it once."""
    with session_scope(_engine()) as session:
        plaintext, key = create_key(session, role, name)
        key_id = key.id
    typer.echo(plaintext)
    typer.secho(f"created {role.value} key {key_id}; store it now, it is not shown again", err=True)


@app.command("list")
def list_command() -> None:
    """List keys (prefix, role, state): never the keys themselves."""
    with session_scope(_engine()) as session:
        for key in session.exec(select(ApiKey).order_by(col(ApiKey.created_at))).all():
            state = "revoked" if key.revoked_at else "live"
            typer.echo(f"{key.id}\t{key.prefix}…\t{key.role}\t{state}\t{key.name or ''}")


@app.command("revoke")
def revoke_command(key_id: str) -> None:
    """Revoke a key by id."""
    with session_scope(_engine()) as session:
        if not revoke_key(session, key_id):
            typer.secho(f"error: no live key {key_id}", err=True, fg="red")
            raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")
