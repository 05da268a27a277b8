"""Bad requests get a clear message and a non-zero exit, and change nothing; a run failing midway is recorded."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.evaluate import EmptyStoreError, StoreOutdatedError, UnknownKPIError, evaluate, evaluation_order
from kpigov.evaluate import open_for_evaluation
from kpigov.project import Project
from kpigov.store import Store, StoreNotFoundError, open_store, schema
from tests.evaluate.conftest import no_gates
from tests.evaluate.synthetic import AS_OF

runner = CliRunner()


def _count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_an_unknown_kpi_id_is_refused_with_a_suggestion(example: Project) -> None:
    with pytest.raises(UnknownKPIError, match="did you mean 'brand.customer.net_sentiment'"):
        evaluation_order(example, [], ["brand.customer.net_sentimen"])


def test_a_requested_kpi_brings_its_formula_inputs_first(example: Project, example_order: list[str]) -> None:
    from kpigov.compiler import compile_project

    order = evaluation_order(example, compile_project(example).kpi_order, ["brand.customer.positive_share"])
    assert order[-1] == "kpi/brand.customer.positive_share"
    assert set(order) == {"kpi/brand.customer.positive_share", "kpi/brand.customer.positive_volume",
                          "kpi/brand.customer.mention_volume"}


def test_an_absent_store_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "absent.duckdb"
    with pytest.raises(StoreNotFoundError):
        open_for_evaluation(f"duckdb:///{target}")
    assert not target.exists()


def test_an_empty_store_is_refused_before_anything_is_written(duckdb_url: str, example: Project,
                                                              example_order: list[str]) -> None:
    open_store(duckdb_url, create=True).close()
    with open_for_evaluation(duckdb_url) as store:
        with pytest.raises(EmptyStoreError, match="ingest data first"):
            evaluate(store, example, example_order, "0" * 64, AS_OF, gates=no_gates)
        assert _count(store, schema.runs) == 0


def test_an_older_store_is_refused_and_left_at_its_version(duckdb_url: str) -> None:
    with open_store(duckdb_url, create=True) as store, store.transaction() as conn:
        conn.execute(sa.update(schema.store_meta).values(value="2"))
    with pytest.raises(StoreOutdatedError, match="older than this kpigov"):
        open_for_evaluation(duckdb_url)
    engine = sa.create_engine(duckdb_url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.store_meta.c.value)).scalar_one() == "2"
    engine.dispose()


def test_a_run_failing_midway_is_recorded_as_error_without_kpi_rows(loaded_store: Store, example: Project,
                                                                    example_order: list[str]) -> None:
    def disk_full(kpi_id: str) -> None:
        if kpi_id == "brand.customer.share_of_voice":
            raise OSError(errno.ENOSPC, "No space left on device")

    run = evaluate(loaded_store, example, example_order, "0" * 64, AS_OF, gates=no_gates, progress=disk_full)
    assert run.status == "error" and "No space left" in run.error and run.kpis == ()
    assert _count(loaded_store, schema.kpi_results) == 0 and _count(loaded_store, schema.alerts) == 0
    with loaded_store.engine.connect() as conn:
        row = conn.execute(sa.select(schema.runs.c.status, schema.runs.c.error)).one()
    assert row.status == "error" and "No space left" in row.error


@pytest.mark.postgres
def test_a_database_refusing_a_result_row_rolls_back_the_whole_run(pg_url: str, example: Project,
                                                                   example_order: list[str]) -> None:
    from tests.evaluate.synthetic import load, synthetic_mentions

    with open_store(pg_url, create=True) as store:
        load(store, synthetic_mentions(5_000))
        with store.transaction() as conn:  # the database itself refuses one KPI's row, after others went in
            conn.execute(sa.DDL("ALTER TABLE kpi_results ADD CONSTRAINT refuse_sov "
                                "CHECK (kpi_id <> 'brand.customer.share_of_voice')"))
        run = evaluate(store, example, example_order, "0" * 64, AS_OF, gates=no_gates)
        assert run.status == "error" and "refuse_sov" in run.error
        assert _count(store, schema.kpi_results) == 0
        assert _count(store, schema.runs) == 1


def test_a_successful_run_is_one_run_row_and_one_row_per_kpi(loaded_store: Store, example: Project,
                                                             example_order: list[str]) -> None:
    run = evaluate(loaded_store, example, example_order, "f" * 64, AS_OF, gates=no_gates, git_commit="a" * 40)
    with loaded_store.engine.connect() as conn:
        stored = conn.execute(sa.select(schema.runs)).one()
        rows = conn.execute(sa.select(schema.kpi_results.c.kpi_id, schema.kpi_results.c.sql,
                                      schema.kpi_results.c.value)).all()
        alerts = conn.execute(sa.select(sa.func.count()).select_from(schema.alerts)).scalar_one()
    assert (stored.run_id, stored.status, stored.as_of, stored.git_commit) == (run.run_id, "ok", AS_OF, "a" * 40)
    assert stored.manifest_fingerprint == "f" * 64
    assert len(rows) == 13 and alerts == len(run.alerts)
    sql = {r.kpi_id: r.sql for r in rows}
    assert sql["brand.customer.positive_share"].startswith("formula: ")
    assert "GROUP BY" in sql["brand.customer.mention_volume"] and "'stridewell'" in sql["brand.customer.mention_volume"]


def test_cli_exit_codes_for_bad_requests(tmp_path: Path, duckdb_url: str) -> None:
    from tests.conftest import ROOT

    absent = runner.invoke(app, ["evaluate", str(ROOT), "--as-of", "2026-11-22", "--store", f"duckdb:///{tmp_path}/no.duckdb"])
    assert absent.exit_code == 2 and "no store at" in absent.output
    bad_date = runner.invoke(app, ["evaluate", str(ROOT), "--as-of", "22/11/2026", "--store", duckdb_url])
    assert bad_date.exit_code == 2 and "not a date" in bad_date.output
    unknown = runner.invoke(app, ["evaluate", str(ROOT), "--as-of", "2026-11-22", "--kpi", "brand.nope.x", "--store", duckdb_url])
    assert unknown.exit_code == 2 and "unknown KPI" in unknown.output
    open_store(duckdb_url, create=True).close()
    empty = runner.invoke(app, ["evaluate", str(ROOT), "--as-of", "2026-11-22", "--store", duckdb_url])
    assert empty.exit_code == 2 and "no mentions" in empty.output
