"""Suites built from labelled data when asked for by name: `retrieval`, `bitext`, `tau-retail`.

Each is an ordinary `Suite`, so it runs, scores and reports like a suite file. The Bitext and
τ²-bench data live outside the project; without them the suite is empty and says why.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from evals.harness.suite import Suite, parse_suite

RETRIEVAL_DIR = Path(__file__).resolve().parents[1] / "retrieval"
RETRIEVAL_SETS = (("questions.jsonl", "demo"), ("second_store_heldout.jsonl", "second"))


class SuiteUnavailable(RuntimeError):
    """A built-in suite whose data is not on this machine (e.g. no `../shared`)."""


def _question_case(row: dict[str, Any], store: str, prefix: str) -> dict[str, Any]:
    return {
        "id": f"{prefix}-{row['id']}",
        "store": store,
        "tags": ["area:knowledge", "channel:chat", *(f"kind:{t}" for t in row.get("tags") or [])],
        "turns": [
            {
                "channel": "chat",
                "thread_id": "t",
                "text": row["question"],
                "expect": {"sources": list(row["relevant"])},
            }
        ],
    }


def retrieval_suite() -> Suite:
    """The labelled knowledge questions of both stores, each asked once in chat."""
    cases = []
    for name, store in RETRIEVAL_SETS:
        prefix = "demo" if store == "demo" else "second"
        with (RETRIEVAL_DIR / name).open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        cases += [_question_case(row, store, prefix) for row in rows if row["relevant"]]
    suite = _checked(
        "retrieval", "Labelled policy and FAQ questions, demo and second store.", cases
    )
    suite.notes.append(
        "questions with no relevant passage (out of scope) are left out: retrieval has no answer"
    )
    return suite


def bitext_suite() -> Suite:
    """Bitext's customer-support utterances with intents mapped onto ours, one chat turn each."""
    from evals.intents.bitext import bitext_csv, load_utterances

    path = bitext_csv()
    if path is None:
        raise SuiteUnavailable("the Bitext dataset is not on this machine (../shared/datasets)")
    cases = [
        {
            "id": f"bitext-{index:04d}",
            "tags": [f"intent:{u.expected}", f"bitext:{u.bitext_intent}", "channel:chat"],
            "turns": [
                {
                    "channel": "chat",
                    "thread_id": "t",
                    "text": u.text,
                    "expect": {"intent": u.expected},
                }
            ],
        }
        for index, u in enumerate(load_utterances(path), start=1)
    ]
    return _checked("bitext", "Bitext utterances, intent accuracy through the whole app.", cases)


def tau_retail_suite() -> Suite:
    """τ²-bench retail's test tasks on its database converted into a store directory."""
    from evals.tau.convert import write_store
    from evals.tau.suite import build_suite

    target = Path(
        os.environ.get("THREADLINE_TAU_STORE_DIR")
        or tempfile.mkdtemp(prefix="threadline-tau-retail-")
    )
    try:
        store_dir = write_store(target)
        data = build_suite(store_dir)
    except FileNotFoundError as exc:
        raise SuiteUnavailable(f"the τ²-bench retail data is not on this machine ({exc})") from None
    suite = _checked("tau-retail", data.get("description", ""), data["cases"], store=str(store_dir))
    return suite


def _checked(
    name: str, description: str, cases: list[dict[str, Any]], store: str = "demo"
) -> Suite:
    """Validate a built suite exactly as a file would be."""
    data = {"suite": name, "description": description, "store": store, "cases": cases}
    return parse_suite(json.dumps(data), f"<built-in suite {name}>")
