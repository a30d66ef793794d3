"""`threadline knowledge …`: ingest, search and evaluate the policy/FAQ knowledge store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.cli.common import load_settings
from api.settings import DEMO_STORE_DIR

if TYPE_CHECKING:
    from knowledge import KnowledgeBase

app = typer.Typer(help="Ingest and search the policy/FAQ knowledge store.", no_args_is_help=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the Chroma index lives (default: THREADLINE_DATA_DIR)."),
]
CollectionOption = Annotated[
    str | None,
    typer.Option(help="Collection name (default: kb-<store name>, e.g. kb-demo)."),
]


def _open(data_dir: Path | None, collection: str) -> KnowledgeBase:
    from knowledge import KnowledgeBase

    settings = load_settings()
    return KnowledgeBase.open(
        data_dir or settings.data_dir, chroma_url=settings.chroma_url, collection=collection
    )


@app.command()
def ingest(
    directory: Annotated[Path, typer.Argument(help="A knowledge directory or a store directory.")],
    data_dir: DataDirOption = None,
    collection: CollectionOption = None,
    dry_run: Annotated[bool, typer.Option(help="Report what would change; write nothing.")] = False,
) -> None:
    """Index Markdown/text files; unchanged files are skipped, deleted ones removed."""
    console = Console()
    from knowledge import collection_name

    if (directory / "knowledge").is_dir():
        directory = directory / "knowledge"
    if not directory.is_dir():
        raise typer.BadParameter(f"not a directory: {directory}", param_hint="DIRECTORY")
    logging.getLogger("knowledge").setLevel(logging.ERROR)
    kb = _open(data_dir, collection or collection_name(directory))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("embedding", total=None)

        def advance(done: int, total: int, source: str) -> None:
            progress.update(task, completed=done, total=total, description=source or "done")

        report = kb.ingest(directory, dry_run=dry_run, progress=advance)
    verb = "would change" if dry_run else "ingested"
    console.print(
        f"{verb} {directory} into [bold]{kb.store.name}[/]: {len(report.added)} added, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed, {len(report.skipped)} skipped; "
        f"{report.passages_written} passages written, {report.passages_total} in the index "
        f"({report.seconds:.2f}s)"
    )
    for skipped in report.skipped:
        console.print(f"[yellow]skipped[/] {skipped.source}: {skipped.reason}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="The customer's question.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 5,
    method: Annotated[str, typer.Option(help="dense, lexical or hybrid.")] = "hybrid",
    data_dir: DataDirOption = None,
    collection: CollectionOption = None,
    show_text: Annotated[bool, typer.Option(help="Show passage text.")] = True,
) -> None:
    """Print the ranked passages for a question, with scores."""
    console = Console()
    from knowledge import METHODS, collection_name

    if method not in METHODS:
        raise typer.BadParameter(f"use one of {', '.join(METHODS)}", param_hint="--method")
    settings = load_settings()
    name = collection or collection_name(settings.store_dir or DEMO_STORE_DIR)
    kb = _open(data_dir, name)
    if kb.store.count() == 0:
        console.print(f"[red]collection {name} is empty[/]: run `threadline knowledge ingest DIR`")
        raise typer.Exit(1)
    result = kb.search(query, k=k, method=method)
    table = Table(title=f"{method} results for: {query}")
    for column in ("#", "score", "cosine", "bm25", "id", "heading"):
        table.add_column(column, overflow="fold")
    if show_text:
        table.add_column("text", overflow="fold", max_width=60)
    for rank, hit in enumerate(result.passages, start=1):
        row = [
            str(rank),
            f"{hit.score:.3f}",
            "-" if hit.dense_score is None else f"{hit.dense_score:.3f}",
            "-" if hit.lexical_score is None else f"{hit.lexical_score:.2f}",
            hit.id,
            " > ".join(hit.heading_path),
        ]
        if show_text:
            row.append(hit.text[:300])
        table.add_row(*row)
    console.print(table)
    verdict = (
        "[green]answerable[/]" if result.answerable else "[red]not answerable[/] (ask/escalate)"
    )
    console.print(
        f"confidence {result.confidence:.3f} (threshold {result.threshold:.2f}): {verdict}"
    )


@app.command("eval")
def evaluate(
    bitext_per_intent: Annotated[
        int, typer.Option(help="Bitext utterances per intent (0: all).")
    ] = 40,
    sweep: Annotated[bool, typer.Option(help="Also sweep fusion parameters.")] = False,
    output: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
) -> None:
    """Measure recall@1/3/5 and MRR for dense, lexical and hybrid on the labelled questions."""
    from evals.retrieval.__main__ import evaluate as run

    run(bitext_per_intent=bitext_per_intent, sweep=sweep, output=output)
