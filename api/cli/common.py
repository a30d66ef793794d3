"""Helpers shared by the command modules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError

from api.settings import Settings
from tools.policy import PolicyError, load_policy
from tools.sandbox.fixtures import FixtureError, load_fixtures

CONFIG_ERRORS: tuple[type[Exception], ...] = (PolicyError, FixtureError)
"""A store's configuration is wrong; the message names the file and the key."""

EXIT_CONFIG = 2


def print_error(message: str) -> None:
    """`error: <message>` as one line on stderr."""
    typer.secho(f"error: {' '.join(message.split())}", err=True, fg="red")


def fail(message: str) -> NoReturn:
    """End the command with one error line (exit 2): no traceback for a user's mistake."""
    print_error(message)
    raise typer.Exit(EXIT_CONFIG)


def settings_problems(error: ValidationError) -> str:
    """`THREADLINE_<NAME>: what is wrong` for each invalid setting (never its value)."""
    problems = []
    for detail in error.errors():
        name = "_".join(str(part) for part in detail["loc"]).upper()
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(f"THREADLINE_{name}: {message}" if name else message)
    return "; ".join(problems)


def load_settings() -> Settings:
    """Settings from the environment / `.env`, or a clear message and exit code 2."""
    try:
        return Settings()
    except ValidationError as exc:
        fail(f"invalid settings: {settings_problems(exc)}")


def check_store(store_dir: Path) -> None:
    """Read a store's `policy.yaml` and sandbox fixtures the way serving it will, so a mistake
    stops a command before it starts work (raises `PolicyError` or `FixtureError`)."""
    load_policy(store_dir / "policy.yaml")
    if (store_dir / "sandbox").is_dir():
        load_fixtures(store_dir / "sandbox")


def say(log_format: str, text: str, **fields: str) -> None:
    """A line for the person running the command, on stderr with the log lines: a JSON object
    shaped like them when the log format is `json` (so every line the process writes parses),
    else `text` as is. Not a log record, so it is not redacted: the demo key is shown once here.
    """
    if log_format == "json":
        entry = {
            "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "level": "INFO",
            "logger": "threadline.cli",
            "request_id": "-",
            "message": text.splitlines()[0].rstrip(":"),
            **fields,
        }
        typer.echo(json.dumps(entry, ensure_ascii=False), err=True)
    else:
        typer.secho(text, err=True, fg="green")
