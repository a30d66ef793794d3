"""Render an `EvalReport` as rich tables (terminal) or JSON (files, CI)."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from evals.retrieval.metrics import CUTOFFS, MethodScores
from evals.retrieval.runner import EvalReport


def report_json(report: EvalReport) -> str:
    """The whole report as indented JSON."""
    return json.dumps(asdict(report), indent=2, default=str)


def render(report: EvalReport, console: Console) -> None:
    """Print the side-by-side tables."""
    console.print(
        _scores_table(
            f"Own question set ({report.questions} questions, passage level)", report.methods
        )
    )
    if report.bitext:
        console.print(_scores_table(f"Bitext ({report.bitext_note})", report.bitext))
    else:
        console.print(f"Bitext: {report.bitext_note}")

    tags = Table(title="Hybrid by question style")
    for column in ("tag", "n", "recall@3", "MRR"):
        tags.add_column(column)
    for tag, scores in report.by_tag["hybrid"].items():
        tags.add_row(tag, str(scores.count), f"{scores.recall[3]:.3f}", f"{scores.mrr:.3f}")
    console.print(tags)

    timing = Table(title="Query latency (single query, ms)")
    for column in ("method", "p50", "p95"):
        timing.add_column(column)
    for method, values in report.latency_ms.items():
        timing.add_row(method, f"{values['p50']:.1f}", f"{values['p95']:.1f}")
    console.print(timing)
    ingest = report.ingest
    console.print(
        f"Ingest: {ingest['files']:.0f} files, {ingest['passages']:.0f} passages in "
        f"{ingest['seconds']:.2f}s ({ingest['passages_per_second']:.0f} passages/s); "
        f"unchanged re-ingest {ingest['unchanged_reingest_seconds'] * 1000:.0f} ms"
    )

    curve = Table(title=f"Answerability threshold ({report.out_of_scope} out-of-scope questions)")
    for column in ("threshold", "in-scope kept", "out-of-scope rejected"):
        curve.add_column(column)
    for point in report.thresholds:
        marker = " <- current" if abs(point.threshold - report.chosen_threshold) < 1e-9 else ""
        curve.add_row(
            f"{point.threshold:.3f}{marker}",
            f"{point.in_scope_kept:.3f}",
            f"{point.out_of_scope_rejected:.3f}",
        )
    console.print(curve)
    current = report.answerability
    console.print(
        f"At the threshold in use ({current.threshold:.3f}): {current.in_scope_kept:.3f} of "
        f"in-scope questions answerable, {current.out_of_scope_rejected:.3f} of out-of-scope "
        "ones rejected"
    )
    console.print(f"Best balanced threshold on this set: {report.best_threshold:.3f}")

    if report.sweep:
        sweep = Table(title="Fusion sweep (hybrid)")
        for column in ("fusion", "recall@1", "recall@3", "recall@5", "MRR"):
            sweep.add_column(column)
        for row in report.sweep:
            sweep.add_row(
                str(row["fusion"]),
                *(f"{float(row[key]):.3f}" for key in ("recall@1", "recall@3", "recall@5", "mrr")),
            )
        console.print(sweep)


def _scores_table(title: str, methods: dict[str, MethodScores]) -> Table:
    table = Table(title=title)
    table.add_column("method")
    for k in CUTOFFS:
        table.add_column(f"recall@{k}", justify="right")
    table.add_column("MRR", justify="right")
    for method, scores in methods.items():
        table.add_row(method, *(f"{scores.recall[k]:.3f}" for k in CUTOFFS), f"{scores.mrr:.3f}")
    return table
