#!/usr/bin/env bash
# The demo (`make demo`): the main job on the embedded DuckDB store, from governance files to the
# scorecard summary. Every step fails the demo if it fails (set -e).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DEMO=.kpigov-demo

echo "== kpigov validate (example governance repository)"
$BIN/kpigov validate .
echo "== kpigov test (policy tests: access, escalation routes, retention, KPI values)"
$BIN/kpigov test .

# Every later step reads the same store: kpigov commands resolve KPIGOV_STORE_URL first.
export KPIGOV_STORE_URL="duckdb:///$PWD/$DEMO/store.duckdb"
rm -rf "$DEMO"
echo "== kpigov sample (2026, ~500 organic mentions a day, ~730 rows a day with reposts, bots and campaigns; seeded)"
$BIN/kpigov sample --out "$DEMO/sample" --seed 20260101 --start 2026-01-01 --end 2026-12-31 --per-day 500
echo "== kpigov ingest (dedup, bot/spam/CIB/employee flags and sentiment from policies/)"
$BIN/kpigov ingest "$DEMO"/sample/mentions-*.parquet --source canonical --repo .
echo "== kpigov ingest --source outcomes (weekly sales and support tickets the KPIs are judged against)"
$BIN/kpigov ingest "$DEMO/sample/outcomes.csv" --source outcomes --repo .
echo "== kpigov evaluate --as-of 2026-11-22 (quality gates, KPI values, baselines, bands, spikes, alerts)"
$BIN/kpigov evaluate . --as-of 2026-11-22 --alerts-file "$DEMO/alerts.jsonl"
