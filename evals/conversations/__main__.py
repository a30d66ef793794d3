"""`python -m evals.conversations`: the multi-turn held-out exchanges, per kind and store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evals.conversations.runner import SETS, TEST_SET, evaluate_conversations, load_exchanges

app = typer.Typer(add_completion=False)


@app.command()
def main(
    exchanges_set: Annotated[
        str,
        typer.Option("--set", help="followups, fresh or fresh2 (dev sets), fresh3 (the test set)"),
    ] = "followups",
    store: Annotated[str, typer.Option(help="demo, second or both")] = "both",
    kind: Annotated[str | None, typer.Option(help="only exchanges of this kind")] = None,
    only: Annotated[
        str | None, typer.Option(help="only these exchanges (ids, comma-separated)")
    ] = None,
    failures: Annotated[bool, typer.Option(help="list every failed exchange")] = True,
    transcripts: Annotated[
        bool, typer.Option(help="with --failures, print each failed exchange turn by turn")
    ] = False,
) -> None:
    exchanges = [
        e
        for e in load_exchanges(SETS[exchanges_set])
        if (kind is None or e["kind"] == kind) and (only is None or e["id"] in only.split(","))
    ]
    stores = ("demo", "second") if store == "both" else (store,)
    report = evaluate_conversations(exchanges, stores=stores)
    console = Console()
    console.print(
        f"[bold]Held-out exchanges, {exchanges_set}[/bold] ({len(report.results)}): "
        f"{report.accuracy:.3f} passed"
    )
    table = Table("split", "value", "passed", "total", "rate")
    for key in ("kind", "store", "cross_channel"):
        for value, (passed, total) in report.by(key).items():
            table.add_row(key, value, str(passed), str(total), f"{passed / total:.3f}")
    console.print(table)
    if failures and exchanges_set != TEST_SET:  # nobody may tune on the test set
        for result in report.results:
            for failure in result.failures:
                console.print(f"{result.id} ({result.kind}) turn {failure.turn}: {failure.what}")
            if transcripts and result.failures:
                for turn in result.transcript:
                    console.print(f"  > [{turn.channel}] {turn.text}", markup=False)
                    console.print(f"  < ({turn.intent}, {turn.outcome}) {turn.reply}", markup=False)


if __name__ == "__main__":
    app()
