"""``kpigov compare``: the difference of a KPI between two periods, with a confidence interval.

Every mention measure is a function of additive daily totals (the evaluator's pushdown), so one
scan gives each day's totals and the interval comes from a **day bootstrap**: resample the days of
each period with replacement, add their totals up, recompute the KPI exactly as the evaluator does,
and take percentiles of the difference. Resampling days rather than mentions keeps the day-to-day
variation (news cycles, weekday effects) in the interval; an interval from mentions alone would be
far too narrow. Derived KPIs are not compared (their inputs' days would have to be resampled jointly).

**Cohorts** of an experiment (an EventCalendar event whose cohorts each have a ``where:`` condition on
mention columns) are compared over the event's own days. Both cohorts come from one scan: each is
the KPI's measure restricted to the cohort's mentions, so its value is what the evaluator would
report on those mentions alone. The interval comes from a **paired** day bootstrap: each replicate
draws the event's days once and applies the same days to both cohorts, so a shock shared by the
cohorts on one day (a news story, an outage) moves both and cancels in the difference.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Connection

from kpigov import expr
from kpigov.evaluate.aggregate import SOURCE_ROWS, Grid, add_up, run_fused
from kpigov.evaluate.measures import Component, CompiledMeasure, Computed, MeasureCompileError, Missing, compile_kpi
from kpigov.evaluate.periods import Period
from kpigov.lifecycle.errors import LifecycleError, UnknownSubjectError
from kpigov.project import Project
from kpigov.specs import KPI, Dataset, EventCalendar
from kpigov.specs.data import Cohort, Event
from kpigov.validate.kpis import dataset_columns

RESAMPLES = 2_000
#: A cohort needs mentions on at least this many of the event's days: fewer days give an interval
#: that only looks precise (the bootstrap cannot show variation it never saw).
MIN_COHORT_DAYS = 5
#: The component counting all of a cohort's mentions (its "rows": no row means no data, not zero).
_COHORT_ROWS = "cohort_rows"


class _Interval:
    """What a difference with a bootstrap interval says (shared by both kinds of comparison)."""

    value_a: float
    value_b: float
    low: float
    high: float

    @property
    def difference(self) -> float:
        return self.value_b - self.value_a

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Comparison(_Interval):
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


@dataclass(frozen=True)
class CohortComparison(_Interval):
    """``difference = b - a`` between two cohorts of one experiment over its days, with a paired interval."""

    kpi_id: str
    event_id: str
    period: Period
    a: str
    b: str
    value_a: float
    value_b: float
    #: Mentions of each cohort in the event (all of them, not only those the KPI's filter keeps).
    mentions_a: int
    mentions_b: int
    low: float
    high: float
    confidence: float
    resamples: int


def compare_periods(conn: Connection, project: Project, kpi_id: str, a: Period, b: Period, *,
                    confidence: float = 0.95, seed: int = 0) -> Comparison:
    """Compare ``kpi_id`` over period ``a`` and period ``b`` (seeded: the same request, the same interval)."""
    measure = _measure(project, kpi_id)
    lower, upper = min(a.start, b.start), max(a.end, b.end) + timedelta(days=1)
    grid = Grid(datetime.combine(lower, time()), datetime.combine(upper, time()))
    daily = run_fused(conn, [measure], grid).get(kpi_id, {})
    days_a, days_b = _days(a), _days(b)
    value_a, value_b = _value(measure, daily, days_a, str(a)), _value(measure, daily, days_b, str(b))
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
    low, high = _quantiles(differences, confidence)
    return Comparison(kpi_id, a, b, value_a, value_b, low, high, confidence, len(differences))


def compare_cohorts(conn: Connection, project: Project, kpi_id: str, event_id: str, a: str, b: str, *,
                    confidence: float = 0.95, seed: int = 0) -> CohortComparison:
    """Compare ``kpi_id`` between cohorts ``a`` and ``b`` of experiment ``event_id`` (seeded, paired by day)."""
    event = find_event(project, event_id)
    chosen = _cohorts(event, a, b)
    measure = _measure(project, kpi_id)
    period = Period(event.start, event.end)
    arms = [_cohort_measure(project, measure, event, cohort) for cohort in chosen]
    grid = Grid(datetime.combine(period.start, time()), datetime.combine(period.end + timedelta(days=1), time()))
    totals = run_fused(conn, arms, grid)
    daily_a, daily_b = (_cohort_daily(totals.get(arm.kpi_id, {})) for arm in arms)
    days = _days(period)
    for cohort, daily in zip(chosen, (daily_a, daily_b)):
        _enough_days(cohort, event, daily, days)
    value_a = _value(measure, daily_a, days, f"cohort {a!r} of {event_id} ({period})")
    value_b = _value(measure, daily_b, days, f"cohort {b!r} of {event_id} ({period})")
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(RESAMPLES):
        resampled = [days[i] for i in rng.integers(0, len(days), len(days))]  # the same days for both cohorts
        first, second = _computed(measure, daily_a, resampled), _computed(measure, daily_b, resampled)
        if not isinstance(first, Missing) and not isinstance(second, Missing):
            differences.append(float(second) - float(first))
    if len(differences) < RESAMPLES // 2:
        raise LifecycleError(f"{kpi_id}: too few days with a value for both cohorts {a!r} and {b!r} of {event_id} "
                             "for an interval")
    low, high = _quantiles(differences, confidence)
    mentions_a, mentions_b = (int(add_up(daily, days).get(SOURCE_ROWS, 0)) for daily in (daily_a, daily_b))
    return CohortComparison(kpi_id, event_id, period, a, b, value_a, value_b, mentions_a, mentions_b, low, high,
                            confidence, len(differences))


def find_event(project: Project, event_id: str) -> Event:
    """The event ``event_id`` of the repository's EventCalendars."""
    for calendar in project.of_kind(EventCalendar):
        for event in calendar.spec.events:
            if event.id == event_id:
                return event
    raise UnknownSubjectError(f"no event {event_id!r} in any EventCalendar of the repository")


