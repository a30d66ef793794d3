"""`python -m evals.topics`: precision, recall and false positives of the safety-topic flags."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.understanding.topics import TOPIC_NAMES, TopicMatcher
from evals.topics.runner import (
    FRESH2_PATH,
    FRESH3_PATH,
    FRESH_PATH,
    HELDOUT_PATH,
    METHODS,
    TEST_PATH,
    TopicEvalReport,
    evaluate_heldout,
    evaluate_training,
)


def render(report: TopicEvalReport, console: Console, examples: int) -> None:
    """Print one report: a table per topic and method, then the false-positive rates."""
    table = Table(title=report.name)
    table.add_column("topic")
    table.add_column("n", justify="right")
    for method in METHODS:
        table.add_column(f"{method} P", justify="right")
        table.add_column(f"{method} R", justify="right")
    for topic in TOPIC_NAMES:
        cells = [topic, str(report.per_topic["combined"][topic].positives)]
        for method in METHODS:
            metrics = report.per_topic[method][topic]
            cells += [f"{metrics.precision:.3f}", f"{metrics.recall:.3f}"]
        table.add_row(*cells)
    console.print(table)
    rates = ", ".join(f"{m} {report.false_positive_rate[m]:.3f}" for m in METHODS)
    console.print(f"false-positive rate on {report.look_alikes} look-alikes: {rates}")
    if examples:
        for topic, missed in report.missed.items():
            for text in missed[:examples]:
                console.print(f"  missed {topic}: {text}", markup=False)
        for text, flags in report.false_positives[:examples]:
            console.print(f"  false positive {'/'.join(flags)}: {text}", markup=False)


def evaluate(
    examples: Annotated[
        int, typer.Option(help="Misses and false positives to list (development sets only).")
    ] = 0,
    output: Annotated[Path | None, typer.Option(help="Write the reports as JSON here.")] = None,
) -> None:
    """Train the matcher, then report on the exemplars (out of fold), the development sets
    (`heldout.yaml`, `fresh.yaml`, `fresh2.yaml`, `fresh3.yaml`) and the held-out test set
    (`fresh4.yaml`)."""
    console = Console(width=120)  # the tables have eight columns
    matcher = TopicMatcher.load()
    thresholds = ", ".join(f"{name} {value:.3f}" for name, value in matcher.thresholds.items())
    console.print(f"thresholds: {thresholds}")
    development = [
        evaluate_training(matcher),
        evaluate_heldout(matcher, HELDOUT_PATH, name="development set (heldout.yaml)"),
        evaluate_heldout(matcher, FRESH_PATH, name="development set (fresh.yaml)"),
        evaluate_heldout(matcher, FRESH2_PATH, name="development set (fresh2.yaml)"),
        evaluate_heldout(matcher, FRESH3_PATH, name="development set (fresh3.yaml)"),
    ]
    # The test set's sentences are never shown or written: nobody may tune on them.
    test = dataclasses.replace(
        evaluate_heldout(matcher, TEST_PATH, name="held-out test set (fresh4.yaml)"),
        missed={},
        false_positives=[],
    )
    for report in development:
        render(report, console, examples)
    render(test, console, 0)
    reports = [*development, test]
    if output is not None:
        payload = [dataclasses.asdict(report) for report in reports]
        output.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        console.print(f"report written to {output}")


def main() -> None:
    """Entry point for `python -m evals.topics`."""
    typer.run(evaluate)


if __name__ == "__main__":
    main()
