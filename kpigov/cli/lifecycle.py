"""``kpigov review``, ``retire``, ``compare``, ``lineage show``: the KPI lifecycle at the command line.

``review`` reads the store and the repository and changes nothing; ``retire`` writes a
RetirementDecision file and edits the KPI's file (for review in Git), never the store. Bad requests
(unknown KPI, event or cohort, bad quarter, a store that is absent) exit 2 before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from kpigov.cli.app import app, err, fail, parse_date
from kpigov.cli.compile import _compiled
from kpigov.cli.lineage import lineage_app

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from kpigov.evaluate.periods import Period
    from kpigov.lifecycle import CohortComparison, ReviewReport

_REPO = typer.Option(Path("."), "--repo", "-r", help="Governance repository root (its kpigov.yaml).")
_STORE = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml spec.store, "
                                             "<repo>/.kpigov/store.duckdb).")
_MARK = {"keep": "[green]keep[/]", "revise": "[yellow]revise[/]", "retire": "[red]retire[/]"}


@app.command()
def review(
    quarter: str = typer.Option(..., "--quarter", "-q", help="Last quarter under review, e.g. 2026Q3."),
    repo: Path = _REPO,
    store_url: str | None = _STORE,
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
) -> None:
    """Evidence per active KPI (availability, withheld share, lagged correlation with its outcomes) and keep/revise/retire."""
    from kpigov.lifecycle import LifecycleError
    from kpigov.lifecycle import review as review_kpis

    _check(fmt, ("text", "json"))
    compiled, project = _compiled(repo, cache=False)  # every spec is needed, not only the re-loaded ones
    with _connection(store_url, project.root, project.config.spec.store, required=True) as conn:
        try:
            assert conn is not None  # required=True: an absent store already exited
            report = review_kpis(conn, project, quarter)
        except LifecycleError as exc:
            fail(str(exc))
    if fmt == "json":
        typer.echo(json.dumps(_review_json(report), indent=2))
    else:
        _print_review(report)


@app.command()
def retire(
    kpi_id: str = typer.Argument(..., metavar="ID", help="The KPI to retire."),
    reason: str = typer.Option(..., "--reason", help="Why, in words the review board will read in Git."),
    decided_by: str = typer.Option(..., "--by", help="The deciding team, e.g. team/social-analytics."),
    effective: str | None = typer.Option(None, "--effective", help="From this date (YYYY-MM-DD) it is not evaluated; "
                                                                   "default: the decision date."),
    replacement: str | None = typer.Option(None, "--replacement", help="The KPI to use instead."),
    on: str | None = typer.Option(None, "--date", help="Decision date (default: today)."),
    repo: Path = _REPO,
) -> None:
    """Write a RetirementDecision into the repository and mark the KPI deprecated (commit both for review)."""
    from kpigov.lifecycle import LifecycleError
    from kpigov.lifecycle.retirement import write_retirement

    decided_on = parse_date(on, "--date") or date.today()
    _, project = _compiled(repo, cache=False)
    try:
        written = write_retirement(project, kpi_id, reason=reason, decided_by=decided_by, on=decided_on,
                                   effective_date=parse_date(effective, "--effective"), replacement=replacement)
    except (LifecycleError, OSError) as exc:
        fail(str(exc))
    err.print(f"wrote {written.decision} and marked {kpi_id} deprecated in {written.kpi}; "
              f"from {written.effective_date} it is retired (not evaluated, still explainable)")


@app.command()
def compare(
    kpi_id: str = typer.Argument(..., metavar="ID", help="A mention KPI (derived KPIs: compare their inputs)."),
    first: str | None = typer.Option(None, "--a", help="First period, START..END (YYYY-MM-DD..YYYY-MM-DD)."),
    second: str | None = typer.Option(None, "--b", help="Second period, START..END."),
    event: str | None = typer.Option(None, "--event", help="An EventCalendar event against the equally long period before it."),
    cohorts: tuple[str, str] | None = typer.Option(None, "--cohorts", metavar="A B",
                                                   help="With --event: two cohorts of the experiment, compared over its days (B - A)."),
    confidence: float = typer.Option(0.95, "--confidence", min=0.5, max=0.999),
    repo: Path = _REPO,
    store_url: str | None = _STORE,
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
) -> None:
    """The KPI's difference between two periods, or two cohorts of an experiment (b - a), with a day-bootstrap interval."""
    from kpigov.lifecycle import LifecycleError
    from kpigov.lifecycle.compare import compare_cohorts, compare_periods, event_periods

    _check(fmt, ("text", "json"))
    if (event is None) == (first is None or second is None) or (event and (first or second)):
        raise typer.BadParameter("give either --a and --b, or --event", param_hint="--a/--b/--event")
    if cohorts and not event:
        raise typer.BadParameter("cohorts belong to an experiment: give --event with --cohorts", param_hint="--cohorts")
    _, project = _compiled(repo, cache=False)
    try:
        a, b = event_periods(project, event) if event else (_period(first, "--a"), _period(second, "--b"))
    except LifecycleError as exc:
        fail(str(exc))
    with _connection(store_url, project.root, project.config.spec.store, required=True) as conn:
        assert conn is not None  # required=True: an absent store already exited
        try:
            if cohorts:
                assert event is not None  # checked above
                _print_cohorts(compare_cohorts(conn, project, kpi_id, event, *cohorts, confidence=confidence), fmt)
                return
            result = compare_periods(conn, project, kpi_id, a, b, confidence=confidence)
        except LifecycleError as exc:
            fail(str(exc))
    if fmt == "json":
        typer.echo(json.dumps({"kpi": kpi_id, "a": _period_json(a), "b": _period_json(b), "value_a": result.value_a,
                               "value_b": result.value_b, "difference": result.difference, "low": result.low,
                               "high": result.high, "confidence": result.confidence,
                               "significant": result.significant}, indent=2))
        return
    typer.echo(f"{kpi_id}: {result.value_a:.4g} ({a.start}..{a.end}) -> {result.value_b:.4g} ({b.start}..{b.end}); "
               f"difference {result.difference:+.4g}, {result.confidence:.0%} interval "
               f"[{result.low:+.4g}, {result.high:+.4g}]: {_verdict(result.significant)}")


