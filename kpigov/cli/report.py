"""``kpigov report`` and ``kpigov export``: the scorecard site, and KPI results for BI tools.

Both read the results runs stored (``kpigov evaluate``); neither evaluates nor changes a KPI.
With ``--public`` both read the releases ``kpigov publish`` wrote instead, and never open the store.
Exit codes: 0 written, 1 invalid repository, 2 bad request (bad date or format, absent or
unreachable store, absent or mismatched published scorecard).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kpigov.cli.app import app, err, fail, load_valid_project, parse_date
from kpigov.diagnostics import ExitCode

if TYPE_CHECKING:
    from kpigov.project import Project
    from kpigov.report import ReportData

_EXPORT_FORMATS = ("parquet", "csv")
#: Where ``kpigov publish`` writes by default, so ``--public`` finds it with no option.
_PUBLISHED = Path("public/scorecard.json")
_PUBLISHED_HELP = "The scorecard kpigov publish wrote for --as-of (read with --public)."


def _report_data(project: Project, store_url: str | None, as_of: date, published: Path | None) -> ReportData:
    """Exact stored results, or with ``published`` the public releases read from that file alone."""
    from kpigov.evaluate import EvaluationError, open_for_evaluation
    from kpigov.report import PublishedScorecardError, load_report_data, public_report_data, read_published
    from kpigov.store import StoreError, resolve_store_url

    if published is not None:
        try:
            return public_report_data(project, read_published(published, as_of))
        except PublishedScorecardError as exc:
            raise fail(str(exc)) from None
    try:
        opened = open_for_evaluation(resolve_store_url(store_url, project.root, project.config.spec.store))
    except (StoreError, EvaluationError) as exc:
        raise fail(str(exc)) from None
    with opened:
        return load_report_data(opened, project, as_of)


@app.command()
def report(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    as_of: str = typer.Option(..., "--as-of", help="Report the results of runs up to this date (YYYY-MM-DD)."),
    out: Path = typer.Option(Path("site"), "--out", help="Directory the static site is written to."),
    store: str | None = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml, .kpigov/store.duckdb)."),
    public: bool = typer.Option(False, "--public", help="Only publication: public KPIs, as kpigov publish released them."),
    published: Path = typer.Option(_PUBLISHED, "--published", help=_PUBLISHED_HELP),
) -> None:
    """Write the scorecard site (opens from disk) and the executive summary (summary.md)."""
    from kpigov.report import build_site

    day = parse_date(as_of, "--as-of")
    assert day is not None
    project = load_valid_project(repo, "text")
    data = _report_data(project, store, day, published if public else None)
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} exists and is not a directory")
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
    public: bool = typer.Option(False, "--public", help="Only publication: public KPIs, as kpigov publish released them."),
    published: Path = typer.Option(_PUBLISHED, "--published", help=_PUBLISHED_HELP),
    views: bool = typer.Option(False, "--views", help="Also (re)create kpigov_bi_kpis and the kpigov_bi_results view in the store."),
) -> None:
    """KPI results, bands and metadata as a tidy Parquet/CSV file (and SQL views) for Power BI / Tableau."""
    from kpigov.export import create_views, results_table, write_table
    from kpigov.store import StoreError, open_store, resolve_store_url

    if fmt not in _EXPORT_FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(_EXPORT_FORMATS)}", param_hint="--format")
    if public and views:  # the views serve the store's exact results: never part of a public export
        raise typer.BadParameter("the store's views hold exact values; export them without --public", param_hint="--views")
    day = parse_date(as_of, "--as-of")
    assert day is not None
    project = load_valid_project(repo, "text")
    table = results_table(_report_data(project, store, day, published if public else None))
    path = write_table(table, out or Path(f"kpi_results.{fmt}"), fmt)  # type: ignore[arg-type]
    err.print(f"[green]✓[/] {table.num_rows} rows written to {path}")
    if views:
        try:
            with open_store(resolve_store_url(store, project.root, project.config.spec.store), create=False) as opened:
                names = create_views(opened, project)
        except StoreError as exc:
            raise fail(str(exc)) from None
        err.print(f"[green]✓[/] created {', '.join(names)} in the store")
    raise typer.Exit(ExitCode.OK)
