"""Reports of one run: Markdown for people, JSON for machines (and `compare`), JUnit XML for CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

FORMATS = {".md": "markdown", ".json": "json", ".xml": "junit"}


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def failing(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [case for case in report["cases"] if not case["passed"]]


def case_misses(case: dict[str, Any]) -> list[str]:
    misses = [f"turn {t['index']}: {m}" for t in case["turns"] for m in t["misses"]]
    return misses + list(case["misses"])


def markdown(report: dict[str, Any]) -> str:
    metrics = report["metrics"]
    lines = [
        f"# Eval report: {report['suite']}",
        "",
        f"{metrics['passed']}/{metrics['cases']} cases passed"
        f" ({fmt(metrics['pass_rate'])}), {report['seconds']} s, started {report['started_at']}"
        + (f", store {report['store']}" if report.get("store") else "")
        + (f", each case run {report['repeat']} times" if report["repeat"] > 1 else "")
        + ".",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {name} | {fmt(value)} |" for name, value in metrics.items()),
        "",
    ]
    if report.get("notes"):
        lines += [*(f"- {note}" for note in report["notes"]), ""]
    split = report["split"]
    if split["unsupported"]["cases"]:
        lines += [
            "## Supported and unsupported cases",
            "",
            "| cases | passed | total |",
            "|---|---|---|",
            *(
                f"| {kind} | {split[kind]['passed']} | {split[kind]['cases']} |"
                for kind in ("supported", "unsupported")
            ),
            "",
            "What the unsupported cases needed: "
            + ", ".join(f"{need} ({count})" for need, count in split["needs"].items()),
            "",
        ]
    lines += ["## Breakdown", "", "| by | value | passed | total | rate |", "|---|---|---|---|---|"]
    for kind, values in report["breakdown"].items():
        for value, (passed, total) in values.items():
            lines.append(f"| {kind} | {value} | {passed} | {total} | {fmt(passed / total)} |")
    lines.append("")
    failures = failing(report)
    lines += [f"## Failing cases ({len(failures)})", ""]
    for case in failures:
        attempt = f", attempt {case['attempt']}" if report["repeat"] > 1 else ""
        lines += [f"### {case['id']}{attempt}", ""]
        lines += [f"- {miss}" for miss in case_misses(case)]
        lines += ["", "| turn | channel | sent | outcome · intent | reply | trace |"]
        lines.append("|---|---|---|---|---|---|")
        for turn in case["turns"]:
            lines.append(
                f"| {turn['index']} | {turn['channel']} | {_cell(turn['text'][:300])} | "
                f"{turn['outcome']} · {turn['intent']} | {_cell(turn['reply'][:400])} | "
                f"{turn['trace_id'] or ''} |"
            )
        lines.append("")
    return "\n".join(lines)


def junit(report: dict[str, Any]) -> str:
    cases = report["cases"]
    suite = ET.Element(
        "testsuite",
        name=f"threadline-eval.{report['suite']}",
        tests=str(len(cases)),
        failures=str(len(failing(report))),
        errors="0",
        time=str(report["seconds"]),
        timestamp=report["started_at"],
    )
    for case in cases:
        name = case["id"] if report["repeat"] == 1 else f"{case['id']}#{case['attempt']}"
        element = ET.SubElement(
            suite,
            "testcase",
            classname=f"{report['suite']}.{case['store'].rsplit('/', 1)[-1]}",
            name=name,
            time=f"{case['seconds']:.3f}",
        )
        if not case["passed"]:
            misses = case_misses(case)
            failure = ET.SubElement(element, "failure", message=misses[0] if misses else "failed")
            failure.text = "\n".join(misses)
    properties = ET.Element("properties")
    for name, value in report["metrics"].items():
        ET.SubElement(properties, "property", name=name, value=fmt(value))
    suite.insert(0, properties)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def render(report: dict[str, Any], kind: str) -> str:
    if kind == "json":
        return json.dumps(report, indent=1, ensure_ascii=False) + "\n"
    if kind == "junit":
        return junit(report)
    return markdown(report)


def write_report(report: dict[str, Any], path: Path) -> str:
    """Write the report in the format its suffix names; returns that format."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: a report ends in .md, .json or .xml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, kind), encoding="utf-8")
    return kind
