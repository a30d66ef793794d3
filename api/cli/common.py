"""Helpers shared by the command modules."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from api.settings import Settings


def load_settings() -> Settings:
    """Settings from the environment / `.env`, or a clear message and exit code 2."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"THREADLINE_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        typer.secho(f"error: invalid settings: {problems}", err=True, fg="red")
        raise typer.Exit(2) from exc
