"""Suite files: YAML validated against `suite.schema.json`, errors reported with file and line.

A suite names cases; each case names its store (`demo`, `second`, or a directory relative to the
suite file). Built-in suites are looked up by name: `regression` is a file in `evals/suites/`,
`retrieval`, `bitext` and `tau-retail` are built from labelled data when asked for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("suite.schema.json")
SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"
NAMED_STORES = ("demo", "second")


class SuiteError(ValueError):
    """A suite that cannot be run, with where the problem is."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class Suite:
    name: str
    cases: list[dict[str, Any]]
    path: Path | None = None
    """The file the suite came from (None for a suite built in memory)."""
    description: str = ""
    notes: list[str] = field(default_factory=list)
    """Lines the report prints about how the suite was built (e.g. what was skipped)."""

    def store_of(self, case: dict[str, Any], override: str | Path | None = None) -> str:
        """The store a case runs on: `override`, else the case's, else the suite's, else demo.

        A directory is returned as an absolute path (a case's relative to the suite file, an
        override's relative to the working directory); `demo` and `second` stay names.
        """
        store = str(override or case.get("store") or "demo")
        if store in NAMED_STORES:
            return store
        path = Path(store)
        if not path.is_absolute() and self.path is not None and override is None:
            path = self.path.parent / path
        return str(path.resolve())


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text("utf-8"))
    return loaded


def _line_of(node: yaml.Node, where: list[str | int]) -> int:
    """The 1-based line of the YAML node at `where` (the nearest existing ancestor's)."""
    for key in where:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            match = node.value[key] if key < len(node.value) else None
        else:
            match = None
        if match is None:
            break
        node = match
    return int(node.start_mark.line) + 1


def _comment_after_text(node: yaml.Node, source: str) -> int | None:
    """The line of a plain (unquoted) turn text followed by a comment, which YAML drops.

    `text: my order #1042` reads as 'my order': the order number silently disappears.
    """
    lines = source.splitlines()
    cases = _child(node, "cases")
    for case in cases.value if isinstance(cases, yaml.SequenceNode) else []:
        turns = _child(case, "turns")
        for turn in turns.value if isinstance(turns, yaml.SequenceNode) else []:
            text = _child(turn, "text")
            if not isinstance(text, yaml.ScalarNode) or text.style is not None:
                continue
            end = text.end_mark
            if end.line < len(lines) and lines[end.line][end.column :].lstrip().startswith("#"):
                return int(end.line) + 1
    return None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if k.value == key), None)


def parse_suite(text: str, path: Path | str, default_name: str | None = None) -> Suite:
    """A suite from its YAML text; `SuiteError` with the line of the first problem."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SuiteError(path, line, f"not valid YAML: {exc.problem or exc}") from None
    if node is None or not isinstance(data, dict):
        raise SuiteError(path, 1, "a suite is a mapping with 'suite' and 'cases'")
    if default_name and "suite" not in data:
        data["suite"] = default_name
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = list(error.absolute_path)
        field_name = ".".join(str(p) for p in where) or "(top level)"
        raise SuiteError(path, _line_of(node, where), f"{field_name}: {error.message}")
    if line := _comment_after_text(node, text):
        raise SuiteError(
            path, line, "a '#' in an unquoted text starts a YAML comment: quote the text"
        )
    seen: dict[str, int] = {}
    for index, case in enumerate(data["cases"]):
        if case["id"] in seen:
            line = _line_of(node, ["cases", index, "id"])
            raise SuiteError(path, line, f"case id {case['id']!r} is used twice")
        seen[case["id"]] = index
        for number, turn in enumerate(case["turns"]):
            anonymous = turn.get("customer") is None and case.get("customer") is None
            if anonymous and not turn.get("thread_id"):
                turn_line = _line_of(node, ["cases", index, "turns", number])
                raise SuiteError(
                    path, turn_line, f"case {case['id']}: a turn needs a customer or thread_id"
                )
    for case in data["cases"]:
        case.setdefault("store", data.get("store", "demo"))
    return Suite(
        name=data["suite"],
        cases=data["cases"],
        path=Path(path) if not isinstance(path, Path) else path,
        description=data.get("description", ""),
    )


def load_suite(path: Path) -> Suite:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise SuiteError(path, None, f"cannot be read ({exc.strerror})") from None
    return parse_suite(text, path.resolve(), default_name=path.stem)


def _regression() -> Suite:
    return load_suite(SUITES_DIR / "regression.yaml")


def _retrieval() -> Suite:
    from evals.harness.builtin import retrieval_suite

    return retrieval_suite()


def _bitext() -> Suite:
    from evals.harness.builtin import bitext_suite

    return bitext_suite()


def _tau_retail() -> Suite:
    from evals.harness.builtin import tau_retail_suite

    return tau_retail_suite()


BUILTIN: dict[str, Callable[[], Suite]] = {
    "regression": _regression,
    "retrieval": _retrieval,
    "bitext": _bitext,
    "tau-retail": _tau_retail,
}


def resolve_suite(name_or_file: str) -> Suite:
    """A built-in suite by name, or a suite file."""
    if name_or_file in BUILTIN:
        return BUILTIN[name_or_file]()
    path = Path(name_or_file)
    if not path.exists():
        known = ", ".join(BUILTIN)
        raise SuiteError(path, None, f"no such suite file (built-in suites: {known})")
    return load_suite(path)
