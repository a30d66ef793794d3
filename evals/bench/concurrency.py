"""`python -m evals.bench.concurrency`: latency of one `threadline serve` process as load rises.

Starts a real `threadline serve --demo` on a fresh data directory (SQLite, the sandbox shop) and,
for each concurrency level, keeps that many senders busy with the benchmark's message mix (each
message from a new customer), then reports p50/p95/max and throughput per level, and the highest
level at which p95 stays under the target (1 s unless `--target-ms` says otherwise). A number,
not a pass/fail: run it on a quiet machine and compare with earlier runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from evals.bench.__main__ import MESSAGES, percentile

KEY = "bench-helpdesk-key-0123456789abcdef"


@contextmanager
def served(data_dir: Path) -> Iterator[str]:
    """A `threadline serve --demo` process on a free port; yields its base URL once ready."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("THREADLINE_")},
        "THREADLINE_DATA_DIR": str(data_dir),
        "THREADLINE_BOOTSTRAP_API_KEYS": f"helpdesk:{KEY}",
        "THREADLINE_LOG_LEVEL": "WARNING",
    }
    log = (data_dir / "serve.log").open("w")
    process = subprocess.Popen(  # noqa: S603 (our own CLI, fixed arguments)
        [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError(f"serve did not become ready; see {data_dir / 'serve.log'}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _bodies(prefix: str) -> Iterator[dict[str, Any]]:
    for i in itertools.count():
        channel, customer, text = MESSAGES[i % len(MESSAGES)]
        yield {
            "channel": channel,
            "external_id": f"{prefix}-{i}",
            "customer": {k: v.format(i=i) for k, v in customer.items()},
            "text": text,
        }


def level(url: str, concurrency: int, messages: int) -> dict[str, Any]:
    """Send `messages` with `concurrency` senders at once; latency and throughput."""
    bodies = list(itertools.islice(_bodies(f"c{concurrency}"), messages))
    headers = {"Authorization": f"Bearer {KEY}"}

    def send(body: dict[str, Any]) -> tuple[int, float]:
        started = time.perf_counter()
        response = httpx.post(f"{url}/v1/messages", json=body, headers=headers, timeout=300)
        return response.status_code, (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(send, bodies))
    seconds = time.perf_counter() - started
    timings = [ms for status, ms in results if status == 200]
    return {
        "concurrency": concurrency,
        "messages": messages,
        "errors": sum(1 for status, _ in results if status != 200),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        "per_second": round(messages / seconds, 1),
    }


def run(levels: list[int], per_level: int, target_ms: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp)) as url:
        level(url, 2, 16)  # warm-up: models, classifier, first connections
        rows = [level(url, c, max(per_level, 4 * c)) for c in levels]
    within = [row["concurrency"] for row in rows if row["p95_ms"] < target_ms and not row["errors"]]
    return {
        "levels": rows,
        "target_p95_ms": target_ms,
        "highest_concurrency_within_target": max(within, default=None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="1,2,4,8,16,32", help="Concurrency levels to try.")
    parser.add_argument(
        "--messages", type=int, default=48, help="Messages per level (at least 4 per sender)."
    )
    parser.add_argument("--target-ms", type=float, default=1000.0, help="The p95 to stay under.")
    args = parser.parse_args()
    levels = [int(part) for part in args.levels.split(",") if part.strip()]
    print(json.dumps(run(levels, args.messages, args.target_ms), indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
