"""``kpigov report`` / ``kpigov export``: files written, exit codes, no traceback on bad requests."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.diagnostics import ExitCode
from tests.conftest import ROOT

runner = CliRunner()


def test_report_writes_the_site_and_the_markdown_summary(report_store_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(ROOT), "--as-of", "2026-11-22", "--store", report_store_url,
                                 "--out", str(tmp_path / "site")])
    assert result.exit_code == ExitCode.OK, result.output
    assert {p.name for p in (tmp_path / "site").iterdir()} >= {"index.html", "summary.html", "governance.html",
                                                                "summary.md", "kpi"}


def test_export_parquet_and_views(report_store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "kpis.parquet"
    result = runner.invoke(app, ["export", str(ROOT), "--as-of", "2026-11-22", "--store", report_store_url,
                                 "--format", "parquet", "--out", str(out)])
    assert result.exit_code == ExitCode.OK, result.output
    assert pq.read_table(out).num_rows > 0


def test_bad_requests_exit_2_without_traceback(tmp_path: Path) -> None:
    absent = f"duckdb:///{tmp_path / 'absent.duckdb'}"
    for args in (["report", str(ROOT), "--as-of", "22/11/2026", "--store", absent],
                 ["report", str(ROOT), "--as-of", "2026-11-22", "--store", absent, "--out", str(tmp_path / "s")],
                 ["export", str(ROOT), "--as-of", "2026-11-22", "--store", absent, "--format", "xlsx"],
                 ["export", str(ROOT), "--as-of", "2026-11-22", "--store", absent]):
        result = runner.invoke(app, args)
        assert result.exit_code == ExitCode.ERROR, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), args
    assert not (tmp_path / "absent.duckdb").exists()
