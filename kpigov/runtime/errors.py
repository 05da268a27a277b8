"""The runtime's exceptions: one base, so callers can catch every refused query at once.

    GovernanceError (ValueError)
    ├── GovernanceLoadError     the repository has errors and no earlier rules exist to keep
    ├── UnknownResourceError    a retention subject or KPI the repository does not declare
    ├── AccessDeniedError       a masked read the principal may not make (carries the Decision)
    └── QueryError              a masked-read query that is malformed or would leak masked data
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpigov.diagnostics import Diagnostics

if TYPE_CHECKING:
    from kpigov.runtime.access import Decision


class GovernanceError(ValueError):
    """Base of every error the runtime raises for bad input."""


class GovernanceLoadError(GovernanceError):
    def __init__(self, message: str, diagnostics: Diagnostics) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class UnknownResourceError(GovernanceError):
    pass


class AccessDeniedError(GovernanceError):
    def __init__(self, decision: Decision) -> None:
        rule = decision.rule
        why = f"denied by {rule.policy}#{rule.id} ({rule.location})" if rule else "no rule allows it (default deny)"
        super().__init__(f"{decision.action} on {decision.resource}: {why}")
        self.decision = decision


class QueryError(GovernanceError):
    pass


__all__ = ["AccessDeniedError", "GovernanceError", "GovernanceLoadError", "QueryError", "UnknownResourceError"]
