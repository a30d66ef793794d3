from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from inbox.db import current_revision, make_engine, session_scope
from inbox.keys import authenticate

runner = CliRunner()


def test_db_upgrade_migrates_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("THREADLINE_DATABASE_URL", url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revision(make_engine(url)) is not None
    assert runner.invoke(app, ["db", "current"]).output.strip() == current_revision(
        make_engine(url)
    )


def test_keys_create_prints_a_working_key_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    monkeypatch.setenv("THREADLINE_DATABASE_URL", url)
    result = runner.invoke(app, ["keys", "create", "--role", "reviewer", "--name", "qa"])
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip()
    with session_scope(make_engine(url)) as session:
        key = authenticate(session, plaintext)
        assert key is not None and key.role == "reviewer"
    listing = runner.invoke(app, ["keys", "list"]).stdout
    assert "reviewer" in listing and plaintext not in listing
    assert runner.invoke(app, ["keys", "create", "--role", "root"]).exit_code == 2


def test_invalid_settings_are_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADLINE_LOG_LEVEL", "LOUD")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "THREADLINE_LOG_LEVEL" in result.output


def test_every_command_has_help() -> None:
    for command in (["serve"], ["db", "upgrade"], ["keys", "create"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--store", str(tmp_path / "nope")])
    assert result.exit_code == 2


@pytest.mark.parametrize("broken", ["fixture", "policy"])
def test_serve_reports_a_bad_store_in_one_line_before_listening(
    tmp_path: Path, broken: str
) -> None:
    import json
    import shutil

    from api.settings import DEMO_STORE_DIR

    store = tmp_path / "store"
    shutil.copytree(DEMO_STORE_DIR / "sandbox", store / "sandbox")
    (store / "policy.yaml").write_text("store: {name: Broken}\n", encoding="utf-8")
    if broken == "fixture":
        path = store / "sandbox" / "orders.json"
        data = json.loads(path.read_text())
        del data["orders"][0]["line_items"][0]["price"]
        path.write_text(json.dumps(data))
    else:
        (store / "policy.yaml").write_text("refunds: {auto_aprove_limit: 5}\n", encoding="utf-8")
    result = runner.invoke(app, ["serve", "--store", str(store), "--port", "1"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "listening" not in result.output
    expected = "line_items[0].price" if broken == "fixture" else "auto_aprove_limit"
    assert expected in result.output
