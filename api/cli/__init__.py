"""The `threadline` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from . import chat, db, evals, gate, keys, knowledge, review, sandbox, serve
from .common import CONFIG_ERRORS, EXIT_CONFIG, print_error, settings_problems

app = typer.Typer(
    name="threadline",
    help="Threadline: the AI resolution backend for omnichannel ecommerce support.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("chat")(chat.chat)
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(knowledge.app, name="knowledge")
app.add_typer(evals.app, name="eval")
app.add_typer(review.app, name="review")
app.add_typer(gate.app, name="gate")


def main(argv: list[str] | None = None) -> None:
    """The `threadline` command. A configuration mistake (a setting, `policy.yaml`, a sandbox
    fixture) found anywhere below ends it with one line naming the key, never a traceback."""
    try:
        app(args=argv)
    except CONFIG_ERRORS as exc:
        print_error(str(exc))
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        print_error(f"invalid settings: {settings_problems(exc)}")
    else:
        return
    raise SystemExit(EXIT_CONFIG)
