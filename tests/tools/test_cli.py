"""`threadline sandbox serve`: a real process serving the fixtures until stopped."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from typer.testing import CliRunner

from api.cli.sandbox import app
from tests.tools.conftest import DEMO_SANDBOX, PROJECT


def test_serve_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--data", "--port", "--token", "--state-file"):
        assert option in result.output


def test_serve_rejects_a_directory_without_fixtures(tmp_path) -> None:
    result = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--port", "0"])
    assert result.exit_code == 2
    assert "customers.json" in result.output


def test_serve_runs_the_store_over_http() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli.sandbox import app; app()",
            "serve",
            "--data",
            str(DEMO_SANDBOX),
            "--port",
            "0",
            "--token",
            "cli-token",
        ],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "Sandbox Shopify store on http://127.0.0.1:" in first
        assert "2026-11-20" in first
        url = first.split(" on ", 1)[1].split()[0]
        body = json.dumps({"query": "{ shop { name } }"}).encode()
        request = urllib.request.Request(
            f"{url}/admin/api/2025-07/graphql.json",
            body,
            {"Content-Type": "application/json", "X-Shopify-Access-Token": "cli-token"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["data"]["shop"]["name"] == "Northwind Outfitters"
    finally:
        process.terminate()
        process.communicate(timeout=10)
