"""`python -m evals.bench`: p50/p95 latency of POST /v1/messages on the demo store.

Runs the whole app in-process (FastAPI, SQLite, Chroma, the sandbox shop over HTTP) on a fresh
data directory and sends a mix of realistic first messages and follow-ups across channels.
Start-up (model load, ingest, classifier training) is timed separately from requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role

MESSAGES = [
    ("chat", {"handle": "bench-{i}"}, "hi! what's your return policy?"),
    ("chat", {"handle": "bench-{i}"}, "do you ship to canada, how long does it take"),
    ("email", {"email": "bench{i}@example.com"}, "Where is my order? I haven't got it yet."),
    ("sms", {"phone": "+1415555{i:04d}"}, "can i change the address on my order"),
    ("instagram", {"handle": "bench.{i}"}, "my jacket arrived with a broken zipper"),
    ("chat", {"handle": "bench-{i}"}, "thanks, that's all"),
    ("whatsapp", {"phone": "+1415556{i:04d}"}, "i want to talk to a human"),
    ("messenger", {"handle": "m{i}"}, "my discount code isn't working at checkout"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        settings = Settings(
            data_dir=data,
            database_url=f"sqlite:///{data}/db.sqlite",
            store_dir=DEMO_STORE_DIR,
            log_level="WARNING",
        )
        engine = make_engine(settings.resolved_database_url)
        upgrade(engine)
        with session_scope(engine) as session:
            key, _ = create_key(session, Role.helpdesk, "bench")
        headers = {"Authorization": f"Bearer {key}"}
        started = time.perf_counter()
        with TestClient(create_app(settings, engine)) as client:
            startup = time.perf_counter() - started
            client.post(
                "/v1/messages",
                headers=headers,
                json={  # warm-up
                    "channel": "chat",
                    "external_id": "warm",
                    "customer": {"handle": "w"},
                    "text": "hello",
                },
            )
            timings: dict[str, list[float]] = {}
            for i in range(rounds):
                for n, (channel, customer, text) in enumerate(MESSAGES):
                    body = {
                        "channel": channel,
                        "external_id": f"bench-{i}-{n}",
                        "customer": {k: v.format(i=i) for k, v in customer.items()},
                        "text": text,
                    }
                    t0 = time.perf_counter()
                    response = client.post("/v1/messages", headers=headers, json=body)
                    elapsed = (time.perf_counter() - t0) * 1000
                    response.raise_for_status()
                    timings.setdefault("all", []).append(elapsed)
                    timings.setdefault(channel, []).append(elapsed)
        engine.dispose()
    every = timings["all"]
    return {
        "requests": len(every),
        "startup_s": round(startup, 2),
        "p50_ms": round(statistics.median(every), 1),
        "p95_ms": round(percentile(every, 0.95), 1),
        "max_ms": round(max(every), 1),
        "per_channel_p50_ms": {
            ch: round(statistics.median(v), 1) for ch, v in timings.items() if ch != "all"
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="Times to send the message mix.")
    args = parser.parse_args()
    print(json.dumps(run(args.rounds), indent=2))  # noqa: T201  (a command's output)


if __name__ == "__main__":
    main()