def _print_cohorts(result: CohortComparison, fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps({"kpi": result.kpi_id, "event": result.event_id, "period": _period_json(result.period),
                               "a": {"cohort": result.a, "value": result.value_a, "mentions": result.mentions_a},
                               "b": {"cohort": result.b, "value": result.value_b, "mentions": result.mentions_b},
                               "difference": result.difference, "low": result.low, "high": result.high,
                               "confidence": result.confidence, "paired": True,
                               "significant": result.significant}, indent=2))
        return
    typer.echo(f"{result.kpi_id} in {result.event_id} ({result.period.start}..{result.period.end}): "
               f"{result.value_a:.4g} ({result.a}, {result.mentions_a} mentions) -> "
               f"{result.value_b:.4g} ({result.b}, {result.mentions_b} mentions); difference {result.difference:+.4g}, "
               f"{result.confidence:.0%} paired interval [{result.low:+.4g}, {result.high:+.4g}]: "
               f"{_verdict(result.significant, 'between the cohorts')}")


def _verdict(significant: bool, between: str = "") -> str:
    if significant:
        return "the interval excludes 0"
    return f"the interval includes 0: no evidence of a {'difference ' + between if between else 'change'}"


@lineage_app.command("show")
def lineage_show(
    subject: str = typer.Argument(..., metavar="ID", help="A KPI id, a dataset (id or dataset/<id>) or a stored run id."),
    repo: Path = _REPO,
    store_url: str | None = _STORE,
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | mermaid"),
) -> None:
    """Upstream datasets, columns, policies, suites; spec versions by commit; runs; downstream KPIs and escalations."""
    from kpigov.lifecycle import LifecycleError
    from kpigov.lineage.query import lineage, to_mermaid, to_text

    _check(fmt, ("text", "json", "mermaid"))
    compiled, project = _compiled(repo, cache=False)  # every spec is needed, not only the re-loaded ones
    with _connection(store_url, project.root, project.config.spec.store, required=False) as conn:
        try:
            tree = lineage(project, compiled, subject, conn)
        except LifecycleError as exc:
            fail(str(exc))
    if fmt == "json":
        typer.echo(json.dumps(tree.as_dict(), indent=2, default=str))
    elif fmt == "mermaid":
        typer.echo(to_mermaid(tree), nl=False)
    else:
        typer.echo(to_text(tree), nl=False)


# -- shared steps ----------------------------------------------------------------------------------


def _check(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise typer.BadParameter(f"must be one of {', '.join(allowed)}", param_hint="--format")



def _period(value: str | None, option: str) -> Period:
    from kpigov.evaluate.periods import Period

    start, separator, end = (value or "").partition("..")
    first, last = (parse_date(start, option) if separator else None), (parse_date(end, option) if separator else None)
    if first is None or last is None or last < first:
        raise typer.BadParameter(f"{value!r} is not START..END with START <= END (YYYY-MM-DD)", param_hint=option)
    return Period(first, last)


def _period_json(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


@contextmanager
def _connection(option: str | None, root: Path, configured: str | None, *, required: bool) -> Iterator[Connection | None]:
    """A read connection to the store; without ``required``, an absent default store means none."""
    from kpigov.store import STORE_URL_ENV, StoreError, StoreNotFoundError, open_store, resolve_store_url

    explicit = bool(option or os.environ.get(STORE_URL_ENV))
    try:
        store = open_store(resolve_store_url(option, root, configured), create=False)
    except StoreNotFoundError as exc:
        if required or explicit:
            fail(str(exc))
        err.print("no store: lineage from the repository and Git only (pass --store for runs and quality results)")
        yield None
        return
    except StoreError as exc:
        fail(str(exc))
    with store, store.engine.connect() as conn:
        yield conn


def _review_json(report: ReviewReport) -> dict[str, Any]:
    from dataclasses import asdict

    return {"window": {"last": report.window.last, "start": report.window.start.isoformat(),
                       "end": report.window.end.isoformat()},
            "criteria": report.criteria.model_dump(),
            "kpis": [{**asdict(k), "availability": k.availability, "withheld_share": k.withheld_share}
                     for k in report.kpis]}


def _print_review(report: ReviewReport) -> None:
    w = report.window
    err.print(f"review {w.last}: {w.start} .. {w.end}")
    for k in report.kpis:
        typer.echo(f"{k.kpi_id}: {k.recommendation}")
        err.print(f"  {_MARK[k.recommendation]}  {escape(k.kpi_id)}  available {k.availability:.0%} "
                  f"({k.published}/{k.periods}), withheld {k.withheld_share:.0%}", soft_wrap=True)
        for reason in k.reasons:
            err.print(f"      {escape(reason)}", soft_wrap=True)
