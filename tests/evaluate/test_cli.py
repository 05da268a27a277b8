"""``kpigov evaluate`` end to end with the real Great Expectations gates, and ``kpigov override``."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.store import open_store, schema
from tests.evaluate.synthetic import load, synthetic_mentions

runner = CliRunner()


def test_evaluate_json_with_real_gates_alert_file_and_override(example_repo: Path, duckdb_url: str, tmp_path: Path) -> None:
    with open_store(duckdb_url, create=True) as store:
        load(store, synthetic_mentions())
    alerts = tmp_path / "alerts.jsonl"
    done = runner.invoke(app, ["evaluate", str(example_repo), "--as-of", "2026-11-22", "--store", duckdb_url,
                               "--format", "json", "--alerts-file", str(alerts)])
    assert done.exit_code == 0, done.output
    run = json.loads(done.stdout[done.stdout.index("{"):])
    assert run["status"] == "ok" and len(run["kpis"]) == 13
    assert {k["status"] for k in run["kpis"]} == {"ok"}
    lines = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert len(lines) == len(run["alerts"]) > 0 and all(line["run_id"] == run["run_id"] for line in lines)
    with open_store(duckdb_url, create=False) as store, store.engine.connect() as conn:
        quality = json.loads(conn.execute(sa.select(schema.runs.c.quality)).scalar_one())
    suite = quality["suite/mentions-core"]
    assert suite["gx_result"] and {o["rule_id"] for o in suite["results"] if not o["success"]} == {"sentiment-scored"}
    # 2% of the synthetic mentions are unscored: a warning expectation fails, so KPIs are annotated, not withheld
    assert all(any("sentiment-scored" in note for note in k["notes"]) for k in run["kpis"] if k["components"])

    recorded = runner.invoke(app, ["override", "brand.customer.net_sentiment", "--period-start", "2026-11-16",
                                   "--decision", "release", "--by", "PR desk", "--reason", "explained",
                                   "--repo", str(example_repo), "--store", duckdb_url])
    assert recorded.exit_code == 0, recorded.output
    refused = runner.invoke(app, ["override", "brand.customer.net_sentiment", "--period-start", "2026-11-16",
                                  "--decision", "ignore", "--by", "x", "--reason", "y", "--repo", str(example_repo),
                                  "--store", duckdb_url])
    assert refused.exit_code == 2
