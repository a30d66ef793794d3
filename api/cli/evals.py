"""`threadline eval …`: run eval suites against a store, compare runs, keep a CI baseline."""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.common import CONFIG_ERRORS, check_store, fail, load_settings

app = typer.Typer(help="Run eval suites, compare runs and check a baseline.", no_args_is_help=True)

EXIT_FAILED = 1
EXIT_USAGE = 2


def _thresholds(values: list[str]) -> dict[str, float]:
    thresholds = {}
    for value in values:
        name, sep, number = value.partition("=")
        try:
            if not sep:
                raise ValueError
            thresholds[name.strip()] = float(number)
        except ValueError:
            raise typer.BadParameter(
                f"{value!r}: expected METRIC=VALUE, e.g. pass_rate=0.9", param_hint="--fail-under"
            ) from None
    return thresholds


def gate_failures(
    report: dict[str, Any], thresholds: dict[str, float], baseline: dict[str, Any] | None
) -> list[str]:
    """Why the run fails its gate: thresholds missed, unsafe actions, baseline cases broken."""
    from evals.harness.compare import LOWER_IS_BETTER, outcomes

    metrics = report["metrics"]
    reasons = []
    limits = {**(baseline or {}).get("thresholds", {}), **thresholds}
    for name, limit in limits.items():
        value = metrics.get(name)
        if value is None:
            reasons.append(f"{name}: not measured by this suite")
        elif name in LOWER_IS_BETTER and value > limit:
            reasons.append(f"{name} {value:g} is above {limit:g}")
        elif name not in LOWER_IS_BETTER and value < limit:
            reasons.append(f"{name} {value:.3f} is under {limit:g}")
    if metrics.get("unsafe_actions"):
        reasons.append(f"{metrics['unsafe_actions']} unsafe action(s)")
    if baseline is not None:
        now = outcomes(report)
        broken = sorted(i for i in baseline.get("passing", []) if i in now and not now[i])
        if broken:
            reasons.append(
                f"{len(broken)} case(s) that passed in the baseline fail now: " + ", ".join(broken)
            )
    return reasons


