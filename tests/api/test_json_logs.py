"""With `THREADLINE_LOG_FORMAT=json` (the default) every line a real `threadline serve --demo`
writes is one JSON object, over a whole start-up, a message and a shutdown: no progress bars, no
library debug lines, no bare warnings, no uvicorn lines of its own. The command's hints for the
person at the terminal (where it listens, the demo key, a message to try) are JSON lines too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.api.servers import KEY, free_port


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    stdout: Path
    stderr: Path

    def lines(self) -> list[str]:
        """Every line written so far, stdout's then stderr's."""
        return [
            line
            for path in (self.stdout, self.stderr)
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        ]


@contextmanager
def serve_demo(data_dir: Path, **settings: str) -> Iterator[Served]:
    """`threadline serve --demo` as a user starts it, on a free port with `data_dir` and more
    `THREADLINE_*` settings, both its streams kept; returns once /readyz answered 200 and stops
    the process (SIGTERM, as an orchestrator would) when the block ends."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("THREADLINE_")},
        "THREADLINE_DATA_DIR": str(data_dir),
        **{f"THREADLINE_{name.upper()}": value for name, value in settings.items()},
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    stdout, stderr = data_dir / "stdout.log", data_dir / "stderr.log"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )
    served = Served(f"http://127.0.0.1:{port}", process, stdout, stderr)
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{served.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "\n".join(served.lines())
            assert time.monotonic() < deadline, "serve did not become ready"
            time.sleep(0.5)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def hint(lines: list[dict[str, Any]], field: str) -> str:
    """The value of `field` in the command's hint line that carries it."""
    values = [
        line[field] for line in lines if line.get("logger") == "threadline.cli" and field in line
    ]
    assert len(values) == 1, lines
    return str(values[0])


def test_serve_writes_only_json_lines_from_start_to_stop(tmp_path: Path) -> None:
    with serve_demo(tmp_path / "data", bootstrap_api_keys=f"helpdesk:{KEY}") as served:
        started = [json.loads(line) for line in served.lines()]
        # The hint's example, run as printed, with the key where it says to keep it.
        command = hint(started, "command")
        sent = subprocess.run(
            ["bash", "-c", command],
            env={**os.environ, "THREADLINE_KEY": KEY},
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        assert json.loads(sent.stdout)["outcome"] == "replied"
    # uvicorn shuts down gracefully, then dies of the signal it caught, as a process should
    assert served.process.returncode in (0, -signal.SIGTERM)
    lines = served.lines()
    assert lines and any("Finished server process" in line for line in lines)  # to the end
    records = []
    for line in lines:
        record = json.loads(line)  # fails on a progress bar, a bare warning, a traceback
        assert isinstance(record, dict)
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        assert str(record["time"]).endswith("Z"), record  # the one time format: UTC with Z
        records.append(record)
    assert hint(records, "url") == served.url
    assert not [r for r in records if r["level"] == "DEBUG"]
    assert KEY not in "\n".join(lines)  # the bootstrap key is never shown or logged
    assert served.stdout.read_text() == ""  # stdout is left to the user; the log is stderr
