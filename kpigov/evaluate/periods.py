"""Evaluation periods: which days a KPI value covers, and which earlier periods its baseline uses.

A KPI's ``frequency`` cuts time into periods (daily; weekly = ISO weeks Monday..Sunday; calendar
months; calendar quarters). The period evaluated for ``--as-of`` is the last *complete* one, i.e.
the latest period whose last day is on or before the as-of date: on Sunday 2026-11-22 a weekly
KPI covers Monday 16 to Sunday 22 November, a monthly KPI covers October.

Periods are computed here, in Python, and reach SQL only as bound date-range parameters, so every
backend agrees on their boundaries (SQLite, DuckDB and PostgreSQL truncate dates differently).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from kpigov.specs.base import duration_parts

Frequency = Literal["daily", "weekly", "monthly", "quarterly"]


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """Days ``start`` .. ``end`` inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def lower(self) -> datetime:
        """First instant of the period (naive UTC, like ``mentions.created_at``)."""
        return datetime.combine(self.start, time())

    @property
    def upper(self) -> datetime:
        """First instant after the period (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time())

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_containing(frequency: Frequency, day: date) -> Period:
    if frequency == "daily":
        return Period(day, day)
    if frequency == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    months = 1 if frequency == "monthly" else 3
    first = date(day.year, day.month, 1) if months == 1 else date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(first, _add_months(first, months) - timedelta(days=1))


def evaluation_period(frequency: Frequency, as_of: date) -> Period:
    """The latest complete period of ``frequency`` ending on or before ``as_of``."""
    current = period_containing(frequency, as_of)
    if current.end == as_of:
        return current
    return period_containing(frequency, current.start - timedelta(days=1))


def subtract(day: date, duration: str) -> date:
    """``day`` minus an ISO 8601 duration, with calendar months and years (times of day ignored)."""
    years, months, weeks, days, *_ = duration_parts(duration)
    shifted_month = _add_months(day, -(years * 12 + months))
    # Keep the day of month, clamped to the target month's length (31 March - P1M = 28/29 February).
    last_day = (_add_months(shifted_month, 1) - timedelta(days=1)).day
    shifted = shifted_month.replace(day=min(day.day, last_day))
    return shifted - timedelta(weeks=weeks, days=days)


def reference_periods(frequency: Frequency, period: Period, window: str) -> list[Period]:
    """The complete periods before ``period`` that start within the trailing ``window``, oldest first."""
    earliest = subtract(period.start, window)
    found: list[Period] = []
    candidate = period_containing(frequency, period.start - timedelta(days=1))
    while candidate.start >= earliest:
        found.append(candidate)
        candidate = period_containing(frequency, candidate.start - timedelta(days=1))
    return found[::-1]
