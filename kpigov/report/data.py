"""What a report shows, read once from the store and the project: the scorecard's raw material.

The report never computes a KPI: every value, band, baseline and change comes from the
``kpi_results`` rows runs wrote. When several runs covered the same KPI period (a re-run, a
backfill), the most recent run's row is the one shown, as in :mod:`kpigov.runtime`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from kpigov.project import Project
from kpigov.specs import KPI, EventCalendar
from kpigov.specs.data import Event
from kpigov.store import Store, schema

#: Balanced Scorecard perspectives in the order the scorecard lists them.
PERSPECTIVES = ("financial", "customer", "internal_process", "learning_growth")
PERSPECTIVE_TITLES = {"financial": "Financial", "customer": "Customer", "internal_process": "Internal Process",
                      "learning_growth": "Learning & Growth"}


@dataclass(frozen=True)
class Point:
    """One evaluated period of one KPI, as the latest run covering it stored it."""

    period_start: date
    period_end: date
    status: str
    value: float | None
    band: str | None
    baseline: float | None
    change: float | None
    reason: str | None
    run_id: str
    as_of: date
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def fired_spikes(self) -> list[dict[str, Any]]:
        return [s for s in self.detail.get("spikes", []) if s.get("fired")]

    @property
    def baseline_periods(self) -> int:
        return len((self.detail.get("baseline") or {}).get("periods", []))


@dataclass(frozen=True)
class KPIReport:
    """A KPI's definition (from its spec) beside its history (from the store), oldest period first."""

    kpi: KPI
    history: tuple[Point, ...]

    @property
    def id(self) -> str:
        return self.kpi.metadata.id

    @property
    def latest(self) -> Point | None:
        return self.history[-1] if self.history else None


@dataclass(frozen=True)
class ReportData:
    """Everything the site and the summary are rendered from."""

    project: Project
    as_of: date
    kpis: tuple[KPIReport, ...]
    events: tuple[Event, ...]
    alerts: tuple[dict[str, Any], ...]
    overrides: tuple[dict[str, Any], ...]
    quality: dict[str, Any]

    def by_perspective(self) -> list[tuple[str, list[KPIReport]]]:
        groups: dict[str, list[KPIReport]] = defaultdict(list)
        for k in self.kpis:
            groups[k.kpi.spec.perspective].append(k)
        return [(p, groups[p]) for p in PERSPECTIVES if groups.get(p)]

    def events_in(self, start: date, end: date) -> list[Event]:
        return [e for e in self.events if e.start <= end and e.end >= start]


def load_report_data(store: Store, project: Project, as_of: date) -> ReportData:
    """Read the exact results of every run up to ``as_of`` (internal; the public view is
    :func:`kpigov.report.public.public_report_data`, built from the published releases)."""
    kpis = [k for k in project.of_kind(KPI) if k.spec.status != "draft"]
    wanted = {k.metadata.id for k in kpis}
    with store.engine.connect() as conn:
        history = _history(conn, as_of, wanted)
        latest_run = conn.execute(sa.select(schema.runs.c.run_id, schema.runs.c.quality)
                                  .where(schema.runs.c.status == "ok", schema.runs.c.as_of <= as_of)
                                  .order_by(schema.runs.c.as_of.desc(), schema.runs.c.finished_at.desc())
                                  .limit(1)).first()
        alerts = _alerts(conn, latest_run.run_id if latest_run else None, wanted)
        overrides = [dict(r._mapping) for r in conn.execute(
            sa.select(schema.overrides).where(schema.overrides.c.kpi_id.in_(sorted(wanted)))
            .order_by(schema.overrides.c.decided_at))]
    return ReportData(
        project=project, as_of=as_of,
        kpis=tuple(KPIReport(k, tuple(history.get(k.metadata.id, ()))) for k in sorted(kpis, key=lambda k: k.metadata.id)),
        events=report_events(project), alerts=tuple(alerts), overrides=tuple(overrides),
        quality=json.loads(latest_run.quality) if latest_run and latest_run.quality else {})


def report_events(project: Project) -> tuple[Event, ...]:
    """Every declared event of the project's calendars, in date order."""
    return tuple(sorted((e for cal in project.of_kind(EventCalendar) for e in cal.spec.events),
                        key=lambda e: (e.start, e.id)))


def _history(conn: sa.Connection, as_of: date, wanted: set[str]) -> dict[str, list[Point]]:
    r, k = schema.runs, schema.kpi_results
    rows = conn.execute(
        sa.select(k.c.kpi_id, k.c.period_start, k.c.period_end, k.c.status, k.c.value, k.c.band, k.c.baseline,
                  k.c.change, k.c.reason, k.c.detail, k.c.run_id, r.c.as_of)
        .join(r, r.c.run_id == k.c.run_id)
        .where(r.c.status == "ok", r.c.as_of <= as_of, k.c.kpi_id.in_(sorted(wanted)))
        .order_by(r.c.as_of, r.c.finished_at))
    latest: dict[tuple[str, date], Point] = {}
    for row in rows:  # later runs overwrite earlier ones for the same KPI period
        latest[(row.kpi_id, row.period_start)] = Point(
            row.period_start, row.period_end, row.status, row.value, row.band, row.baseline, row.change, row.reason,
            row.run_id, row.as_of, json.loads(row.detail) if row.detail else {})
    series: dict[str, list[Point]] = defaultdict(list)
    for (kpi_id, _), point in sorted(latest.items(), key=lambda item: item[0]):
        series[kpi_id].append(point)
    return series


def _alerts(conn: sa.Connection, run_id: str | None, wanted: set[str]) -> list[dict[str, Any]]:
    """The latest run's alerts: the ones a reader still has to act on."""
    if run_id is None:
        return []
    a = schema.alerts
    rows = conn.execute(sa.select(a).where(a.c.run_id == run_id, a.c.kpi_id.in_(sorted(wanted)))
                        .order_by(a.c.severity, a.c.kpi_id, a.c.trigger))
    return [{**dict(row._mapping), "payload": json.loads(row.payload)} for row in rows]