@app.command()
def run(
    suite: Annotated[
        str,
        typer.Option(
            help="A built-in suite (regression, retrieval, bitext, tau-retail) or a file."
        ),
    ],
    store: Annotated[
        Path | None,
        typer.Option(help="Run every case on this store directory instead of the cases' own."),
    ] = None,
    report: Annotated[
        list[Path] | None,
        typer.Option(help="Write a report: out.md, out.json or out.xml (JUnit). Repeatable."),
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            help="METRIC=VALUE: fail when the metric is under VALUE (over it for unsafe_actions "
            "and channel_violations). Repeatable."
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="A baseline file: its thresholds apply and its passing cases must pass."),
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, max=20, help="Run each case K times (pass^k).")] = 1,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Cases played side by side.")] = 1,
    case: Annotated[
        list[str] | None, typer.Option("--case", help="Only this case id. Repeatable.")
    ] = None,
) -> None:
    """Play a suite through the app against its store's sandbox shop and score it."""
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    from evals.harness.builtin import SuiteUnavailable
    from evals.harness.evaluate import evaluate
    from evals.harness.reports import fmt, write_report
    from evals.harness.suite import SuiteError, resolve_suite

    console = Console(stderr=True)
    thresholds = _thresholds(fail_under or [])
    load_settings()  # a bad THREADLINE_* setting is one line here, not an error per case
    if store is not None:
        if not (store / "policy.yaml").is_file():
            raise typer.BadParameter(
                f"not a store directory (no policy.yaml): {store}", param_hint="--store"
            )
        store = store.resolve()  # relative to where the command runs, not to the suite file
        try:
            check_store(store)  # the cases would each fail inside the app's start-up
        except CONFIG_ERRORS as exc:
            fail(str(exc))
    try:
        loaded = resolve_suite(suite)
        baseline_data = json.loads(baseline.read_text("utf-8")) if baseline else None
    except SuiteError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(EXIT_USAGE) from None
    except SuiteUnavailable as exc:
        typer.secho(f"skipped: suite {suite}: {exc}", err=True, fg="yellow")
        raise typer.Exit(0) from None
    except (OSError, ValueError) as exc:
        typer.secho(f"error: baseline {baseline}: {exc}", err=True, fg="red")
        raise typer.Exit(EXIT_USAGE) from None
    for name in ("threadline", "knowledge", "agent", "tools", "httpx", "uvicorn"):
        logging.getLogger(name).setLevel(logging.ERROR)
    chosen = set(case) if case else None
    total = sum(1 for c in loaded.cases if chosen is None or c["id"] in chosen) * repeat
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{loaded.name}", total=total)
        failed = 0

        def advance(result: Any) -> None:
            nonlocal failed
            failed += not result.passed
            progress.update(task, advance=1, description=f"{loaded.name} ({failed} failed)")

        result = evaluate(
            loaded, store=store, repeat=repeat, workers=workers, only=chosen, progress=advance
        )
    for path in report or []:
        try:
            write_report(result, path)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--report") from None
    metrics = result["metrics"]
    out = Console()
    out.print(
        f"[bold]{result['suite']}[/]: {metrics['passed']}/{metrics['cases']} cases passed "
        f"({fmt(metrics['pass_rate'])}) in {result['seconds']} s"
    )
    for name in (
        "resolution_rate",
        "action_precision",
        "action_recall",
        "state_accuracy",
        "unsafe_actions",
        "escalation_precision",
        "escalation_recall",
        "escalation_reason_accuracy",
        "intent_accuracy",
        "fact_recall",
        "channel_violations",
        "retrieval_recall@3",
        "retrieval_mrr",
        f"pass^{repeat}",
        *(name for name in metrics if name.startswith("ragas.")),
    ):
        if metrics.get(name) is not None:
            out.print(f"  {name}: {fmt(metrics[name])}")
    for note in result["notes"]:
        out.print(f"  note: {note}", markup=False, soft_wrap=True)
    reasons = gate_failures(result, thresholds, baseline_data)
    for reason in reasons:
        typer.secho(f"FAILED: {reason}", err=True, fg="red")
    if reasons:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def compare(
    before: Annotated[Path, typer.Argument(help="The earlier JSON report.")],
    after: Annotated[Path, typer.Argument(help="The later JSON report.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the comparison (Markdown).")
    ] = None,
) -> None:
    """Metric deltas and the cases that flipped between two runs."""
    from evals.harness.compare import compare_reports, load_report

    try:
        comparison = compare_reports(
            load_report(before), load_report(after), (before.name, after.name)
        )
    except ValueError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(EXIT_USAGE) from None
    text = comparison.markdown()
    if output is not None:
        output.write_text(text, encoding="utf-8")
    typer.echo(text)


@app.command("baseline")
def write_baseline(
    report: Annotated[Path, typer.Argument(help="A JSON report to take the baseline from.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The baseline file to write.")],
    slack: Annotated[
        float, typer.Option(help="How far under the measured figures the thresholds sit.")
    ] = 0.02,
    cases: Annotated[
        bool,
        typer.Option(help="Also hold every case that passed to passing (off: thresholds only)."),
    ] = True,
) -> None:
    """Record a run as the baseline CI holds later runs to: thresholds and the passing cases."""
    from evals.harness.compare import load_report, outcomes

    try:
        data = load_report(report)
    except ValueError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(EXIT_USAGE) from None
    metrics = data["metrics"]
    kept = ("pass_rate", "action_recall", "action_precision", "intent_accuracy", "fact_recall")
    thresholds: dict[str, float] = {
        name: math.floor(max(0.0, metrics[name] - slack) * 1000) / 1000  # never above the figure
        for name in kept
        if isinstance(metrics.get(name), int | float)
    }
    thresholds["unsafe_actions"] = 0
    baseline = {
        "suite": data["suite"],
        "recorded_at": data["started_at"],
        "thresholds": thresholds,
        "passing": sorted(case_id for case_id, ok in outcomes(data).items() if ok) if cases else [],
    }
    output.write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")
    typer.echo(
        f"baseline for {data['suite']}: {len(baseline['passing'])} passing case(s) held, "
        f"thresholds {thresholds} -> {output}"
    )
