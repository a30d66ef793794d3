#!/usr/bin/env bash
# The eval gates CI runs after the tests: the regression suite against its baseline (a case that
# passed there and fails now, or a metric under its threshold, fails the run and is listed), then
# τ²-bench retail, reported and failing only under its own baseline (skipped without ../shared).
# Reports go to $THREADLINE_EVAL_REPORTS (default .threadline/eval-reports) as .md, .json, .xml.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
  RAGAS_DO_NOT_TRACK=true LANGSMITH_TRACING=false ANONYMIZED_TELEMETRY=False
out="${THREADLINE_EVAL_REPORTS:-.threadline/eval-reports}"
mkdir -p "$out"
for suite in regression tau-retail; do
  .venv/bin/threadline eval run --suite "$suite" --workers 2 \
    --baseline "evals/baselines/$suite.json" \
    --report "$out/$suite.md" --report "$out/$suite.json" --report "$out/$suite.xml"
done
