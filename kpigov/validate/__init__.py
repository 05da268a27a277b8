"""Semantic checks over a loaded project: references, conventions and consistency rules.

Each check is a small function ``check(project, report)`` registered in :data:`CHECKS` under a
name; they all run (no check stops another) so an author sees every problem at once.
"""

from __future__ import annotations

from typing import Callable

from kpigov.diagnostics import Code, Diagnostic
from kpigov.project import Project
from kpigov.validate import conventions, kpis, policies, references

Check = Callable[[Project], None]

#: Named semantic checks, run in this order.
CHECKS: dict[str, Check] = {
    "identifiers": conventions.check_identifiers,
    "naming": conventions.check_naming,
    "required-metadata": conventions.check_required_metadata,
    "placement": conventions.check_placement,
    "references": references.check_references,
    "datasets": policies.check_datasets,
    "kpi-fields": kpis.check_kpi_fields,
    "bands": kpis.check_bands,
    "expressions": kpis.check_expressions,
    "derived": kpis.check_derived,
    "lifecycle": kpis.check_lifecycle,
    "suites": policies.check_suites,
    "escalation": policies.check_escalation,
    "retention": policies.check_retention,
    "access": policies.check_access,
    "calendars": policies.check_calendars,
    "cohorts": policies.check_cohorts,
}


def run_checks(project: Project) -> None:
    for name, check in CHECKS.items():
        try:
            check(project)
        except Exception as exc:  # a bug in one check must not hide the other checks' findings
            project.diagnostics.add(Diagnostic(Code.INTERNAL, f"check '{name}' failed: {type(exc).__name__}: {exc}",
                                               _root_location(project)))


def _root_location(project: Project):  # type: ignore[no-untyped-def]
    from kpigov.diagnostics import Location

    return Location("kpigov.yaml")


__all__ = ["CHECKS", "run_checks"]
