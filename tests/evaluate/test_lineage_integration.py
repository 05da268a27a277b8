"""Evaluation runs emit valid OpenLineage events (parent run + one child per KPI) and audit entries."""

from __future__ import annotations

import errno
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.compiler import compile_project
from kpigov.evaluate import evaluate
from kpigov.evaluate.lineage import RunTrail
from kpigov.evaluate.quality.results import ExpectationOutcome, GateReport, SuiteResult
from kpigov.lineage import AuditLog, LineageEmitter
from kpigov.project import Project
from kpigov.specs.config import LineageConfig
from kpigov.store import Store, open_store
from tests.evaluate.conftest import no_gates
from tests.evaluate.synthetic import AS_OF, load, synthetic_mentions
from tests.lineage.conftest import ol_spec  # noqa: F401  (the fixture: official schemas, skipped when absent)
from tests.lineage.olspec import OpenLineageSpec

runner = CliRunner()


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _by_job(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    states: dict[str, list[str]] = {}
    for event in events:
        states.setdefault(event["job"]["name"], []).append(event["eventType"])
    return states


def _file_trail(root: Path, example: Project, *, audit: bool = True) -> RunTrail:
    return RunTrail(LineageEmitter.from_config(LineageConfig(), root, {}), audit, None, compile_project(example))


def _audit_kinds(store: Store) -> list[tuple[str, str]]:
    return [(e.kind, e.subject) for e in AuditLog(store).entries()]


def test_cli_run_emits_valid_paired_events_with_gx_assertions_and_a_verifiable_audit_trail(
        example_repo: Path, duckdb_url: str, ol_spec: OpenLineageSpec) -> None:
    with open_store(duckdb_url, create=True) as store:
        load(store, synthetic_mentions())
    done = runner.invoke(app, ["evaluate", str(example_repo), "--as-of", AS_OF.isoformat(), "--store", duckdb_url,
                               "--format", "json", "--alerts-file", str(example_repo / "alerts.jsonl")])
    assert done.exit_code == 0, done.output
    run = json.loads(done.stdout[done.stdout.index("{"):])
    events = _events(example_repo / ".kpigov" / "lineage" / "events.jsonl")

    assert [p for e in events for p in ol_spec.errors(e)] == []
    states = _by_job(events)
    assert states.pop("evaluate") == ["START", "COMPLETE"]
    assert states == {f"evaluate.{k['kpi']}": ["START", "COMPLETE"] for k in run["kpis"]}
    parent = next(e for e in events if e["job"]["name"] == "evaluate")
    assert parent["run"]["runId"].replace("-", "") == run["run_id"]
    final = {e["job"]["name"]: e for e in events if e["eventType"] == "COMPLETE"}
    net = final["evaluate.brand.customer.net_sentiment"]
    assert net["run"]["facets"]["parent"]["run"]["runId"] == parent["run"]["runId"]
    assert net["job"]["facets"]["ownership"]["owners"][0]["name"].startswith("team:")
    assert net["job"]["facets"]["kpigov_kpiSpec"]["specPath"] == "kpi_specs/customer/net_sentiment.yaml"
    assert net["job"]["facets"]["sourceCodeLocation"]["url"] == example_repo.resolve().as_uri()
    assert "sentiment_score" in {f["field"] for f in
                                 net["outputs"][0]["facets"]["columnLineage"]["fields"]["value"]["inputFields"]}

    # The assertions are exactly the GX outcomes stored with the run.
    with open_store(duckdb_url, create=False) as store, store.engine.connect() as conn:
        import sqlalchemy as sa

        from kpigov.store import schema
        quality = json.loads(conn.execute(sa.select(schema.runs.c.quality)).scalar_one())
    gx = {(o["rule_id"], o["success"]) for o in quality["suite/mentions-core"]["results"]}
    mentions = net["inputs"][0]
    facet = mentions["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert {(a["name"], a["success"]) for a in facet} == gx and ("sentiment-scored", False) in gx
    assert mentions["inputFacets"]["dataQualityMetrics"]["rowCount"] > 0

    verified = runner.invoke(app, ["audit", "verify", "--store", duckdb_url, "--format", "json"])
    assert verified.exit_code == 0, verified.output
    with open_store(duckdb_url, create=False) as store:
        kinds = _audit_kinds(store)
    assert kinds[0] == ("evaluation_run", run["run_id"])
    assert [s for k, s in kinds if k == "alert_routed"] == [a["kpi"] for a in run["alerts"]] and run["alerts"]


def test_no_lineage_flag_sends_nothing_but_keeps_the_audit_trail(example_repo: Path, duckdb_url: str) -> None:
    with open_store(duckdb_url, create=True) as store:
        load(store, synthetic_mentions(5_000))
    done = runner.invoke(app, ["evaluate", str(example_repo), "--as-of", AS_OF.isoformat(), "--store", duckdb_url,
                               "--kpi", "brand.customer.mention_volume", "--no-lineage"])
    assert done.exit_code == 0, done.output
    assert not (example_repo / ".kpigov" / "lineage").exists()
    with open_store(duckdb_url, create=False) as store:
        kinds = [k for k, _ in _audit_kinds(store)]
    assert kinds[0] == "evaluation_run" and set(kinds) <= {"evaluation_run", "alert_routed"}


def test_a_run_failing_midway_sends_fail_for_every_run_and_audits_the_error(
        loaded_store: Store, example: Project, example_order: list[str], tmp_path: Path,
        ol_spec: OpenLineageSpec) -> None:
    def disk_full(kpi_id: str) -> None:
        if kpi_id == "brand.customer.share_of_voice":
            raise OSError(errno.ENOSPC, "No space left on device")

    trail = _file_trail(tmp_path, example)
    run = evaluate(loaded_store, example, example_order, "0" * 64, AS_OF, gates=no_gates, progress=disk_full,
                   trail=trail)
    assert run.status == "error"
    events = _events(tmp_path / ".kpigov" / "lineage" / "events.jsonl")
    assert [p for e in events for p in ol_spec.errors(e)] == []
    assert set(map(tuple, _by_job(events).values())) == {("START", "FAIL")} and len(_by_job(events)) == 14
    assert all("No space left" in e["run"]["facets"]["errorMessage"]["message"]
               for e in events if e["eventType"] == "FAIL")
    entries = list(AuditLog(loaded_store).entries())
    assert [(e.kind, e.subject) for e in entries] == [("evaluation_run", run.run_id)]
    assert json.loads(entries[0].payload)["status"] == "error" and AuditLog(loaded_store).verify().ok


def test_results_and_their_audit_entries_commit_together_or_not_at_all(
        loaded_duckdb: Store, example: Project, example_order: list[str], tmp_path: Path) -> None:
    import sqlalchemy as sa

    from kpigov.store import schema

    ok = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=no_gates,
                  trail=_file_trail(tmp_path, example))
    assert ok.ok and [s for k, s in _audit_kinds(loaded_duckdb) if k == "evaluation_run"] == [ok.run_id]
    # An audit trail that refuses the append (here: its table is gone) must take the results down with it.
    with loaded_duckdb.transaction() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log RENAME TO audit_log_elsewhere"))
    failed = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=no_gates,
                      trail=_file_trail(tmp_path, example))
    assert failed.status == "error"
    with loaded_duckdb.transaction() as conn:
        results = conn.execute(sa.select(sa.func.count()).select_from(schema.kpi_results)
                               .where(schema.kpi_results.c.run_id == failed.run_id)).scalar_one()
        status = conn.execute(sa.select(schema.runs.c.status).where(schema.runs.c.run_id == failed.run_id)).scalar_one()
    assert (results, status) == (0, "error")
    assert any("not recorded in the audit trail" in p for p in failed.delivery_problems), failed.delivery_problems


