"""The `threadline` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from . import chat, db, evals, gate, keys, knowledge, review, sandbox, serve

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


def main() -> None:
    app()
