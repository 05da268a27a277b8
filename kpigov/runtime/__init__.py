"""Runtime rule queries: a repository compiled once into lookups, queried many times in process.

    gov = Governance.load("path/to/repo", store=store)        # store: optional (last values, audit, reads)
    gov = Governance.load(".kpigov/manifest.json")            # or a manifest CI compiled (fingerprint-checked)
    gov.check_access("analyst", "read", "dataset/mentions")   # Decision: effect, rule + location, masks, id
    gov.check_many([(principal, action, resource), ...])      # one rule set for the whole batch
    gov.retention("dataset/mentions:author_handle")           # period, action, legal basis, legal hold
    gov.route(alert)                                          # escalation tiers, teams, times
    gov.kpi("brand.customer.net_sentiment"), gov.explain(id)  # definition, status, last value, lineage
    gov.read_mentions("care-agent", MentionQuery(...))        # allowed columns only, masked in SQL
    gov.reload()                                              # atomic swap; errors keep the old rules

Stages: :mod:`~kpigov.runtime.principals` (roles closure) and :mod:`~kpigov.runtime.access`
(rule table, merge) are pure; :mod:`~kpigov.runtime.reads` is the only module that builds SQL.
Errors: see :mod:`kpigov.runtime.errors` (every one a :class:`GovernanceError`).
"""

from kpigov.runtime.access import CompiledRule, Decision, RowFilter, RuleTable, Verdict
from kpigov.runtime.errors import (
    AccessDeniedError,
    GovernanceError,
    GovernanceLoadError,
    QueryError,
    UnknownResourceError,
)
from kpigov.runtime.governance import AuditMode, Governance, ReloadReport, RuleSet
from kpigov.runtime.kpis import KpiAnswer, LastValue, LineagePointer
from kpigov.runtime.principals import Principal, RoleDirectory
from kpigov.runtime.retention import Retention, RetentionTerm

__all__ = [
    "AccessDeniedError", "AuditMode", "CompiledRule", "Decision", "Governance", "GovernanceError",
    "GovernanceLoadError", "KpiAnswer", "LastValue", "LineagePointer", "Principal", "QueryError", "ReloadReport",
    "Retention", "RetentionTerm", "RoleDirectory", "RowFilter", "RuleSet", "RuleTable", "UnknownResourceError",
    "Verdict",
]
