"""``kpigov ingest`` emits one valid OpenLineage run per file and an ``ingest_run`` audit entry for it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.lineage import AuditLog
from kpigov.store import open_store, schema
from tests.lineage.conftest import ol_spec  # noqa: F401  (the fixture: official schemas, skipped when absent)
from tests.lineage.olspec import OpenLineageSpec

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ingest"
_CLEAN_ENV = {"KPIGOV_STORE_URL": "", "OPENLINEAGE_URL": None, "OPENLINEAGE_DISABLED": None}


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], env=_CLEAN_ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def sample_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One day of seeded mentions (mentions-000.parquet) and its outcomes.csv."""
    out = tmp_path_factory.mktemp("sample")
    code, output = _run("sample", "--out", out, "--start", "2026-08-17", "--end", "2026-08-17",
                        "--per-day", "40", "--seed", "7")
    assert code == 0, output
    return out


def _events(repo: Path) -> list[dict[str, Any]]:
    path = repo / ".kpigov" / "lineage" / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _ingest_entries(url: str) -> list[tuple[str, dict[str, Any]]]:
    with open_store(url, create=False) as store:
        return [(e.subject, json.loads(e.payload)) for e in AuditLog(store).entries() if e.kind == "ingest_run"]


def test_each_file_is_a_valid_run_with_an_audit_entry_and_a_malformed_file_fails(
        sample_day: Path, example_repo: Path, duckdb_url: str, ol_spec: OpenLineageSpec) -> None:
    mentions, outcomes, broken = sample_day / "mentions-000.parquet", sample_day / "outcomes.csv", FIXTURES / "x_broken.json"
    assert _run("ingest", mentions, "--source", "canonical", "--repo", example_repo, "--store", duckdb_url)[0] == 0
    assert _run("ingest", outcomes, "--source", "outcomes", "--repo", example_repo, "--store", duckdb_url)[0] == 0
    code, output = _run("ingest", broken, "--source", "x", "--repo", example_repo, "--store", duckdb_url)
    assert code == 1 and "x_broken.json:3: invalid JSON" in output

    events = _events(example_repo)
    assert [p for e in events for p in ol_spec.errors(e)] == []
    runs: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        runs.setdefault(event["run"]["runId"], []).append(event)
    assert [([e["job"]["name"] for e in r][0], [e["eventType"] for e in r]) for r in runs.values()] == [
        ("ingest.canonical", ["START", "COMPLETE"]), ("ingest.outcomes", ["START", "COMPLETE"]),
        ("ingest.x", ["START", "FAIL"])]

    entries = _ingest_entries(duckdb_url)
    assert [subject for subject, _ in entries] == list(runs)  # an entry joins its events by run id
    loaded, outcome_rows, failed = (payload for _, payload in entries)
    with open_store(duckdb_url, create=False) as store, store.transaction() as conn:
        b = schema.ingest_batches
        batches = dict(conn.execute(select(b.c.ingest_batch, b.c.file_sha256)).all())
    for payload, path in ((loaded, mentions), (outcome_rows, outcomes)):
        assert payload["status"] == "loaded" and payload["error"] is None
        assert payload["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() == batches[payload["ingest_batch"]]
        assert payload["rows_read"] >= payload["rows_loaded"] + payload["rows_quarantined"] > 0
    assert loaded["rows_loaded"] > 0 and loaded["table"] == "mentions" and outcome_rows["table"] == "outcomes"
    assert failed == {"status": "failed", "source": "x", "file": str(broken.resolve()), "table": "mentions",
                      "file_sha256": hashlib.sha256(broken.read_bytes()).hexdigest(), "ingest_batch": None,
                      "rows_read": None, "rows_loaded": None, "rows_quarantined": None,
                      "error": failed["error"]}
    assert failed["error"].startswith("MalformedFileError: ") and "invalid JSON" in failed["error"]

    start, complete = runs[entries[0][0]]
    assert start["inputs"] == [{"namespace": "file", "name": str(mentions.resolve()), "facets": {}, "inputFacets": {}}]
    (output,) = complete["outputs"]
    assert (output["namespace"], output["name"]) == (f"duckdb://{Path(duckdb_url.removeprefix('duckdb:///')).resolve()}",
                                                     f"{Path(duckdb_url).stem}.main.mentions")
    assert {f["name"] for f in output["facets"]["schema"]["fields"]} == set(schema.mentions.c.keys())
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == loaded["rows_loaded"]
    assert complete["inputs"][0]["inputFacets"]["dataQualityMetrics"]["rowCount"] == loaded["rows_read"]
    assert complete["job"]["facets"]["sourceCodeLocation"]["url"] == example_repo.resolve().as_uri()
    fail = runs[entries[2][0]][1]
    assert "invalid JSON" in fail["run"]["facets"]["errorMessage"]["message"]
    assert "outputStatistics" not in fail["outputs"][0].get("outputFacets", {})

    verified = CliRunner().invoke(app, ["audit", "verify", "--store", duckdb_url, "--format", "json"], env=_CLEAN_ENV)
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["entries"] == len(entries) == 3


def test_no_lineage_sends_nothing_but_keeps_the_audit_entry(example_repo: Path, duckdb_url: str) -> None:
    code, output = _run("ingest", FIXTURES / "x_search.json", "--source", "x", "--repo", example_repo,
                        "--store", duckdb_url, "--no-lineage")
    assert code == 0, output
    assert not (example_repo / ".kpigov" / "lineage").exists()
    ((subject, payload),) = _ingest_entries(duckdb_url)
    assert payload["status"] == "loaded" and payload["rows_read"] == 7 and payload["rows_quarantined"] == 7
    assert len(subject) == 36  # the run id is minted even without events


def test_an_unusable_lineage_config_exits_2_before_the_store_is_touched(example_repo: Path, tmp_path: Path) -> None:
    config = example_repo / "kpigov.yaml"
    config.write_text(config.read_text().replace("spec:\n", "spec:\n  lineage: {transport: http}\n", 1))
    store = tmp_path / "s.duckdb"
    code, output = _run("ingest", FIXTURES / "x_search.json", "--source", "x", "--repo", example_repo,
                        "--store", f"duckdb:///{store}")
    assert code == 2 and "neither spec.lineage.url" in output
    assert not store.exists()


@pytest.mark.parametrize(("path", "source"), [("mentions-000.parquet", "canonical"), ("outcomes.csv", "outcomes")])
def test_a_file_is_never_committed_without_its_audit_entry(sample_day: Path, example_repo: Path, duckdb_url: str,
                                                           path: str, source: str) -> None:
    from sqlalchemy import func, text

    assert _run("ingest", sample_day / path, "--source", source, "--repo", example_repo, "--store", duckdb_url,
                "--no-lineage")[0] == 0
    with open_store(duckdb_url, create=False) as store:
        with store.transaction() as conn:  # the audit trail refuses the next append: its table is gone
            conn.execute(text("DELETE FROM ingest_batches"))
            conn.execute(text(f"DELETE FROM {'mentions' if source == 'canonical' else 'outcomes'}"))
            conn.execute(text("ALTER TABLE audit_log RENAME TO audit_log_elsewhere"))
    code, output = _run("ingest", sample_day / path, "--source", source, "--repo", example_repo, "--store", duckdb_url,
                        "--no-lineage")
    assert code != 0 and "audit_log" in output
    with open_store(duckdb_url, create=False) as store, store.transaction() as conn:
        table = schema.mentions if source == "canonical" else schema.outcomes
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0  # rolled back with the entry
        assert conn.execute(select(func.count()).select_from(schema.ingest_batches)).scalar_one() == 0
