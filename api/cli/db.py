"""`threadline db …`: schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import load_settings
from inbox.db import current_revision, make_engine, upgrade

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply migrations to the configured database (THREADLINE_DATABASE_URL)."""
    engine = make_engine(load_settings().resolved_database_url)
    upgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@app.command("current")
def current_command() -> None:
    """Print the revision the configured database is at."""
    engine = make_engine(load_settings().resolved_database_url)
    typer.echo(current_revision(engine) or "(no migrations applied)")
