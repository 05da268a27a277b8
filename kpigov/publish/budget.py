"""The privacy budget ledger: ε spent per public KPI per budget period, kept in the store.

Every release is a ``privacy_spend`` row written in the caller's transaction; a release that would
take the period's total past ``budget_per_period`` is refused before anything is written. On
PostgreSQL a transaction-scoped advisory lock per KPI serialises concurrent publishers, so two of
them cannot both spend the last of a budget.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, func, insert, select

from kpigov.specs.base import duration_parts
from kpigov.specs.kpi import PrivacyTreatment
from kpigov.store import schema

_SPEND = schema.privacy_spend
#: Float sums of ε compare with this slack, so 0.5 + 0.5 fits a budget of 1.0.
_SLACK = 1e-9


class BudgetExhaustedError(Exception):
    """A release would spend more ε than the KPI's budget for the period has left."""

    def __init__(self, kpi_id: str, period_start: date, spent: float, asked: float, budget: float) -> None:
        super().__init__(f"{kpi_id}: privacy budget for the period starting {period_start} is exhausted "
                         f"(spent ε={spent:g} of {budget:g}; this release needs ε={asked:g})")
        self.kpi_id, self.period_start, self.spent, self.asked, self.budget = kpi_id, period_start, spent, asked, budget


def budget_period_start(as_of: date, period: str) -> date:
    """Start of the budget period holding ``as_of``: calendar years/months, else whole days since 1970
    (a budget is never renewed more often than daily)."""
    years, months, weeks, days, *_ = duration_parts(period)
    if years or months:
        span = years * 12 + months
        index = ((as_of.year * 12 + as_of.month - 1) // span) * span
        return date(index // 12, index % 12 + 1, 1)
    length = max(1, weeks * 7 + days)
    epoch = date(1970, 1, 1)
    return epoch + timedelta(days=((as_of - epoch).days // length) * length)


def spent(conn: Connection, kpi_id: str, period_start: date) -> float:
    total = conn.execute(select(func.coalesce(func.sum(_SPEND.c.epsilon), 0.0))
                         .where(_SPEND.c.kpi_id == kpi_id, _SPEND.c.period_start == period_start)).scalar_one()
    return float(total)


def spend(conn: Connection, kpi_id: str, treatment: PrivacyTreatment, epsilon: float, as_of: date) -> date:
    """Record ``epsilon`` against the KPI's budget; raises :class:`BudgetExhaustedError` when it does not fit."""
    start = budget_period_start(as_of, treatment.period)
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended("privacy_spend:" + kpi_id, 0))))
    used = spent(conn, kpi_id, start)
    if used + epsilon > treatment.budget_per_period + _SLACK:
        raise BudgetExhaustedError(kpi_id, start, used, epsilon, treatment.budget_per_period)
    conn.execute(insert(_SPEND).values(
        release_id=secrets.token_hex(16), kpi_id=kpi_id, period_start=start, epsilon=epsilon,
        mechanism=treatment.mechanism, released_at=datetime.now(UTC).replace(tzinfo=None)))
    return start


__all__ = ["BudgetExhaustedError", "budget_period_start", "spend", "spent"]
