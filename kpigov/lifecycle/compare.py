"""``kpigov compare``: the difference of a KPI between two periods, with a confidence interval.

Every mention measure is a function of additive daily totals (the evaluator's pushdown), so one
scan gives each day's totals and the interval comes from a **day bootstrap**: resample the days of
each period with replacement, add their totals up, recompute the KPI exactly as the evaluator does,
and take percentiles of the difference. Resampling days rather than mentions keeps the day-to-day
variation (news cycles, weekday effects) in the interval; an interval from mentions alone would be
far too narrow. Derived KPIs are not compared (their inputs' days would have to be resampled jointly).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Connection

from kpigov.evaluate.aggregate import SOURCE_ROWS, Grid, add_up, run_fused
from kpigov.evaluate.measures import CompiledMeasure, Computed, MeasureCompileError, Missing, compile_kpi
from kpigov.evaluate.periods import Period
from kpigov.lifecycle.errors import LifecycleError, UnknownSubjectError
from kpigov.project import Project
from kpigov.specs import KPI, EventCalendar

RESAMPLES = 2_000


@dataclass(frozen=True)
class Comparison:
    """``difference = b - a`` in the KPI's unit, with its bootstrap interval."""

    kpi_id: str
    a: Period
    b: Period
    value_a: float
    value_b: float
    low: float
    high: float
    confidence: float
    resamples: int

    @property
    def difference(self) -> float:
        return self.value_b - self.value_a

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return self.low > 0 or self.high < 0


def compare_periods(conn: Connection, project: Project, kpi_id: str, a: Period, b: Period, *,
                    confidence: float = 0.95, seed: int = 0) -> Comparison:
    """Compare ``kpi_id`` over period ``a`` and period ``b`` (seeded: the same request, the same interval)."""
    measure = _measure(project, kpi_id)
    lower, upper = min(a.start, b.start), max(a.end, b.end) + timedelta(days=1)
    grid = Grid(datetime.combine(lower, time()), datetime.combine(upper, time()))
    daily = run_fused(conn, [measure], grid).get(kpi_id, {})
    days_a, days_b = _days(a), _days(b)
    value_a, value_b = _value(measure, daily, days_a, a), _value(measure, daily, days_b, b)
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(RESAMPLES):
        resampled_a = [days_a[i] for i in rng.integers(0, len(days_a), len(days_a))]
        resampled_b = [days_b[i] for i in rng.integers(0, len(days_b), len(days_b))]
        first, second = _computed(measure, daily, resampled_a), _computed(measure, daily, resampled_b)
        if not isinstance(first, Missing) and not isinstance(second, Missing):
            differences.append(float(second) - float(first))
    if len(differences) < RESAMPLES // 2:
        raise LifecycleError(f"{kpi_id}: too few days with data in {a} or {b} for an interval")
    tail = (1 - confidence) / 2
    low, high = (float(q) for q in np.quantile(differences, [tail, 1 - tail]))
    return Comparison(kpi_id, a, b, value_a, value_b, low, high, confidence, len(differences))


def event_periods(project: Project, event_id: str) -> tuple[Period, Period]:
    """An EventCalendar event against the equally long period just before it (the control)."""
    for calendar in project.of_kind(EventCalendar):
        for event in calendar.spec.events:
            if event.id == event_id:
                length = (event.end - event.start).days + 1
                before = event.start - timedelta(days=length)
                return Period(before, event.start - timedelta(days=1)), Period(event.start, event.end)
    raise UnknownSubjectError(f"no event {event_id!r} in any EventCalendar of the repository")


def _measure(project: Project, kpi_id: str) -> CompiledMeasure:
    kpi = project.get(f"kpi/{kpi_id}")
    if not isinstance(kpi, KPI):
        raise UnknownSubjectError(f"unknown KPI {kpi_id!r}")
    try:
        compiled = compile_kpi(kpi, project)
    except MeasureCompileError as exc:
        raise LifecycleError(f"{kpi_id} does not compile: {exc}") from None
    if not isinstance(compiled, CompiledMeasure):
        raise LifecycleError(f"{kpi_id} is a derived KPI: compare its input KPIs instead")
    return compiled


def _days(period: Period) -> list[date]:
    return [period.start + timedelta(days=i) for i in range(period.days)]


def _computed(measure: CompiledMeasure, daily: Mapping[Hashable, Mapping[str, float]], days: list[date]) -> Computed:
    """The KPI over ``days`` as the evaluator computes it: no source row is "no data", never a value."""
    totals = add_up(daily, days)
    if not totals.get(SOURCE_ROWS):
        return Missing("no mentions")
    return measure.value(totals)


def _value(measure: CompiledMeasure, daily: Mapping[Hashable, Mapping[str, float]], days: list[date], period: Period) -> float:
    value = _computed(measure, daily, days)
    if isinstance(value, Missing):
        raise LifecycleError(f"{measure.kpi_id} has no value in {period}: {value.reason}")
    return float(value)
