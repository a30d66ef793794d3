"""`threadline gate …`: the review gate from the command line (show, promote, demote)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from agent.review_gate import GateRefused, demote, gate_status, promote
from api.cli.common import load_settings
from api.settings import DEMO_STORE_DIR
from inbox.db import make_engine, session_scope, upgrade
from inbox.models import Channel
from tools.policy import StorePolicy, load_policy

app = typer.Typer(
    help="The review gate: each channel's numbers and stage; promote or demote.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None, typer.Option(help="The store directory (default: THREADLINE_STORE_DIR).")
]
DemoOption = Annotated[bool, typer.Option("--demo", help="The demo store inside the project.")]
ActorOption = Annotated[str, typer.Option(help="Who decides, for the gate's history.")]


def _setup(store: Path | None, demo: bool) -> tuple[StorePolicy, Engine]:
    settings = load_settings()
    store_dir = DEMO_STORE_DIR if demo else (store or settings.store_dir)
    if store_dir is None or not (store_dir / "policy.yaml").is_file():
        typer.secho("error: give --store DIR (with a policy.yaml) or --demo", err=True, fg="red")
        raise typer.Exit(2)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return load_policy(store_dir / "policy.yaml"), engine


def _line(status: dict[str, Any]) -> str:
    rate = status["approval_rate"]
    approved = f"{rate:.0%} approved" if rate is not None else "nothing reviewed"
    line = (
        f"{status['channel']}: {status['stage']}; {status['reviewed']} / "
        f"{status['review_first']} reviewed, {approved}, lower bound "
        f"{status['lower_bound']:.2f} (bar {status['approval_bar']:.2f}), "
        f"{status['pending']} pending"
    )
    if status["autonomous_intents"]:
        line += f"; autonomous intents: {', '.join(status['autonomous_intents'])}"
    if status["blockers"] and status["stage"] == "review":
        line += "\n    not yet: " + "; ".join(status["blockers"])
    return line


@app.command("show")
def show_command(
    store: StoreOption = None,
    demo: DemoOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every channel's gate numbers and stage."""
    policy, engine = _setup(store, demo)
    with session_scope(engine) as session:
        channels = gate_status(session, policy)
    if as_json:
        typer.echo(json.dumps(channels, default=str, indent=2))
        return
    for status in channels:
        typer.echo(_line(status))


@app.command("promote")
def promote_command(
    channel: Channel,
    intent: Annotated[
        list[str] | None, typer.Option(help="Only this intent (repeatable); default: the channel.")
    ] = None,
    note: Annotated[str, typer.Option(help="Why, for the history.")] = "",
    actor: ActorOption = "cli",
    store: StoreOption = None,
    demo: DemoOption = False,
) -> None:
    """Promote from review to autonomous; refused with the reasons when the rule is not met."""
    policy, engine = _setup(store, demo)
    try:
        with session_scope(engine) as session:
            status = promote(session, policy, channel.value, actor, intents=intent, note=note)
    except GateRefused as refused:
        typer.secho(f"refused: {channel.value} cannot be promoted:", err=True, fg="red")
        for reason in refused.reasons:
            typer.secho(f"  - {reason}", err=True)
        raise typer.Exit(1) from None
    typer.echo(_line(status))


@app.command("demote")
def demote_command(
    channel: Channel,
    to: Annotated[str, typer.Option(help="review or draft.")] = "review",
    intent: Annotated[str | None, typer.Option(help="Only this intent.")] = None,
    note: Annotated[str, typer.Option(help="Why, for the history.")] = "",
    actor: ActorOption = "cli",
    store: StoreOption = None,
    demo: DemoOption = False,
) -> None:
    """Demote (always allowed): the channel to review or draft, or one intent to review."""
    if to not in ("review", "draft"):
        typer.secho("error: --to is review or draft", err=True, fg="red")
        raise typer.Exit(2)
    policy, engine = _setup(store, demo)
    try:
        with session_scope(engine) as session:
            status = demote(session, policy, channel.value, actor, to=to, intent=intent, note=note)
    except GateRefused as refused:
        typer.secho(f"error: {refused}", err=True, fg="red")
        raise typer.Exit(1) from None
    typer.echo(_line(status))
