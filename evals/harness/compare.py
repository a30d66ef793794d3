"""Two JSON reports side by side: metric deltas and the cases that flipped.

The ops team's tuning loop (change an example or a threshold, run, compare) and CI's baseline
check both read this: a case that passed before and fails now is `broken`, the reverse `fixed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.harness.reports import fmt

LOWER_IS_BETTER = ("unsafe_actions", "channel_violations", "channel_violation_rate")


@dataclass
class Comparison:
    before: str
    after: str
    deltas: dict[str, tuple[Any, Any]]
    fixed: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def worse(self) -> list[str]:
        """Metrics that moved the wrong way."""
        names = []
        for name, (old, new) in self.deltas.items():
            if not isinstance(old, int | float) or not isinstance(new, int | float):
                continue
            lower_is_better = name in LOWER_IS_BETTER
            counted = name not in ("cases", "turns", "retrieval_questions")
            if counted and (new > old if lower_is_better else new < old):
                names.append(name)
        return names

    def markdown(self) -> str:
        lines = [
            f"# {self.before} → {self.after}",
            "",
            "| metric | before | after | change |",
            "|---|---|---|---|",
        ]
        for name, (old, new) in self.deltas.items():
            change = (
                f"{new - old:+.3f}"
                if isinstance(old, int | float) and isinstance(new, int | float)
                else ""
            )
            lines.append(f"| {name} | {fmt(old)} | {fmt(new)} | {change} |")
        if worse := self.worse():
            lines += ["", f"Worse: {', '.join(worse)}."]
        for title, ids in (
            ("Broken (passed before, fail now)", self.broken),
            ("Fixed (failed before, pass now)", self.fixed),
            ("New cases", self.added),
            ("Cases no longer in the suite", self.removed),
        ):
            lines += ["", f"## {title}: {len(ids)}", ""]
            lines += [f"- {case_id}" for case_id in ids]
        return "\n".join(lines) + "\n"


def outcomes(report: dict[str, Any]) -> dict[str, bool]:
    """Whether each case passed every attempt."""
    passed: dict[str, bool] = {}
    for case in report["cases"]:
        passed[case["id"]] = passed.get(case["id"], True) and bool(case["passed"])
    return passed


def compare_reports(
    before: dict[str, Any], after: dict[str, Any], names: tuple[str, str] = ("A", "B")
) -> Comparison:
    old, new = outcomes(before), outcomes(after)
    metrics = list(dict.fromkeys([*before["metrics"], *after["metrics"]]))
    return Comparison(
        before=names[0],
        after=names[1],
        deltas={m: (before["metrics"].get(m), after["metrics"].get(m)) for m in metrics},
        fixed=sorted(i for i in old.keys() & new.keys() if not old[i] and new[i]),
        broken=sorted(i for i in old.keys() & new.keys() if old[i] and not new[i]),
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
    )


def load_report(path: Path) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a JSON eval report ({exc})") from None
    if not isinstance(report, dict) or "metrics" not in report or "cases" not in report:
        raise ValueError(f"{path}: not a JSON eval report (no metrics or cases)")
    return report
