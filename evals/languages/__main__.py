"""`python -m evals.languages`: language detection and intent accuracy per language."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.understanding import IntentClassifier
from evals.languages.runner import DEV_PATH, FRESH_PATH, LanguageEvalReport, evaluate_languages


def render(report: LanguageEvalReport, console: Console) -> None:
    """One table per set, then its misses."""
    table = Table("language", "messages", "detected", "intent", "low confidence", title=report.name)
    rows = [*report.per_language.items(), ("all but en", report.non_english)]
    for language, score in rows:
        low = score.low_confidence / score.with_intent if score.with_intent else 0.0
        table.add_row(
            language,
            str(score.messages),
            f"{score.detection_accuracy:.3f}",
            f"{score.intent_accuracy:.3f} of {score.with_intent}",
            f"{low:.3f}",
        )
    console.print(table)
    for error in report.detection_errors:
        console.print(f"  language miss: {error}", markup=False)
    for error in report.intent_errors:
        console.print(f"  intent miss: {error}", markup=False)


def evaluate(
    path: Annotated[
        Path | None, typer.Option(help="A set in dev.yaml's format (default: dev and fresh).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write the reports as JSON here.")] = None,
) -> None:
    """Detect and understand every message of the set(s) and report per language."""
    console = Console()
    classifier = IntentClassifier.load()
    paths = [path] if path is not None else [DEV_PATH, FRESH_PATH]
    reports = [evaluate_languages(p, classifier) for p in paths]
    for report in reports:
        render(report, console)
    if output is not None:
        payload = [dataclasses.asdict(report) for report in reports]
        output.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        console.print(f"report written to {output}")


def main() -> None:
    """Entry point for `python -m evals.languages`."""
    typer.run(evaluate)


if __name__ == "__main__":
    main()
