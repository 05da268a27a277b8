"""``kpigov enforce-retention``: dry run by default, --apply changes, bad input exits 2."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.store import open_store, schema
from tests.retention.test_enforce import mention

runner = CliRunner()


def test_dry_run_then_apply(duckdb_url: str) -> None:
    with open_store(duckdb_url, create=True) as store, store.transaction() as conn:
        conn.execute(insert(schema.mentions), [mention(1, datetime(2020, 1, 1)),
                                               mention(2, datetime(2026, 11, 20), deleted_at_source=datetime(2026, 11, 21))])
    args = ["enforce-retention", ".", "--store", duckdb_url, "--as-of", "2026-11-25", "--format", "json"]
    dry = runner.invoke(app, args)
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert not report["applied"] and report["rows_changed"] == 3  # 1 deletion, 1 anonymised, 1 aggregated
    applied = runner.invoke(app, [*args, "--apply"])
    assert applied.exit_code == 0 and json.loads(applied.stdout)["rows_changed"] == 3
    with open_store(duckdb_url, create=False) as store, store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(schema.mentions)).scalar_one() == 1


def test_bad_date_and_missing_store_are_clear(tmp_path) -> None:
    bad = runner.invoke(app, ["enforce-retention", ".", "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    missing = runner.invoke(app, ["enforce-retention", ".", "--store", f"duckdb:///{tmp_path / 'none.duckdb'}"])
    assert missing.exit_code == 2 and "no store" in missing.output


def test_a_failing_apply_exits_1_and_says_nothing_changed(duckdb_url: str) -> None:
    from sqlalchemy import text

    with open_store(duckdb_url, create=True) as store, store.transaction() as conn:
        conn.execute(insert(schema.mentions), [mention(1, datetime(2020, 1, 1))])
        conn.execute(text("ALTER TABLE mentions ALTER COLUMN text SET NOT NULL"))
    failed = runner.invoke(app, ["enforce-retention", ".", "--store", duckdb_url, "--as-of", "2026-11-25", "--apply"])
    assert failed.exit_code == 1 and "store is unchanged" in failed.output
