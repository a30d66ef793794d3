"""The commands a new user copies work as printed: the message `serve --demo` suggests at
start-up, and every README example that talks to the local server (issue 12)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from api.settings import PROJECT_ROOT
from tests.api.test_json_logs import Served, serve_demo

README = PROJECT_ROOT / "README.md"
LOCAL_SERVER = "http://127.0.0.1:8080"
"""Where the README's examples expect `serve --demo`; the test's server runs on a free port."""
KEY_PLACEHOLDER = "tl_…"
"""How the README writes the demo key that `serve --demo` prints."""


def local_examples() -> list[str]:
    """The README's shell blocks that call the local server with curl."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [block for block in blocks if "curl" in block and LOCAL_SERVER in block]


def json_documents(output: str) -> list[Any]:
    """The JSON bodies curl printed one after another (`curl -s` adds no newline)."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(output):
        if output[position].isspace():
            position += 1
            continue
        document, position = decoder.raw_decode(output, position)
        documents.append(document)
    return documents


def bash(script: str, **env: str) -> str:
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{script}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{script}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A first `serve --demo` on a fresh database (so it mints and prints the demo key), in the
    plain text format a person reads."""
    with serve_demo(tmp_path_factory.mktemp("readme"), log_format="text") as served:
        yield served


def printed_key(served: Served) -> str:
    keys = [
        line.rpartition(": ")[2]
        for line in served.lines()
        if line.startswith("Demo admin API key (shown once): ")
    ]
    assert len(keys) == 1, served.lines()
    return keys[0]


def test_the_start_up_hint_sends_a_message_as_printed(served: Served) -> None:
    lines = served.lines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Try a message"))
    command = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        command.append(line.removeprefix("  "))
    assert command[0] == f"export THREADLINE_KEY={printed_key(served)}"
    assert command[1].startswith(f"curl -s {served.url}/v1/messages ")
    answer = json.loads(bash("\n".join(command)))
    assert answer["outcome"] == "replied"
    assert "30 days" in answer["reply"]["text"]  # the demo store's return window, from knowledge


def test_the_readme_examples_run_against_the_demo(served: Served) -> None:
    examples = local_examples()
    assert len(examples) >= 2  # the quick start's and the messages section's
    for example in examples:
        script = example.replace(LOCAL_SERVER, served.url).replace(
            KEY_PLACEHOLDER, printed_key(served)
        )
        documents = json_documents(bash(script, THREADLINE_KEY=printed_key(served)))
        assert documents, example
        for document in documents:
            assert "error" not in document, (example, document)
