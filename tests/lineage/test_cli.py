"""``kpigov audit verify|export`` and ``kpigov lineage flush``: exit codes and messages, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.lineage import AuditLog, AuditRecord
from kpigov.store import open_store, schema

runner = CliRunner()


def _store_with_entries(url: str) -> str:
    with open_store(url, create=True) as store:
        AuditLog(store, checkpoint_every=4).append_many(
            AuditRecord("retirement_decision", f"brand.customer.k{i}", {"decision": "retire"}, "review-board")
            for i in range(10))
    return url


def test_verify_export_and_verify_the_export(duckdb_url: str, tmp_path: Path) -> None:
    url = _store_with_entries(duckdb_url)
    ok = runner.invoke(app, ["audit", "verify", "--store", url, "--format", "json"])
    assert ok.exit_code == 0, ok.output
    head = json.loads(ok.stdout)["head"]
    out = tmp_path / "trail.jsonl"
    exported = runner.invoke(app, ["audit", "export", "--store", url, "--out", str(out)])
    assert exported.exit_code == 0 and len(out.read_text().splitlines()) == 10
    offline = runner.invoke(app, ["audit", "verify", "--file", str(out), "--trusted", f"{head['seq']}:{head['hash']}"])
    assert offline.exit_code == 0, offline.output


def test_a_broken_chain_exits_1_naming_the_entry(duckdb_url: str) -> None:
    url = _store_with_entries(duckdb_url)
    with open_store(url, create=False) as store, store.transaction() as conn:
        conn.execute(update(schema.audit_log).where(schema.audit_log.c.seq == 6).values(actor="mallory"))
    result = runner.invoke(app, ["audit", "verify", "--store", url])
    assert result.exit_code == 1
    assert "broken at entry 6" in result.output


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["audit", "verify", "--store", f"duckdb:///{tmp_path / 'none.duckdb'}"])
    assert missing.exit_code == 2 and "no store" in missing.output
    bad_anchor = runner.invoke(app, ["audit", "verify", "--store", "duckdb:///x.duckdb", "--trusted", "3:abc"])
    assert bad_anchor.exit_code == 2
    not_an_export = tmp_path / "x.jsonl"
    not_an_export.write_text("{}\n")
    malformed = runner.invoke(app, ["audit", "verify", "--file", str(not_an_export)])
    assert malformed.exit_code == 2 and "not an audit entry" in malformed.output
    for result in (missing, bad_anchor, malformed):
        assert "Traceback" not in result.output


def test_flush_with_nothing_spilled_succeeds(example_repo: Path) -> None:
    result = runner.invoke(app, ["lineage", "flush", "--repo", str(example_repo)])
    assert result.exit_code == 0, result.output
    assert "sent 0 event(s), 0 still waiting" in result.output