def test_an_interrupted_run_sends_abort(loaded_duckdb: Store, example: Project, example_order: list[str],
                                        tmp_path: Path) -> None:
    def interrupt(kpi_id: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=no_gates, progress=interrupt,
                 trail=_file_trail(tmp_path, example))
    states = _by_job(_events(tmp_path / ".kpigov" / "lineage" / "events.jsonl"))
    assert set(map(tuple, states.values())) == {("START", "ABORT")}


def _blocking_gates(store: Store, project: Project) -> GateReport:
    """A report as the gates give it when an error-severity expectation fails on the mentions."""
    failed = ExpectationOutcome("mention-id-unique", "expect_column_values_to_be_unique", "error", success=False,
                                unexpected_count=12, element_count=30_000)
    passed = ExpectationOutcome("entity-not-null", "expect_column_values_to_not_be_null", "error", success=True,
                                unexpected_count=0, element_count=30_000)
    gx = {"results": [{"expectation_config": {"kwargs": {"column": c}, "meta": {"kpigov_rule_id": r}}}
                      for r, c in (("mention-id-unique", "mention_id"), ("entity-not-null", "entity"))]}
    return GateReport({"suite/mentions-core": SuiteResult("suite/mentions-core", "dataset/mentions", False,
                                                          [failed, passed], gx, 0.1)})


