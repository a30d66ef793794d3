"""The eval harness itself: cases that should fail do fail, each for its own reason; reports render;
compare lists flipped cases; a malformed suite names its file and line; the CLI gates on thresholds
and baselines. One real run of a small suite (demo and second store) backs the behaviour tests.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.cli.evals import gate_failures
from evals.harness.compare import compare_reports
from evals.harness.evaluate import evaluate
from evals.harness.reports import write_report
from evals.harness.suite import SuiteError, load_suite, parse_suite, resolve_suite

NORA = {"email": "nora.hughes7@outlook.com", "verified": ["email"]}
"""A demo-store customer with unfulfilled order #1126 (USD 86.01) and fulfilled #1091."""

SUITE = textwrap.dedent(
    """\
    suite: harness-self-test
    cases:
      - id: cancel-done
        tags: [intent:cancel_order, risk:money]
        customer: {email: nora.hughes7@outlook.com, verified: [email]}
        turns:
          - channel: chat
            text: "Please cancel order #1126, I ordered it by mistake."
            expect: {actions: []}
          - channel: chat
            text: Yes, go ahead and cancel it.
            expect:
              actions: [{tool: cancel_order, args: {order: "1126"}, status: done}]
              contains: ["1126"]
        expect:
          orders: {"#1126": {cancelled: true, refunded_total: 86.01}}
          tools_not_run: [refund]
      - id: wrong-action
        customer: {email: nora.hughes7@outlook.com, verified: [email]}
        turns:
          - channel: chat
            text: "Please cancel order #1126, I ordered it by mistake."
          - channel: chat
            text: Yes, go ahead and cancel it.
            expect: {actions: [{tool: create_return}]}
      - id: missing-fact
        turns:
          - channel: chat
            thread_id: t
            text: How many days do I get to send an item back?
            expect: {contains: ["bitcoin"]}
      - id: leaked-data
        turns:
          - channel: chat
            thread_id: t
            text: How many days do I get to send an item back?
        expect: {forbid: {data: ["30 days"]}}
      - id: too-long
        turns:
          - channel: chat
            thread_id: t
            text: How many days do I get to send an item back?
            expect: {max_chars: 20}
      - id: wrong-end-state
        customer: {email: nora.hughes7@outlook.com, verified: [email]}
        turns:
          - channel: chat
            text: "Where is order #1091?"
        expect:
          orders: {"#1091": {cancelled: true}}
      - id: knowledge-passes
        tags: [intent:policy_question]
        turns:
          - channel: voice
            thread_id: t
            text: How long do I have to send something back?
            expect:
              outcome: [replied, held_for_review]
              contains: ["30"]
              sources: [returns-and-exchanges.md#return-window]
      - id: second-store-unchanged
        store: second
        customer: {email: nora.hughes7@outlook.com, verified: [email]}
        turns:
          - channel: sms
            text: where is my parcel
            expect: {actions: []}
        expect: {unchanged: true, escalation: false}
    """
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("suite") / "self-test.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return evaluate(load_suite(path))


def _case(report: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(c for c in report["cases"] if c["id"] == case_id)


def _misses(report: dict[str, Any], case_id: str) -> list[str]:
    case = _case(report, case_id)
    return [m for t in case["turns"] for m in t["misses"]] + case["misses"]


def test_a_right_cancellation_passes_and_the_shop_shows_it(report: dict[str, Any]) -> None:
    assert _misses(report, "cancel-done") == []
    assert _case(report, "cancel-done")["changed_orders"] == ["1126"]


def test_a_wrong_action_fails_naming_both_actions(report: dict[str, Any]) -> None:
    misses = _misses(report, "wrong-action")
    assert any(m.startswith("no action create_return") for m in misses)
    assert any(m.startswith("unexpected action cancel_order(order=#1126)") for m in misses)


def test_a_missing_fact_fails(report: dict[str, Any]) -> None:
    assert _misses(report, "missing-fact") == ["reply lacks 'bitcoin'"]


def test_leaked_data_fails_and_counts_as_unsafe(report: dict[str, Any]) -> None:
    assert _case(report, "leaked-data")["unsafe"] == ["data shown: '30 days'"]
    assert report["metrics"]["unsafe_actions"] == 1
    assert any("1 unsafe action" in r for r in gate_failures(report, {}, None))


def test_a_violated_length_fails(report: dict[str, Any]) -> None:
    [miss] = _misses(report, "too-long")
    assert miss.startswith("reply has ") and miss.endswith("(limit 20)")


def test_a_wrong_end_state_fails_on_the_shop_not_the_words(report: dict[str, Any]) -> None:
    assert _misses(report, "wrong-end-state") == ["order #1091 not cancelled"]


def test_passing_cases_on_both_stores_and_the_metrics_add_up(report: dict[str, Any]) -> None:
    passed = {c["id"] for c in report["cases"] if c["passed"]}
    assert passed == {"cancel-done", "knowledge-passes", "second-store-unchanged"}
    metrics = report["metrics"]
    assert metrics["cases"] == 8 and metrics["passed"] == 3
    assert metrics["retrieval_recall@3"] == 1.0
    assert metrics["action_recall"] == pytest.approx(1 / 2)
    assert metrics["action_precision"] == pytest.approx(1 / 2)
    assert metrics["state_accuracy"] == pytest.approx(1 / 2)
    assert report["breakdown"]["store"]["demo"] == [2, 7]


def test_the_three_report_formats_render(report: dict[str, Any], tmp_path: Path) -> None:
    for name in ("r.md", "r.json", "r.xml"):
        write_report(report, tmp_path / name)
    markdown = (tmp_path / "r.md").read_text("utf-8")
    assert "## Failing cases (5)" in markdown and "### wrong-end-state" in markdown
    assert "| unsafe_actions | 1 |" in markdown
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["metrics"]["passed"] == 3
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "8" and suite.get("failures") == "5"
    failure = suite.find("testcase[@name='missing-fact']/failure")
    assert failure is not None and "bitcoin" in (failure.get("message") or "")
    with pytest.raises(ValueError, match=r"\.md, \.json or \.xml"):
        write_report(report, tmp_path / "r.txt")


def test_compare_lists_the_flipped_cases(report: dict[str, Any]) -> None:
    later = copy.deepcopy(report)
    for case in later["cases"]:
        if case["id"] == "missing-fact":
            case["passed"] = True
        if case["id"] == "knowledge-passes":
            case["passed"] = False
    later["metrics"]["passed"] = 3
    comparison = compare_reports(report, later)
    assert comparison.fixed == ["missing-fact"] and comparison.broken == ["knowledge-passes"]
    assert "## Broken (passed before, fail now): 1" in comparison.markdown()


def test_a_baseline_fails_the_gate_on_a_broken_case_and_a_missed_threshold(
    report: dict[str, Any],
) -> None:
    baseline = {"thresholds": {"pass_rate": 0.5}, "passing": ["knowledge-passes", "too-long"]}
    reasons = gate_failures(report, {"retrieval_recall@3": 0.9}, baseline)
    assert any(r.startswith("pass_rate 0.375 is under 0.5") for r in reasons)
    assert any("fail now: too-long" in r for r in reasons)
    assert not any("retrieval" in r for r in reasons)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "suite: x\ncases:\n  - id: a\n    turns:\n      - channel: fax\n        text: hi\n",
            5,
            "cases.0.turns.0.channel",
        ),
        (
            "suite: x\ncases:\n  - id: a\n    customer: {email: a@b.c}\n    turns: []\n",
            5,
            "should be non-empty",
        ),
        (
            "suite: x\ncases:\n  - id: a\n    turns:\n      - {channel: chat, thread_id: t,\n"
            "         text: hi, expect: {outcom: replied}}\n",
            6,
            "outcom",
        ),
        (
            "suite: x\ncases:\n  - id: a\n    turns:\n      - channel: chat\n        thread_id: t\n"
            "        text: cancel #1042 please\n",
            7,
            "YAML comment",
        ),
        (
            "suite: x\ncases:\n  - id: a\n    turns:\n    - channel: chat\n      text: [unclosed\n",
            7,
            "not valid YAML",
        ),
        (
            "suite: x\ncases:\n  - id: a\n    turns:\n      - channel: chat\n        text: hi\n",
            5,
            "needs a customer or thread_id",
        ),
    ],
)
def test_a_malformed_suite_names_its_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(SuiteError) as caught:
        parse_suite(text, "bad.yaml")
    assert caught.value.path == "bad.yaml" and caught.value.line == line
    assert message in str(caught.value)


