"""`threadline knowledge …`: ingest and search the knowledge store (filled in by issue #4)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Ingest and search the policy/FAQ knowledge store.", no_args_is_help=True)