def test_withheld_kpis_are_audited_and_their_failed_assertions_are_in_the_events(
        loaded_duckdb: Store, example: Project, example_order: list[str], tmp_path: Path,
        ol_spec: OpenLineageSpec) -> None:
    run = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=_blocking_gates,
                   trail=_file_trail(tmp_path, example))
    withheld = [k.kpi_id for k in run.kpis if k.status.value == "withheld"]
    assert run.ok and withheld and run.delivery_problems == ()
    kinds = _audit_kinds(loaded_duckdb)
    assert [s for k, s in kinds if k == "kpi_withheld"] == withheld
    assert [s for k, s in kinds if k == "alert_routed"] == [a.alert.kpi_id for a in run.alerts]
    events = _events(tmp_path / ".kpigov" / "lineage" / "events.jsonl")
    assert [p for e in events for p in ol_spec.errors(e)] == []
    final = next(e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == f"evaluate.{withheld[0]}")
    facets = final["inputs"][0]["inputFacets"]
    assert {(a["name"], a["success"], a["column"]) for a in facets["dataQualityAssertions"]["assertions"]} == {
        ("mention-id-unique", False, "mention_id"), ("entity-not-null", True, "entity")}
    metrics = facets["dataQualityMetrics"]
    assert (metrics["rowCount"], metrics["columnMetrics"]["entity"]["nullCount"]) == (30_000, 0)


def test_a_dead_lineage_backend_spills_every_event_without_slowing_the_run(
        loaded_duckdb: Store, example: Project, example_order: list[str], tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    emitter = LineageEmitter.from_config(None, tmp_path, {"OPENLINEAGE_URL": f"http://127.0.0.1:{dead}"})
    started = time.perf_counter()
    evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=no_gates)
    without = time.perf_counter() - started
    started = time.perf_counter()
    run = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=no_gates,
                   trail=RunTrail(emitter, audit=False))
    with_dead_backend = time.perf_counter() - started
    assert run.ok and run.delivery_problems == ()
    assert emitter.pending() == 2 * (len(example_order) + 1)
    assert with_dead_backend - without < 1.0


def test_an_override_and_its_audit_entry_commit_together(loaded_duckdb: Store) -> None:
    import datetime as dt

    import sqlalchemy as sa

    from kpigov.evaluate import record_override
    from kpigov.store import schema

    kpi, start = "brand.customer.net_sentiment", dt.date(2026, 11, 16)
    record_override(loaded_duckdb, kpi, start, "release", "Hannah Okafor (PR)", "explained by the recall coverage")
    entries = [e for e in AuditLog(loaded_duckdb).entries() if e.kind == "manual_override"]
    assert [(e.subject, e.actor, json.loads(e.payload)["decision"]) for e in entries] == [
        (kpi, "Hannah Okafor (PR)", "release")]
    with loaded_duckdb.transaction() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log RENAME TO audit_log_elsewhere"))
    with pytest.raises(sa.exc.SQLAlchemyError):
        record_override(loaded_duckdb, kpi, start, "recalibrate", "PR desk", "new regime")
    with loaded_duckdb.transaction() as conn:
        decisions = conn.execute(sa.select(schema.overrides.c.decision)).scalars().all()
    assert decisions == ["release"]  # the refused entry took its override with it