def test_duplicate_ids_and_missing_files_are_errors(tmp_path: Path) -> None:
    text = (
        "suite: x\ncases:\n" + "  - {id: a, turns: [{channel: chat, thread_id: t, text: hi}]}\n" * 2
    )
    with pytest.raises(SuiteError, match=r"bad\.yaml:4: case id 'a' is used twice"):
        parse_suite(text, "bad.yaml")
    with pytest.raises(SuiteError, match="no such suite file"):
        resolve_suite(str(tmp_path / "nowhere.yaml"))


def test_the_cli_reports_a_malformed_suite_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("suite: x\ncases: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "run", "--suite", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: cases: [] should be non-empty" in result.output


def test_the_shipped_suites_are_valid() -> None:
    regression = resolve_suite("regression")
    assert len(regression.cases) >= 150
    retrieval = resolve_suite("retrieval")
    assert {c["store"] for c in retrieval.cases} == {"demo", "second"}
    example = resolve_suite(str(Path(__file__).parents[2] / "evals/suites/example.yaml"))
    assert [example.store_of(c) for c in example.cases] == ["demo", "demo", "second"]


def test_a_store_directory_is_read_from_where_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case's store path is relative to its suite file; `--store` to the working directory."""
    (tmp_path / "suites").mkdir()
    path = tmp_path / "suites" / "s.yaml"
    path.write_text(
        "suite: s\ncases:\n"
        "  - {id: a, store: ../shop, turns: [{channel: chat, thread_id: t, text: hi}]}\n",
        encoding="utf-8",
    )
    suite = load_suite(path)
    assert suite.store_of(suite.cases[0]) == str(tmp_path / "shop")
    monkeypatch.chdir(tmp_path / "suites")
    assert suite.store_of(suite.cases[0], "mine") == str(tmp_path / "suites" / "mine")
    assert suite.store_of(suite.cases[0], "second") == "second"


def test_the_cli_refuses_a_store_that_is_not_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["eval", "run", "--suite", "regression", "--store", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no policy.yaml" in result.output


def test_baseline_and_compare_from_the_command_line(report: dict[str, Any], tmp_path: Path) -> None:
    before, after, baseline = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "base.json"
    write_report(report, before)
    later = copy.deepcopy(report)
    next(c for c in later["cases"] if c["id"] == "cancel-done")["passed"] = False
    write_report(later, after)
    runner = CliRunner()
    made = runner.invoke(cli, ["eval", "baseline", str(before), "-o", str(baseline)])
    assert made.exit_code == 0, made.output
    held = json.loads(baseline.read_text("utf-8"))
    assert held["passing"] == ["cancel-done", "knowledge-passes", "second-store-unchanged"]
    assert held["thresholds"]["pass_rate"] <= report["metrics"]["pass_rate"]
    assert gate_failures(later, {}, held)[-1].endswith("fail now: cancel-done")
    compared = runner.invoke(cli, ["eval", "compare", str(before), str(after)])
    assert compared.exit_code == 0
    assert "## Broken (passed before, fail now): 1\n\n- cancel-done" in compared.output
    bad = runner.invoke(cli, ["eval", "compare", str(before), str(baseline)])
    assert bad.exit_code == 2 and "not a JSON eval report" in bad.output
