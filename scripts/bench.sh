#!/usr/bin/env bash
# Benchmarks: POST /v1/messages latency on the demo store, then retrieval quality and latency.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
.venv/bin/python -m evals.bench "$@"
.venv/bin/python -m evals.retrieval
.venv/bin/python -m evals.bench.concurrency
