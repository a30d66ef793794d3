#!/usr/bin/env bash
# Sets up .venv if needed, then runs lint, format check, type check and the test suite.
# Extra arguments go to pytest (e.g. `./scripts/test.sh -k identity`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
  RAGAS_DO_NOT_TRACK=true LANGSMITH_TRACING=false ANONYMIZED_TELEMETRY=False
packages=(agent knowledge tools api evals inbox)
.venv/bin/ruff check "${packages[@]}" tests
.venv/bin/ruff format --check "${packages[@]}" tests
.venv/bin/mypy
.venv/bin/pytest "$@"
