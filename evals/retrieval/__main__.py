"""`python -m evals.retrieval`: the retrieval evaluation from the command line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from evals.retrieval.dataset import QUESTIONS_PATH
from evals.retrieval.report import render, report_json
from evals.retrieval.runner import DEMO_KNOWLEDGE, run_evaluation


def evaluate(
    knowledge_dir: Annotated[
        Path, typer.Option("--knowledge", help="Knowledge directory to index.")
    ] = DEMO_KNOWLEDGE,
    questions: Annotated[Path, typer.Option(help="Labelled questions (JSONL).")] = QUESTIONS_PATH,
    bitext_per_intent: Annotated[
        int, typer.Option(help="Bitext utterances per intent (0: all of them).")
    ] = 40,
    sweep: Annotated[bool, typer.Option(help="Also sweep the fusion parameters.")] = False,
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON here.")] = None,
) -> None:
    """Score dense, lexical and hybrid retrieval side by side; time queries and ingestion."""
    console = Console()
    logging.getLogger("knowledge").setLevel(logging.WARNING)
    with console.status("evaluating…") as status:
        report = run_evaluation(
            knowledge_dir,
            questions,
            bitext_per_intent=bitext_per_intent,
            sweep=sweep,
            log=lambda message: status.update(message),
        )
    render(report, console)
    if output is not None:
        output.write_text(report_json(report), encoding="utf-8")
        console.print(f"report written to {output}")


def main() -> None:
    """Entry point for `python -m evals.retrieval`."""
    typer.run(evaluate)


if __name__ == "__main__":
    main()
