"""The BI export: Parquet/CSV read back equal the stored results; the store's view agrees."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from kpigov.export import BI_RESULTS_VIEW, COLUMNS, create_views, results_table, write_table
from kpigov.report import ReportData
from kpigov.store import Store, open_store, schema
from tests.evaluate.synthetic import AS_OF


def _stored(store: Store) -> dict[tuple[str, str], tuple]:
    """(kpi, period_start) → (status, value, band, baseline) of the latest run, read with plain Core."""
    k, r = schema.kpi_results, schema.runs
    out: dict[tuple[str, str], tuple] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(sa.select(k, r.c.as_of).join(r, r.c.run_id == k.c.run_id)
                                .where(r.c.as_of <= AS_OF, r.c.status == "ok").order_by(r.c.as_of, r.c.finished_at)):
            out[(row.kpi_id, row.period_start.isoformat())] = (row.status, row.value, row.band, row.baseline)
    return out


def _rows(table) -> dict[tuple[str, str], tuple]:
    return {(r["kpi_id"], str(r["period_start"])): (r["status"], r["value"], r["band"], r["baseline"])
            for r in table.to_pylist()}


def test_parquet_read_back_matches_the_results_table(report_data: ReportData, report_store: Store, tmp_path: Path) -> None:
    path = write_table(results_table(report_data), tmp_path / "kpis.parquet", "parquet")
    back = pq.read_table(path)
    assert back.column_names == [name for name, _, _ in COLUMNS]
    assert _rows(back) == _stored(report_store)
    assert back.schema.field("refresh_cadence").metadata[b"description"].startswith(b"the KPI's frequency")
    cadence = {r["kpi_id"]: r["refresh_cadence"] for r in back.to_pylist()}
    assert cadence == {k.id: k.kpi.spec.frequency for k in report_data.kpis if k.history}


def test_csv_read_back_has_the_same_rows(report_data: ReportData, tmp_path: Path) -> None:
    table = results_table(report_data)
    back = pcsv.read_csv(write_table(table, tmp_path / "kpis.csv", "csv"))
    assert back.num_rows == table.num_rows
    assert back.column("kpi_id").to_pylist() == table.column("kpi_id").to_pylist()
    assert back.column("value").to_pylist() == pytest.approx(table.column("value").to_pylist(), nan_ok=True)


def test_store_view_has_the_same_rows_as_the_file(report_data: ReportData, report_store_url: str, project) -> None:
    with open_store(report_store_url, create=False) as store:
        assert create_views(store, project) == ["kpigov_bi_kpis", BI_RESULTS_VIEW]
        create_views(store, project)  # re-creating replaces, never duplicates
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(sa.table(BI_RESULTS_VIEW, *[sa.column(n) for n, _, _ in COLUMNS]))).mappings().all()
        store_rows = {(r["kpi_id"], r["period_start"].isoformat()): (r["status"], r["value"], r["band"], r["baseline"])
                      for r in rows}
        assert store_rows == _rows(results_table(report_data))
        # leave the session store as the other tests expect it
        with store.transaction() as conn:
            conn.execute(sa.schema.DropView(sa.Table(BI_RESULTS_VIEW, sa.MetaData())))


@pytest.mark.postgres
def test_views_on_postgresql_have_the_rows_of_the_parquet_export(pg_url: str, project, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kpigov.cli.main import app
    from tests.conftest import ROOT
    from tests.report.conftest import SUNDAYS, evaluated_store

    evaluated_store(pg_url, project, SUNDAYS[-2:])  # two weekly runs: re-evaluated periods must appear once
    out = tmp_path / "kpis.parquet"
    result = CliRunner().invoke(app, ["export", str(ROOT), "--as-of", AS_OF.isoformat(), "--store", pg_url,
                                      "--out", str(out), "--views"])
    assert result.exit_code == 0, result.output
    names = [name for name, _, _ in COLUMNS]
    with open_store(pg_url, create=False) as store, store.engine.connect() as conn:
        view = conn.execute(sa.select(*[sa.column(n) for n in names]).select_from(sa.table(BI_RESULTS_VIEW))).all()
    key = lambda row: (row[0], row[names.index("period_start")])  # noqa: E731
    exported = sorted((tuple(r[n] for n in names) for r in pq.read_table(out).to_pylist()), key=key)
    assert exported and sorted(map(tuple, view), key=key) == exported
