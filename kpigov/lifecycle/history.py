"""What the store remembers about a KPI: its value per period, and the outcome series it is judged on.

A period can be evaluated many times (backfills, re-runs after a fix); the history keeps the result
of the **latest successful run** for each period, which is what a reviewer would have seen last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection

from kpigov.evaluate.periods import Frequency, Period, evaluation_period
from kpigov.store import schema


@dataclass(frozen=True)
class HistoryPoint:
    """One period of a KPI as its latest run left it."""

    period: Period
    status: str
    value: float | None
    run_id: str
    reason: str | None


def kpi_history(conn: Connection, kpi_id: str, since: date, until: date) -> dict[date, HistoryPoint]:
    """Latest stored result per period starting in ``since .. until`` (keyed by period start)."""
    r, k = schema.runs, schema.kpi_results
    statement = (
        sa.select(k.c.period_start, k.c.period_end, k.c.status, k.c.value, k.c.run_id, k.c.reason)
        .join(r, r.c.run_id == k.c.run_id)
        .where(k.c.kpi_id == kpi_id, r.c.status == "ok", k.c.period_start.between(since, until))
        .order_by(r.c.finished_at, r.c.run_id)
    )
    history: dict[date, HistoryPoint] = {}
    for row in conn.execute(statement):
        history[row.period_start] = HistoryPoint(Period(row.period_start, row.period_end), row.status, row.value,
                                                 row.run_id, row.reason)  # later runs overwrite earlier ones
    return history


def outcome_series(conn: Connection, series: str, since: date, until: date) -> dict[date, float]:
    """Weekly values of ``series`` (summed over its topics) with a period start in ``since .. until``."""
    o = schema.outcomes
    statement = (
        sa.select(o.c.period_start, sa.func.sum(o.c.value).label("value"))
        .where(o.c.series == series, o.c.period_start.between(since, until))
        .group_by(o.c.period_start)
    )
    return {row.period_start: float(row.value) for row in conn.execute(statement)}


def periods_between(frequency: Frequency, start: date, end: date) -> list[Period]:
    """The complete periods of ``frequency`` lying inside ``start .. end``, oldest first."""
    found: list[Period] = []
    period = evaluation_period(frequency, end)
    while period.start >= start:
        found.append(period)
        period = evaluation_period(frequency, period.start - timedelta(days=1))
    return found[::-1]


def outcome_per_period(outcome: dict[date, float], periods: list[Period]) -> list[float | None]:
    """The outcome for each KPI period: the mean of its weekly values starting inside the period."""
    aligned: list[float | None] = []
    for period in periods:
        inside = [v for start, v in outcome.items() if period.start <= start <= period.end]
        aligned.append(sum(inside) / len(inside) if inside else None)
    return aligned
