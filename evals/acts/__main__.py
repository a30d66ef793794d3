"""`python -m evals.acts`: question-vs-request and multi-ask accuracy, from the command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.understanding.classifier import IntentClassifier
from evals.acts.runner import ActsEvalReport, evaluate_acts


def render(report: ActsEvalReport, console: Console) -> None:
    """Print the report: held-out numbers first, training numbers apart."""
    console.print(
        f"[bold]Held-out question vs request[/bold] ({report.utterances} utterances): "
        f"{report.act_accuracy:.3f} (rules alone {report.rules_only_accuracy:.3f}, "
        f"act classifier alone {report.classifier_only_accuracy:.3f}); "
        f"wrongly split {report.split_share:.3f}"
    )
    table = Table("intent", "act accuracy")
    for name, accuracy in report.per_intent.items():
        table.add_row(name, f"{accuracy:.3f}")
    for name, accuracy in report.per_act.items():
        table.add_row(f"[italic]act {name}[/italic]", f"{accuracy:.3f}")
    console.print(table)
    for name, score in (("multi-ask", report.multi), ("fresh multi-ask", report.fresh)):
        console.print(
            f"[bold]Held-out {name}[/bold] ({score.messages} messages): ask count "
            f"{score.count_accuracy:.3f}, act {score.act_accuracy:.3f}, intent "
            f"{score.intent_accuracy:.3f}, topic {score.topic_accuracy:.3f}"
        )
    console.print(
        f"[bold]Training[/bold] (acts.yaml exemplars): act classifier 5-fold CV "
        f"{report.exemplar_cv_accuracy:.3f}; rules then classifier "
        f"{report.exemplar_hybrid_accuracy:.3f}"
    )
    for error in report.errors + report.multi.errors + report.fresh.errors:
        console.print(f"  miss: {error}", markup=False)


def evaluate(
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON here.")] = None,
) -> None:
    """Classify every held-out utterance and message and report the accuracies."""
    console = Console()
    report = evaluate_acts(IntentClassifier.load())
    render(report, console)
    if output is not None:
        output.write_text(json.dumps(dataclasses.asdict(report), indent=2), encoding="utf-8")
        console.print(f"report written to {output}")


def main() -> None:
    """Entry point for `python -m evals.acts`."""
    typer.run(evaluate)


if __name__ == "__main__":
    main()
