"""One eval run end to end: play the suite, score it, and gather everything a report shows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from evals.harness import ragas_metrics
from evals.harness.metrics import breakdown, run_metrics, supported_split
from evals.harness.runner import Progress, RunResult, run_suite
from evals.harness.suite import Suite


def ragas_samples(run: RunResult) -> list[Any]:
    """One ragas sample per turn that names sources or a reference answer."""
    by_id = {case["id"]: case for case in run.cases}
    samples = []
    for result in run.first_attempts():
        texts = run.passages.get(result.store, {})
        for turn, record in zip(by_id[result.id]["turns"], result.turns, strict=False):
            expect = turn.get("expect") or {}
            relevant = expect.get("sources")
            relevant = [relevant] if isinstance(relevant, str) else list(relevant or [])
            if record.status != 200 or not (relevant or expect.get("reference")):
                continue
            retrieved = [s["id"] for s in record.sources]
            samples.append(
                ragas_metrics.RagasSample(
                    user_input=record.text,
                    response=record.reply,
                    reference=expect.get("reference"),
                    retrieved_context_ids=retrieved,
                    reference_context_ids=relevant,
                    retrieved_contexts=[texts[i] for i in retrieved if i in texts],
                    reference_contexts=[texts[i] for i in relevant if i in texts],
                )
            )
    return samples


def evaluate(
    suite: Suite,
    *,
    store: str | Path | None = None,
    repeat: int = 1,
    workers: int = 1,
    only: set[str] | None = None,
    progress: Progress | None = None,
    llm_configured: bool = False,
) -> dict[str, Any]:
    """Run `suite` and return the report (the JSON report's content)."""
    started = dt.datetime.now(dt.UTC)
    run = run_suite(
        suite, store=store, repeat=repeat, workers=workers, only=only, progress=progress
    )
    notes = list(run.notes)
    samples = ragas_samples(run)
    ragas = ragas_metrics.offline_scores(samples) if samples else {}
    notes.append(ragas_metrics.llm_metrics_status(llm_configured))
    by_id = {case["id"]: case for case in run.cases}
    pairs = [(by_id[r.id], r) for r in run.first_attempts()]
    return {
        "suite": suite.name,
        "description": suite.description,
        "store": str(store) if store else None,
        "repeat": repeat,
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round(run.seconds, 1),
        "metrics": run_metrics(run, ragas),
        "breakdown": breakdown(pairs),
        "split": supported_split(pairs),
        "notes": notes,
        "cases": [r.to_json() for r in run.results],
    }
