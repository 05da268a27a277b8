"""``kpigov review``: the evidence a review board needs for every active KPI, and a recommendation.

For the quarters under review (``spec.review.quarters`` of ``kpigov.yaml``, ending with the quarter
asked for): how many periods have a published value, how often the value was withheld, and how well
the KPI leads or tracks each outcome series it declares (:mod:`~kpigov.lifecycle.correlation`).
The recommendation follows the declared criteria, in this order:

1. ``revise`` when the KPI declares no outcome series (nothing to judge it by), is withheld in more
   than ``max_withheld_share`` of its periods, or has too few values to correlate;
2. ``keep`` when, for some outcome, the interval of the best lag assures ``|r| >= retire_below_abs_r``;
3. ``retire`` otherwise: the history is there, and it shows no association we can be confident of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import Connection

from kpigov.lifecycle.correlation import MIN_PAIRS, LagCorrelation, lagged_correlation
from kpigov.lifecycle.errors import BadQuarterError
from kpigov.lifecycle.history import kpi_history, outcome_per_period, outcome_series, periods_between
from kpigov.project import Project
from kpigov.specs import KPI, Dataset
from kpigov.specs.config import ReviewCriteria

Recommendation = Literal["keep", "revise", "retire"]
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
#: At least the length of one period of each frequency, to reach the outcomes of lagged periods.
_LONGEST_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92}


@dataclass(frozen=True)
class ReviewWindow:
    """The days under review: ``quarters`` calendar quarters ending with ``last``."""

    last: str
    start: date
    end: date


def review_window(quarter: str, quarters: int) -> ReviewWindow:
    """``2026Q3`` with 3 quarters → 2026-01-01 .. 2026-09-30."""
    match = _QUARTER.match(quarter)
    if match is None:
        raise BadQuarterError(f"--quarter {quarter!r} is not of the form YYYYQn, e.g. 2026Q3")
    year, q = int(match[1]), int(match[2])
    following = year * 4 + q  # quarters counted from year 0, Q1 = 0
    end = date(following // 4, 3 * (following % 4) + 1, 1) - timedelta(days=1)
    first = following - quarters
    start = date(first // 4, 3 * (first % 4) + 1, 1)
    return ReviewWindow(quarter, start, end)


@dataclass(frozen=True)
class OutcomeEvidence:
    """How the KPI relates to one declared outcome series (None: too few aligned periods)."""

    dataset: str
    series: str
    correlation: LagCorrelation | None


@dataclass(frozen=True)
class KPIReview:
    kpi_id: str
    periods: int
    published: int
    withheld: int
    outcomes: tuple[OutcomeEvidence, ...]
    recommendation: Recommendation
    reasons: tuple[str, ...]

    @property
    def availability(self) -> float:
        return self.published / self.periods if self.periods else 0.0

    @property
    def withheld_share(self) -> float:
        return self.withheld / self.periods if self.periods else 0.0


@dataclass(frozen=True)
class ReviewReport:
    window: ReviewWindow
    criteria: ReviewCriteria
    kpis: tuple[KPIReview, ...] = field(default_factory=tuple)


def review(conn: Connection, project: Project, quarter: str) -> ReviewReport:
    """Review every active KPI of ``project`` over the window ending with ``quarter``."""
    criteria = project.config.spec.review if project.config else ReviewCriteria()
    window = review_window(quarter, criteria.quarters)
    reviews = tuple(review_kpi(conn, project, kpi, window, criteria)
                    for kpi in sorted(project.kpis, key=lambda k: k.id) if kpi.spec.status == "active")
    return ReviewReport(window, criteria, reviews)


def review_kpi(conn: Connection, project: Project, kpi: KPI, window: ReviewWindow, criteria: ReviewCriteria) -> KPIReview:
    periods = periods_between(kpi.spec.frequency, window.start, window.end)
    history = kpi_history(conn, kpi.id, window.start, window.end)
    values = [history[p.start].value if p.start in history and history[p.start].status == "ok" else None for p in periods]
    withheld = sum(1 for p in periods if p.start in history and history[p.start].status == "withheld")
    evidence = []
    for ref in kpi.spec.outcomes:
        dataset = project.get(ref)
        series = dataset.spec.series if isinstance(dataset, Dataset) and dataset.spec.series else ref.split("/", 1)[1]
        # outcomes after the window still count: a leading KPI's last periods are judged by them
        horizon = window.end + timedelta(days=_LONGEST_DAYS[kpi.spec.frequency] * criteria.max_lag_periods)
        outcome = outcome_series(conn, series, window.start, horizon)
        extended = periods_between(kpi.spec.frequency, window.start, horizon)
        correlation = lagged_correlation(values, outcome_per_period(outcome, extended), criteria.max_lag_periods)
        evidence.append(OutcomeEvidence(ref, series, correlation))
    published = sum(v is not None for v in values)
    recommendation, reasons = _recommend(kpi, len(periods), withheld, evidence, criteria)
    return KPIReview(kpi.id, len(periods), published, withheld, tuple(evidence), recommendation, reasons)


def _recommend(kpi: KPI, periods: int, withheld: int, evidence: list[OutcomeEvidence],
               criteria: ReviewCriteria) -> tuple[Recommendation, tuple[str, ...]]:
    if not evidence:
        return "revise", ("declares no outcome series (spec.outcomes): nothing to judge it by",)
    share = withheld / periods if periods else 0.0
    if share > criteria.max_withheld_share:
        return "revise", (f"withheld in {share:.0%} of periods, above max_withheld_share {criteria.max_withheld_share:.0%}",)
    judged = [e for e in evidence if e.correlation is not None]
    if not judged:
        return "revise", (f"fewer than {MIN_PAIRS} periods with both a value and an outcome: not enough history",)
    best = max(judged, key=lambda e: e.correlation.assured_strength)  # type: ignore[union-attr]
    c = best.correlation
    assert c is not None
    described = (f"{best.series}: r={c.r:+.2f} at lag {c.lag}, {c.confidence:.1%} interval "
                 f"[{c.low:+.2f}, {c.high:+.2f}], p={c.p_value:.3f}, n={c.pairs}")
    if c.assured_strength >= criteria.retire_below_abs_r:
        return "keep", (f"{described}: |r| >= {criteria.retire_below_abs_r} with confidence",)
    return "retire", (f"{described}: the interval does not assure |r| >= {criteria.retire_below_abs_r}",)
