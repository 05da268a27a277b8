"""Retention enforcement: RetentionRules applied to the store (delete, anonymise, aggregate).

    report = enforce_retention(kpigov.load(repo), store, as_of)              # dry run: counts only
    report = enforce_retention(kpigov.load(repo), store, as_of, apply=True)  # one transaction + audit

:mod:`~kpigov.retention.plan` turns rules into ordered actions with SQL predicates (pure);
:mod:`~kpigov.retention.enforce` counts or performs them.
"""

from kpigov.retention.enforce import ActionOutcome, RetentionReport, enforce_retention
from kpigov.retention.plan import ANON_PREFIX, PlannedAction, RetentionPlanError, plan, subtract

__all__ = ["ANON_PREFIX", "ActionOutcome", "PlannedAction", "RetentionPlanError", "RetentionReport",
           "enforce_retention", "plan", "subtract"]
