#!/usr/bin/env bash
# The demo: validate the example governance repository, generate a year of sample mentions and
# ingest them into a fresh demo store (more stages join as they land).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DEMO=.kpigov-demo
echo "== kpigov validate (example governance repository)"
$BIN/kpigov validate .

# Later steps read the same store: every kpigov command resolves KPIGOV_STORE_URL first.
export KPIGOV_STORE_URL="duckdb:///$PWD/$DEMO/store.duckdb"
rm -rf "$DEMO"
echo "== kpigov sample (2026, ~500 organic mentions a day, ~730 rows a day with reposts, bots and campaigns; seeded)"
$BIN/kpigov sample --out "$DEMO/sample" --seed 20260101 --start 2026-01-01 --end 2026-12-31 --per-day 500
echo "== kpigov ingest (dedup, bot/spam/CIB/employee flags and sentiment from policies/)"
$BIN/kpigov ingest "$DEMO"/sample/mentions-*.parquet --source canonical --repo .
echo "== kpigov ingest --source outcomes (weekly sales and support tickets the KPIs are judged against)"
$BIN/kpigov ingest "$DEMO/sample/outcomes.csv" --source outcomes --repo .

# Evaluation reads the store the steps above filled; it needs them to have run.
if [ -f "$DEMO/store.duckdb" ]; then
  echo "== kpigov evaluate --as-of 2026-11-22 (quality gates, KPI values, baselines, bands, spikes, alerts)"
  $BIN/kpigov evaluate . --as-of 2026-11-22 --alerts-file "$DEMO/alerts.jsonl"
else
  echo "== kpigov evaluate skipped: no demo store at $DEMO/store.duckdb (sample + ingest did not run)" >&2
  exit 1
fi
