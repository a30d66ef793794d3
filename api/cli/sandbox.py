"""`threadline sandbox …`: the sandbox Shopify store (filled in by issue #3)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run the sandbox Shopify store.", no_args_is_help=True)
