"""``kpigov evaluate`` and ``kpigov override``: KPI values from the store, and decisions on held ones."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kpigov.cli.app import app, err, fail, load_valid_project, parse_date
from kpigov.cli.render import render
from kpigov.diagnostics import ExitCode

if TYPE_CHECKING:
    from kpigov.compiler import Compiled
    from kpigov.evaluate import RunResult
    from kpigov.evaluate.lineage import RunTrail
    from kpigov.project import Project

_BAND_STYLE = {"green": "green", "amber": "yellow", "red": "red"}
_SUMMARY_WIDTH = 150





@app.command()
def evaluate(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    as_of: str = typer.Option(..., "--as-of", help="Evaluate the periods ending on or before this date (YYYY-MM-DD)."),
    kpi: list[str] = typer.Option([], "--kpi", help="Evaluate only this KPI (repeatable); its inputs come along."),
    since: str | None = typer.Option(None, "--since", help="Backfill: one run per week end (Sunday) from this date to --as-of."),
    store: str | None = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml, .kpigov/store.duckdb)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
    alerts_file: Path | None = typer.Option(None, "--alerts-file", help="JSON lines file alerts are appended to (default: .kpigov/alerts.jsonl)."),
    webhook: str | None = typer.Option(None, "--webhook", help="POST each run's alerts to this URL."),
    no_lineage: bool = typer.Option(False, "--no-lineage", help="Send no OpenLineage events (the audit trail is still kept)."),
) -> None:
    """Evaluate KPIs against the store: quality gates, values, baselines, bands, spikes, alerts."""
    from kpigov.compiler import CompileError, compile_project
    from kpigov.evaluate import Delivery, EvaluationError, evaluate as run_evaluation, evaluation_order
    from kpigov.evaluate import open_for_evaluation
    from kpigov.evaluate.quality import backend_diagnostics
    from kpigov.store import StoreError, resolve_store_url

    if fmt not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    end = parse_date(as_of, "--as-of")
    start = parse_date(since, "--since")
    assert end is not None
    if start is not None and start > end:
        raise fail(f"--since {start} is after --as-of {end}")
    project = load_valid_project(repo, fmt)
    try:
        compiled = compile_project(project)
        order = evaluation_order(project, compiled.kpi_order, kpi)
    except CompileError:
        typer.echo(render(project.diagnostics.sorted(), "text"))
        raise fail("the repository does not compile", ExitCode.FAILED) from None
    except EvaluationError as exc:
        raise fail(str(exc)) from None
    trail = _trail(project, compiled, lineage=not no_lineage)
    try:
        opened = open_for_evaluation(resolve_store_url(store, project.root, project.config.spec.store))
    except (StoreError, EvaluationError) as exc:
        raise fail(str(exc)) from None
    with opened:
        unsupported = backend_diagnostics(project, opened.backend.name)
        if unsupported:
            typer.echo(render(unsupported, "text"))
            raise fail(f"quality gates cannot run on {opened.backend.name}; nothing was evaluated", ExitCode.FAILED)
        delivery = Delivery(alerts_file or project.root / ".kpigov" / "alerts.jsonl", webhook)
        commit = compiled.manifest.get("git", {}).get("commit")
        runs = []
        for day in _as_of_dates(start, end):
            try:
                runs.append(_with_progress(fmt, len(order), lambda progress, day=day: run_evaluation(
                    opened, project, order, compiled.fingerprint, day, git_commit=commit, delivery=delivery,
                    progress=progress, trail=trail)))
            except EvaluationError as exc:
                raise fail(str(exc)) from None
    if trail.emitter is not None:
        trail.emitter.close()
    if fmt == "json":
        typer.echo(json.dumps([r.to_json() for r in runs] if start else runs[0].to_json(), indent=2, default=str))
    else:
        for run in runs:
            _summary(run)
    raise typer.Exit(ExitCode.OK if all(r.ok for r in runs) else ExitCode.FAILED)


def _trail(project: Project, compiled: Compiled, *, lineage: bool) -> RunTrail:
    """Lineage (unless ``--no-lineage``) and audit entries for every run; a bad lineage config exits 2."""
    from kpigov.evaluate.lineage import RunTrail
    from kpigov.lineage import LineageConfigError

    try:
        return RunTrail.for_project(project, compiled, lineage=lineage)
    except LineageConfigError as exc:
        raise fail(str(exc)) from None


def _as_of_dates(since: date | None, as_of: date) -> list[date]:
    """``as_of`` alone, or every Sunday from ``since`` up to it, then ``as_of`` itself."""
    from datetime import timedelta

    if since is None:
        return [as_of]
    first_sunday = since + timedelta(days=(6 - since.weekday()) % 7)
    days = [first_sunday + timedelta(weeks=i) for i in range((as_of - first_sunday).days // 7 + 1)]
    return [d for d in days if d < as_of] + [as_of]


def _with_progress(fmt: str, total: int, work):  # type: ignore[no-untyped-def]
    """Run ``work(progress)`` under a progress bar on a terminal (stderr), silently otherwise."""
    if fmt != "text" or not err.is_terminal:
        return work(None)
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("evaluating KPIs", total=total)
        return work(lambda kpi_id: bar.update(task, advance=1, description=kpi_id))


def _summary(run: RunResult) -> None:
    from rich.table import Table

    if not run.ok:
        err.print(f"[red]✗ run {run.run_id} as of {run.as_of} failed:[/] {run.error} (recorded with status 'error')")
        return
    table = Table(title=f"KPIs as of {run.as_of}  (run {run.run_id[:12]})", title_justify="left")
    for column in ("KPI", "period", "value", "band", "vs baseline", "status"):
        table.add_column(column, justify="right" if column in ("value", "vs baseline") else "left",
                         no_wrap=column != "status")
    for k in run.kpis:
        value = "" if k.value is None else f"{k.value:,.4g}"
        band = f"[{_BAND_STYLE[k.band]}]{k.band}[/]" if k.band else ""
        change = "" if k.change_ratio is None else f"{k.change_ratio:+.1%}"
        status = k.status.value + (f" ({k.reason})" if k.reason else "")
        table.add_row(k.kpi_id, str(k.period), value, band, change, status)
    from rich.console import Console

    # A pipe or CI log has no width: rich would assume 80 columns and elide the values.
    (err if err.is_terminal else Console(stderr=True, highlight=False, width=_SUMMARY_WIDTH)).print(table)
    err.print(f"{len(run.alerts)} alert(s) routed" + "".join(
        f"\n  {a.severity:>8} {a.alert.trigger}: {a.alert.summary} → {a.tiers[0].team} ({a.tiers[0].channel})"
        for a in run.alerts))
    for problem in run.delivery_problems:
        err.print(f"[yellow]warning:[/] {problem}")


@app.command()
def override(
    kpi_id: str = typer.Argument(..., help="The KPI whose held value is decided on."),
    period_start: str = typer.Option(..., "--period-start", help="First day of the held period (YYYY-MM-DD)."),
    decision: str = typer.Option(..., "--decision", help="release (publish the value) | recalibrate (re-baseline on the crisis)."),
    by: str = typer.Option(..., "--by", help="Who decides (a name or team; recorded)."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded)."),
    repo: Path = typer.Option(Path("."), "--repo", help="Governance repository root."),
    store: str | None = typer.Option(None, "--store", help="Store URL."),
) -> None:
    """Record a manual decision on a KPI value held during a crisis; the next evaluation applies it."""
    from kpigov.evaluate import EvaluationError, evaluation_order, open_for_evaluation, record_override
    from sqlalchemy.exc import SQLAlchemyError

    from kpigov.store import StoreError, resolve_store_url

    start = parse_date(period_start, "--period-start")
    assert start is not None
    if decision not in ("release", "recalibrate"):
        raise typer.BadParameter("must be release or recalibrate", param_hint="--decision")
    project = load_valid_project(repo, "text")
    try:
        evaluation_order(project, [f"kpi/{kpi_id}"], [kpi_id])
        with open_for_evaluation(resolve_store_url(store, project.root, project.config.spec.store)) as opened:
            record_override(opened, kpi_id, start, decision, by, reason)  # type: ignore[arg-type]
    except (StoreError, EvaluationError, ValueError) as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:  # the override and its audit entry were rolled back together
        first_line = (str(exc).strip().splitlines() or [""])[0]
        raise fail(f"override not recorded (nor its audit entry): {first_line}", ExitCode.FAILED) from None
    err.print(f"[green]✓[/] recorded: {decision} {kpi_id} for the period starting {start}, by {by}")
