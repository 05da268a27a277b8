"""The KPI lifecycle: review against outcomes, retirement decisions, comparisons of periods and cohorts.

::

    report = review(conn, project, "2026Q3")          # keep / revise / retire, with the evidence
    write_retirement(project, kpi_id, reason=..., decided_by="team/...", on=date.today())
    retirement_of(project, kpi_id, as_of)              # the decision in force, or None
    compare_periods(conn, project, kpi_id, a, b)       # b - a with a day-bootstrap interval
    compare_cohorts(conn, project, kpi_id, event_id, "standard", "empathetic")  # paired by day
"""

from kpigov.lifecycle.compare import CohortComparison, Comparison, compare_cohorts, compare_periods, event_periods
from kpigov.lifecycle.correlation import LagCorrelation, lagged_correlation
from kpigov.lifecycle.errors import BadQuarterError, LifecycleError, RetirementError, UnknownSubjectError
from kpigov.lifecycle.history import HistoryPoint, kpi_history, outcome_series
from kpigov.lifecycle.retirement import RetirementWritten, retirement_of, write_retirement
from kpigov.lifecycle.review import KPIReview, OutcomeEvidence, ReviewReport, ReviewWindow, review, review_window

__all__ = [
    "BadQuarterError",
    "CohortComparison",
    "Comparison",
    "HistoryPoint",
    "KPIReview",
    "LagCorrelation",
    "LifecycleError",
    "OutcomeEvidence",
    "RetirementError",
    "ReviewReport",
    "ReviewWindow",
    "RetirementWritten",
    "UnknownSubjectError",
    "compare_cohorts",
    "compare_periods",
    "event_periods",
    "kpi_history",
    "lagged_correlation",
    "outcome_series",
    "retirement_of",
    "review",
    "review_window",
    "write_retirement",
]
