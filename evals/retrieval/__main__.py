"""`python -m evals.retrieval`: the retrieval evaluation from the command line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

from evals.retrieval.report import render, report_json
from evals.retrieval.runner import run_evaluation
from evals.retrieval.stores import StoreName, eval_store


def evaluate(
    store: Annotated[
        str, typer.Option(help="Which store's knowledge and questions: demo or second.")
    ] = "demo",
    knowledge_dir: Annotated[
        Path | None,
        typer.Option("--knowledge", help="Knowledge directory to index (default: the store's)."),
    ] = None,
    questions: Annotated[
        Path | None, typer.Option(help="Labelled questions, JSONL (default: the store's).")
    ] = None,
    bitext_per_intent: Annotated[
        int, typer.Option(help="Bitext utterances per intent (0: all of them).")
    ] = 40,
    sweep: Annotated[bool, typer.Option(help="Also sweep the fusion parameters.")] = False,
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON here.")] = None,
) -> None:
    """Score dense, lexical and hybrid retrieval side by side; time queries and ingestion."""
    if store not in ("demo", "second"):
        raise typer.BadParameter(f"unknown store {store!r}; use demo or second", param_hint="store")
    console = Console()
    logging.getLogger("knowledge").setLevel(logging.WARNING)
    with eval_store(cast(StoreName, store)) as chosen, console.status("evaluating…") as status:
        report = run_evaluation(
            knowledge_dir or chosen.knowledge_dir,
            questions or chosen.questions,
            bitext_per_intent=bitext_per_intent,
            bitext=chosen.bitext,
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