def event_periods(project: Project, event_id: str) -> tuple[Period, Period]:
    """An EventCalendar event against the equally long period just before it (the control)."""
    event = find_event(project, event_id)
    length = (event.end - event.start).days + 1
    before = event.start - timedelta(days=length)
    return Period(before, event.start - timedelta(days=1)), Period(event.start, event.end)


def _cohorts(event: Event, a: str, b: str) -> tuple[Cohort, Cohort]:
    declared = dict(zip(event.cohort_ids, event.cohorts))
    if not declared:
        raise LifecycleError(f"event {event.id!r} declares no cohorts: compare it with the period before it "
                             "(--event without --cohorts), or declare cohorts on the experiment")
    for name in (a, b):
        if name not in declared:
            raise UnknownSubjectError(f"event {event.id!r} has no cohort {name!r} (its cohorts: {', '.join(declared)})")
    if a == b:
        raise LifecycleError(f"cohort {a!r} compared with itself: name two different cohorts of {event.id!r}")
    return _defined(declared[a], event), _defined(declared[b], event)


def _defined(cohort: Cohort | str, event: Event) -> Cohort:
    if isinstance(cohort, str):
        raise LifecycleError(f"cohort {cohort!r} of {event.id!r} is only a name, with no condition saying which mentions "
                             f"belong to it: define it as {{id: {cohort}, where: \"<condition on mention columns>\"}} "
                             "in its EventCalendar")
    return cohort


def _cohort_measure(project: Project, measure: CompiledMeasure, event: Event, cohort: Cohort) -> CompiledMeasure:
    """The KPI's measure on the cohort's mentions only, plus a count of all of them.

    The cohort's condition becomes the measure's filter and the KPI's own filter moves into every
    component, so each component aggregates exactly what the evaluator aggregates, within the
    cohort, while ``cohort_rows`` counts every mention of the cohort (the KPI's "no data" test).
    """
    dataset = project.get(measure.source)
    assert isinstance(dataset, Dataset)  # compile_kpi already resolved it
    where = f"cohort {cohort.id!r} of {event.id}"
    try:
        tree = expr.parse(cohort.where)
    except expr.ExprError as exc:
        raise LifecycleError(f"{where}: {exc.message}") from None
    problems = expr.check(tree, dataset_columns(dataset), expect="boolean")
    if problems:
        raise LifecycleError(f"{where}: {problems[0].message} in {measure.source}, the source of {measure.kpi_id}")
    components = [Component(_COHORT_ROWS)]
    for component in measure.components:
        condition = measure.filter if component.condition is None else sa.and_(measure.filter, component.condition)
        components.append(Component(component.name, condition, component.weight))
    return replace(measure, kpi_id=f"{measure.kpi_id}@{cohort.id}", filter=expr.to_sqlalchemy(tree, measure.relation.c),
                   components=tuple(components))


def _cohort_daily(daily: Mapping[Hashable, Mapping[str, float]]) -> dict[Hashable, dict[str, float]]:
    """Daily totals with the cohort's mentions as the rows (the scan's ``rows`` counts every mention)."""
    return {day: {**totals, SOURCE_ROWS: totals.get(_COHORT_ROWS, 0.0)} for day, totals in daily.items()}


def _enough_days(cohort: Cohort, event: Event, daily: Mapping[Hashable, Mapping[str, float]], days: list[date]) -> None:
    active = sum(1 for day in days if daily.get(day, {}).get(SOURCE_ROWS))
    if active == 0:
        raise LifecycleError(f"cohort {cohort.id!r} of {event.id} has no mentions from {event.start} to {event.end} "
                             f"(where: {cohort.where})")
    if active < MIN_COHORT_DAYS:
        raise LifecycleError(f"cohort {cohort.id!r} of {event.id} has mentions on {active} day(s) only; an interval "
                             f"needs at least {MIN_COHORT_DAYS}")


def _quantiles(differences: list[float], confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2
    low, high = (float(q) for q in np.quantile(differences, [tail, 1 - tail]))
    return low, high


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


def _value(measure: CompiledMeasure, daily: Mapping[Hashable, Mapping[str, float]], days: list[date], where: str) -> float:
    value = _computed(measure, daily, days)
    if isinstance(value, Missing):
        raise LifecycleError(f"{measure.kpi_id} has no value in {where}: {value.reason}")
    return float(value)
