"""``kpigov report`` and ``kpigov export``: the scorecard site, and KPI results for BI tools.

Both read the results runs stored (``kpigov evaluate``); neither evaluates nor changes a KPI.
Exit codes: 0 written, 1 invalid repository, 2 bad request (bad date or format, absent or
unreachable store).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kpigov.cli.app import app, err
from kpigov.cli.evaluate import _fail, _load, _parse_date
from kpigov.diagnostics import ExitCode

if TYPE_CHECKING:
    from kpigov.project import Project
    from kpigov.report import ReportData

_EXPORT_FORMATS = ("parquet", "csv")


def _report_data(project: Project, store_url: str | None, as_of: date, public: bool) -> ReportData:
    from kpigov.evaluate import EvaluationError, open_for_evaluation
    from kpigov.report import load_report_data
    from kpigov.store import StoreError, resolve_store_url

    try:
        opened = open_for_evaluation(resolve_store_url(store_url, project.root, project.config.spec.store))
    except (StoreError, EvaluationError) as exc:
        raise _fail(str(exc)) from None
    with opened:
        return load_report_data(opened, project, as_of, public=public)


@app.command()
def report(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    as_of: str = typer.Option(..., "--as-of", help="Report the results of runs up to this date (YYYY-MM-DD)."),
    out: Path = typer.Option(Path("site"), "--out", help="Directory the static site is written to."),
    store: str | None = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml, .kpigov/store.duckdb)."),
    public: bool = typer.Option(False, "--public", help="Only KPIs with publication: public, labelled as an unnoised preview."),
) -> None:
    """Write the scorecard site (opens from disk) and the executive summary (summary.md)."""
    from kpigov.report import build_site

    day = _parse_date(as_of, "--as-of")
    assert day is not None
    project = _load(repo, "text")
    data = _report_data(project, store, day, public)
    if out.exists() and not out.is_dir():
        raise _fail(f"--out {out} exists and is not a directory")
    site = build_site(data, out, public=public)
    evaluated = sum(1 for k in data.kpis if k.latest is not None)
    err.print(f"[green]✓[/] {len(site.pages)} pages in {out}/ ({len(data.kpis)} KPIs, {evaluated} with results) "
              f"— open {out / 'index.html'}")
    raise typer.Exit(ExitCode.OK)


@app.command()
def export(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    as_of: str = typer.Option(..., "--as-of", help="Export the results of runs up to this date (YYYY-MM-DD)."),
    fmt: str = typer.Option("parquet", "--format", "-f", help="parquet | csv"),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: kpi_results.<format>)."),
    store: str | None = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml, .kpigov/store.duckdb)."),
    public: bool = typer.Option(False, "--public", help="Only KPIs with publication: public."),
    views: bool = typer.Option(False, "--views", help="Also (re)create kpigov_bi_kpis and the kpigov_bi_results view in the store."),
) -> None:
    """KPI results, bands and metadata as a tidy Parquet/CSV file (and SQL views) for Power BI / Tableau."""
    from kpigov.export import create_views, results_table, write_table
    from kpigov.store import StoreError, open_store, resolve_store_url

    if fmt not in _EXPORT_FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(_EXPORT_FORMATS)}", param_hint="--format")
    day = _parse_date(as_of, "--as-of")
    assert day is not None
    project = _load(repo, "text")
    table = results_table(_report_data(project, store, day, public))
    path = write_table(table, out or Path(f"kpi_results.{fmt}"), fmt)  # type: ignore[arg-type]
    err.print(f"[green]✓[/] {table.num_rows} rows written to {path}")
    if views:
        try:
            with open_store(resolve_store_url(store, project.root, project.config.spec.store), create=False) as opened:
                names = create_views(opened, project)
        except StoreError as exc:
            raise _fail(str(exc)) from None
        err.print(f"[green]✓[/] created {', '.join(names)} in the store")
    raise typer.Exit(ExitCode.OK)
