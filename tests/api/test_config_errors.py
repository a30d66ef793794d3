"""A configuration mistake (a setting, `policy.yaml`, a sandbox fixture) ends every command that
reads it with one line naming the key or file, exit code 2, and no traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.cli import main
from api.settings import DEMO_STORE_DIR

UNKNOWN_KEY = "refunds: {auto_approve_limt: 50}\n"
WRONG_TYPE = "returns: {window_days: soon}\n"


def make_store(tmp_path: Path, policy: str | None = None) -> Path:
    """A copy of the demo store's policy and fixtures (no knowledge: nothing to embed)."""
    store = tmp_path / "store"
    shutil.copytree(DEMO_STORE_DIR / "sandbox", store / "sandbox")
    shutil.copy(DEMO_STORE_DIR / "policy.yaml", store / "policy.yaml")
    if policy is not None:
        with (store / "policy.yaml").open("a", encoding="utf-8") as file:
            file.write(policy)
    return store


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """`threadline ARGV` as the installed command runs it: its exit code and stderr lines."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    return int(exited.value.code or 0), [line for line in stderr.splitlines() if line.strip()]


def only_error_line(lines: list[str]) -> str:
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "1"],
        ["gate", "show"],
        ["eval", "run", "--suite", "example"],
    ],
)
def test_an_unknown_policy_key_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    store = make_store(tmp_path, UNKNOWN_KEY)
    code, lines = run([*command, "--store", str(store)], capsys)
    assert code == 2
    line = only_error_line(lines)
    assert f"{store / 'policy.yaml'}: refunds.auto_approve_limt:" in line


def test_the_store_from_the_environment_is_checked_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADLINE_STORE_DIR", str(make_store(tmp_path, UNKNOWN_KEY)))
    for command in (["serve", "--port", "1"], ["gate", "show"]):
        code, lines = run(command, capsys)
        assert code == 2
        assert "refunds.auto_approve_limt" in only_error_line(lines)


def test_chat_ends_with_the_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(["chat", "--store", str(make_store(tmp_path, UNKNOWN_KEY))], capsys)
    assert code == 2
    assert [line for line in lines if line.startswith("error: ")] == lines[-1:]
    assert "refunds.auto_approve_limt" in lines[-1]


def test_a_value_of_the_wrong_type_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run(
        ["serve", "--store", str(make_store(tmp_path, WRONG_TYPE)), "--port", "1"], capsys
    )
    assert code == 2
    line = only_error_line(lines)
    assert "returns.window_days: Input should be a valid integer" in line


def test_policy_yaml_that_does_not_parse_is_one_line_with_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store(tmp_path)
    (store / "policy.yaml").write_text("returns: {window_days: 30\nrefunds: {}\n")
    code, lines = run(["gate", "show", "--store", str(store)], capsys)
    assert code == 2
    assert f"{store / 'policy.yaml'}: not valid YAML: line 2" in only_error_line(lines)


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--demo", "--port", "1"],
        ["knowledge", "ingest", str(DEMO_STORE_DIR)],
        ["knowledge", "search", "how long do returns take?"],
        ["eval", "run", "--suite", "example"],
        ["keys", "list"],
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADLINE_MAX_BODY_BYTES", "abc")
    code, lines = run(command, capsys)
    assert code == 2
    line = only_error_line(lines)
    assert "THREADLINE_MAX_BODY_BYTES: Input should be a valid integer" in line
    assert "abc" not in line  # values are never echoed: a setting may be a secret


def test_a_setting_missing_its_partner_names_both(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADLINE_EVENTS_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    code, lines = run(["serve", "--demo", "--port", "1"], capsys)
    assert code == 2
    assert "THREADLINE_EVENTS_WEBHOOK_SECRET is required" in only_error_line(lines)


@pytest.mark.parametrize(
    "command",
    [["serve", "--port", "1", "--store"], ["eval", "run", "--suite", "example", "--store"]],
)
def test_a_broken_fixture_file_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    store = make_store(tmp_path)
    orders = store / "sandbox" / "orders.json"
    orders.write_text(orders.read_text()[:-40])  # cut short: no longer JSON
    code, lines = run([*command, str(store)], capsys)
    assert code == 2
    assert f"{orders}: cannot read JSON" in only_error_line(lines)


def test_a_fixture_record_missing_a_field_names_the_record_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store(tmp_path)
    orders = store / "sandbox" / "orders.json"
    data = json.loads(orders.read_text())
    del data["orders"][2]["line_items"][0]["quantity"]
    orders.write_text(json.dumps(data))
    code, lines = run(["sandbox", "serve", "--data", str(store / "sandbox"), "--port", "0"], capsys)
    assert code == 2
    assert "orders[2]" in only_error_line(lines) and "line_items[0].quantity" in lines[0]


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    """The path that printed a 60-line traceback: `gate show` on a store with an unknown key,
    run as a real process (its exception hook is the one users see)."""
    store = make_store(tmp_path, UNKNOWN_KEY)
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "gate", "show", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {store / 'policy.yaml'}: refunds.auto_approve_limt: Extra inputs are not permitted"
    ]
