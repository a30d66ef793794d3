"""`python -m evals.intents`: intent accuracy on the Bitext utterances, from the command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.understanding.classifier import IntentClassifier
from evals.intents.runner import IntentEvalReport, evaluate_intents


def render(report: IntentEvalReport, console: Console) -> None:
    """Print the report as tables."""
    console.print(
        f"[bold]Bitext intent accuracy[/bold]: {report.accuracy:.3f} over {report.utterances} "
        f"utterances ({report.seconds:.1f}s); low-confidence share "
        f"{report.low_confidence_share:.3f}, accuracy when confident "
        f"{report.accuracy_when_confident:.3f}, ECE {report.ece:.3f}"
    )
    table = Table("bitext intent -> ours", "accuracy")
    for name, accuracy in report.per_intent.items():
        table.add_row(name, f"{accuracy:.3f}")
    console.print(table)
    confusions = Table("expected", "predicted", "count")
    for expected, predicted, count in report.confusions:
        confusions.add_row(expected, predicted, str(count))
    console.print(confusions)
    console.print("skipped Bitext intents: " + ", ".join(sorted(report.skipped_intents)))


def evaluate(
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON here.")] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Classifier cache directory (default: train in memory).")
    ] = None,
) -> None:
    """Classify every mapped Bitext utterance and report accuracy and confusions."""
    console = Console()
    report = evaluate_intents(IntentClassifier.load(cache_dir))
    if report is None:
        console.print("Bitext dataset not found (../shared/datasets/bitext): skipped.")
        return
    render(report, console)
    if output is not None:
        output.write_text(json.dumps(dataclasses.asdict(report), indent=2), encoding="utf-8")
        console.print(f"report written to {output}")


def main() -> None:
    """Entry point for `python -m evals.intents`."""
    typer.run(evaluate)


if __name__ == "__main__":
    main()
