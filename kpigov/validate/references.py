"""Every reference between documents, listed per kind, and the check that each one resolves.

:func:`references` is also what the compiler uses to draw graph edges, so "what does this document
depend on" is answered in one place.
"""

from __future__ import annotations

import difflib
from typing import Iterator

from kpigov.diagnostics import Code
from kpigov.project import Project
from kpigov.specs import (
    KPI,
    AccessPolicy,
    Dataset,
    EscalationPolicy,
    Envelope,
    ExpectationSuite,
    RetentionRule,
    RetirementDecision,
    Role,
)
from kpigov.specs.base import REFERENCE_KINDS, split_reference

Path = tuple[str | int, ...]


def references(spec: Envelope) -> Iterator[tuple[Path, str]]:
    """(path in the document, reference) for every reference ``spec`` makes to another document."""
    if spec.metadata.owner:
        yield ("metadata", "owner"), spec.metadata.owner
    for i, approval in enumerate(spec.metadata.approvals):
        yield ("metadata", "approvals", i, "team"), approval.team
    if isinstance(spec, KPI):
        s = spec.spec
        for name in ("source", "dedup", "escalation"):
            value = getattr(s, name)
            if value:
                yield ("spec", name), value
        if s.sentiment:
            yield ("spec", "sentiment", "lexicon"), s.sentiment.lexicon
        if s.baseline and s.baseline.exclude_events:
            yield ("spec", "baseline", "exclude_events"), s.baseline.exclude_events
        for i, suite in enumerate(s.quality_gates):
            yield ("spec", "quality_gates", i), suite
        for i, outcome in enumerate(s.outcomes):
            yield ("spec", "outcomes", i), outcome
        if s.replacement:
            yield ("spec", "replacement"), f"kpi/{s.replacement}"
    elif isinstance(spec, Dataset):
        if spec.spec.fallback:
            yield ("spec", "fallback"), spec.spec.fallback
    elif isinstance(spec, ExpectationSuite):
        yield ("spec", "dataset"), spec.spec.dataset
    elif isinstance(spec, EscalationPolicy):
        for i, tier in enumerate(spec.spec.tiers):
            yield ("spec", "tiers", i, "team"), tier.team
    elif isinstance(spec, RetentionRule):
        for i, dataset in enumerate(spec.spec.datasets):
            yield ("spec", "datasets", i), dataset
    elif isinstance(spec, AccessPolicy):
        for i, rule in enumerate(spec.spec.rules):
            for j, role in enumerate(rule.roles):
                yield ("spec", "rules", i, "roles", j), role
    elif isinstance(spec, Role):
        for i, team in enumerate(spec.spec.teams):
            yield ("spec", "teams", i), team
        for i, parent in enumerate(spec.spec.inherits):
            yield ("spec", "inherits", i), parent
    elif isinstance(spec, RetirementDecision):
        yield ("spec", "kpi"), f"kpi/{spec.spec.kpi}"
        yield ("spec", "decided_by"), spec.spec.decided_by
        if spec.spec.replacement:
            yield ("spec", "replacement"), f"kpi/{spec.spec.replacement}"


def check_references(project: Project) -> None:
    known_by_prefix: dict[str, list[str]] = {}
    for ref in project.specs:
        prefix, ident = split_reference(ref)
        known_by_prefix.setdefault(prefix, []).append(ident)
    for ref, spec in project.specs.items():
        for path, target in references(spec):
            if path[:2] == ("metadata", "owner"):
                continue  # reported as unknown-owner by the conventions check
            if target in project.specs:
                continue
            prefix, ident = split_reference(target)
            if prefix not in REFERENCE_KINDS:
                project.diagnostics.error(Code.WRONG_REFERENCE_KIND, f"'{target}': unknown reference prefix '{prefix}'",
                                          project.locate(ref, path))
                continue
            close = difflib.get_close_matches(ident, known_by_prefix.get(prefix, []), n=1)
            project.diagnostics.error(
                Code.UNRESOLVED_REFERENCE, f"{REFERENCE_KINDS[prefix]} '{ident}' (referenced as '{target}') is not defined",
                project.locate(ref, path), hint=f"did you mean '{prefix}/{close[0]}'?" if close else None)
