"""`threadline review …`: reviewers' corrections as eval cases; a demo queue to review."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from agent.review_export import EXPORTABLE, export_suite, suite_yaml
from agent.service import InboundRequest
from api.cli.common import load_settings
from api.logging import configure_logging
from api.main import prepare_database
from api.review_seed import SeedResult, seed, seed_requests, unsent
from api.settings import DEMO_STORE_DIR, Settings
from api.store_runtime import start_store
from evals.harness.suite import SuiteError, parse_suite
from inbox.db import make_engine, upgrade
from inbox.models import Channel, Review, ReviewStatus
from tools.policy import PolicyError
from tools.sandbox.fixtures import FixtureError

app = typer.Typer(
    help="Reviewed replies: export corrections as eval cases; fill a demo queue.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        help="A store directory (default: the configured store, else the demo).", file_okay=False
    ),
]
DemoOption = Annotated[bool, typer.Option("--demo", help="The demo store inside the project.")]


def _store_dir(store: Path | None, demo: bool) -> Path:
    if store is not None and demo:
        typer.secho("error: give --store or --demo, not both", err=True, fg="red")
        raise typer.Exit(2)
    chosen = DEMO_STORE_DIR if demo else (store or load_settings().store_dir or DEMO_STORE_DIR)
    if not chosen.is_dir():
        typer.secho(f"error: store directory {chosen} does not exist", err=True, fg="red")
        raise typer.Exit(2)
    return chosen


def _store_name(store_dir: Path) -> str:
    """How a suite names the store: `demo`, or the directory's absolute path."""
    resolved = store_dir.resolve()
    return "demo" if resolved == DEMO_STORE_DIR.resolve() else str(resolved)


def _statuses(value: str) -> list[ReviewStatus]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    allowed = [s.value for s in EXPORTABLE]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        typer.secho(
            f"error: --status takes {' and/or '.join(allowed)}, not {value!r}", err=True, fg="red"
        )
        raise typer.Exit(2)
    return [ReviewStatus(n) for n in names]


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        typer.secho(f"error: --since {value!r} is not an ISO 8601 date or time", err=True, fg="red")
        raise typer.Exit(2) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@app.command("export")
def export_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="The suite file to write (default: stdout).", dir_okay=False
        ),
    ] = None,
    status: Annotated[
        str, typer.Option(help="Which decisions to export: edited, rejected, or both.")
    ] = "edited,rejected",
    since: Annotated[
        str | None, typer.Option(help="Only reviews decided at or after this ISO date or time.")
    ] = None,
    store: StoreOption = None,
    demo: DemoOption = False,
) -> None:
    """Write edited and rejected reviews as an eval suite that `threadline eval run` plays."""
    statuses, after = _statuses(status), _since(since)
    store_name = _store_name(_store_dir(store, demo))
    engine = make_engine(load_settings().resolved_database_url)
    upgrade(engine)
    try:
        with Session(engine) as session:
            suite = export_suite(session, store_name, statuses=statuses, since=after)
    finally:
        engine.dispose()
    if not suite["cases"]:
        typer.secho("no edited or rejected reviews match: nothing exported", err=True)
        raise typer.Exit(1)
    text = suite_yaml(suite)
    try:  # the file must run as written: check it as `threadline eval run` will read it
        parse_suite(text, output or "<export>")
    except SuiteError as exc:
        typer.secho(f"error: the exported suite does not load: {exc}", err=True, fg="red")
        raise typer.Exit(1) from exc
    summary = ", ".join(
        f"{sum(f'review:{s.value}' in c['tags'] for c in suite['cases'])} {s.value}"
        for s in statuses
    )
    if output is None:
        typer.echo(text, nl=False)
        typer.secho(f"exported {len(suite['cases'])} case(s) ({summary})", err=True)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.secho(f"exported {len(suite['cases'])} case(s) ({summary}) to {output}", err=True)
    typer.secho(f"run them: threadline eval run --suite {output}", err=True)


def _send(
    settings: Settings, engine: Engine, store_dir: Path, emails: list[InboundRequest], earlier: int
) -> SeedResult:
    """Start the store's runtime (as `serve` does) and send `emails` through its resolver."""
    typer.secho(f"loading store {store_dir} …", err=True)
    try:
        runtime = start_store(settings, engine, store_dir)
    except (FixtureError, PolicyError) as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(2) from exc

    def progress(number: int, request: InboundRequest, what: str) -> None:
        typer.secho(f"  [{number}/{len(emails)}] {request.subject}: {what}", err=True)

    try:
        result = seed(runtime.resolver, emails, progress)
    finally:
        runtime.close()
    result.already += earlier
    return result


@app.command("seed")
def seed_command(
    count: Annotated[
        int, typer.Option(help="How many customer emails to send.", min=1, max=200)
    ] = 12,
    store: StoreOption = None,
    demo: DemoOption = False,
) -> None:
    """Fill the store's email review queue: realistic customer emails through the agent."""
    store_dir = _store_dir(store, demo)
    if not (store_dir / "sandbox").is_dir():
        typer.secho(f"error: {store_dir} has no sandbox/ to write emails from", err=True, fg="red")
        raise typer.Exit(2)
    settings = load_settings().model_copy(update={"store_dir": store_dir})
    configure_logging("WARNING", "text")
    try:
        requests = seed_requests(store_dir, count, settings.today)
    except FixtureError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(2) from exc
    engine = make_engine(settings.resolved_database_url, **settings.engine_options)
    prepare_database(engine, settings)
    fresh = unsent(engine, requests)
    result = SeedResult(held=[], already=len(requests) - len(fresh), other={})
    if fresh:
        result = _send(settings, engine, store_dir, fresh, earlier=result.already)
    with Session(engine) as session:
        pending = session.exec(
            select(func.count())
            .select_from(Review)
            .where(col(Review.status) == ReviewStatus.pending)
            .where(col(Review.channel) == Channel.email)
        ).one()
    engine.dispose()
    typer.echo(
        f"{len(result.held)} email repl{'y' if len(result.held) == 1 else 'ies'} queued for "
        f"review ({result.already} already there from an earlier seed); "
        f"{pending} pending in all."
    )
    if len(requests) < count:
        typer.echo(f"The store's orders fit only {len(requests)} of the {count} emails asked for.")
    if result.other:
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(result.other.items()))
        typer.echo(f"Not held: {outcomes} (the email channel's stage decides).")
    serve = "--demo" if _store_name(store_dir) == "demo" else f"--store {store_dir}"
    typer.echo(
        "Open the queue:\n"
        f"  threadline serve {serve}\n"
        "  threadline keys create --role reviewer   # prints a reviewer key\n"
        "  then open http://127.0.0.1:8080/review and sign in with that key"
    )
