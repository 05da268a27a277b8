"""Run policy-test cases against the compiled governance and compare answers with expectations.

Every answer comes from the same code production uses: access, retention and routing from
:class:`kpigov.Governance`, KPI values from :func:`kpigov.evaluate.evaluate` over a throw-away
DuckDB store holding only the case's mentions. A case compares only what its ``expect`` states.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import networkx as nx

from kpigov.diagnostics import Location
from kpigov.evaluate import evaluate
from kpigov.evaluate.alerts import Alert
from kpigov.evaluate.errors import EvaluationError
from kpigov.evaluate.periods import evaluation_period
from kpigov.evaluate.quality.results import GateReport
from kpigov.policytest.load import LocatedCase, Suite
from kpigov.policytest.mentions import complete_rows
from kpigov.policytest.model import AccessCase, KpiCase, RetentionCase, RouteCase
from kpigov.project import Project
from kpigov.runtime.errors import GovernanceError
from kpigov.runtime.governance import Governance, RuleSet
from kpigov.specs import KPI
from kpigov.specs.base import to_timedelta
from kpigov.store import Store, open_store
from kpigov.store.schema import mentions


@dataclass(frozen=True)
class CaseResult:
    """One case's verdict; ``differences`` are ``(what, expected, got)`` triples, empty when it passed."""

    suite: str
    name: str
    location: Location
    differences: tuple[tuple[str, str, str], ...]

    @property
    def passed(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {"suite": self.suite, "name": self.name, "location": str(self.location), "passed": self.passed,
                "differences": [{"what": w, "expected": e, "got": g} for w, e, g in self.differences]}


class PolicyTestRunner:
    """Answers cases from one compiled project (compiled once, for every suite)."""

    def __init__(self, project: Project) -> None:
        """Raises :class:`~kpigov.runtime.errors.GovernanceLoadError` when the project does not compile."""
        self.project = project
        self.rules = RuleSet.build(project)
        self.governance = Governance(project.root, self.rules)

    def run(self, suites: list[Suite]) -> Iterator[CaseResult]:
        for suite in suites:
            for located in suite.cases:
                yield CaseResult(suite.id, located.case.name, located.location, tuple(self._differences(suite, located)))

    def _differences(self, suite: Suite, located: LocatedCase) -> Iterator[tuple[str, str, str]]:
        case = located.case
        try:
            if isinstance(case, AccessCase):
                yield from self._access(suite, case)
            elif isinstance(case, RouteCase):
                yield from self._route(suite, case)
            elif isinstance(case, RetentionCase):
                yield from self._retention(case)
            else:
                yield from self._kpi(suite, case)
        except (GovernanceError, EvaluationError) as error:  # the question itself names something unknown
            yield "answer", "an answer", f"error: {error}"

    # -- one method per kind of question ------------------------------------------------------

    def _access(self, suite: Suite, case: AccessCase) -> Iterator[tuple[str, str, str]]:
        request, expect = case.access, case.expect
        decision = self.governance.check_access(suite.principals[request.principal], request.action,
                                                request.resource, row=request.row)
        yield from _compare("effect", expect.effect, decision.effect)
        if expect.rule is not None:
            yield from _compare("rule", expect.rule, decision.rule.id if decision.rule else "default")
        if expect.masks is not None:
            yield from _compare("masks", dict(sorted(expect.masks.items())), dict(decision.masks))
        if expect.hidden is not None:
            yield from _compare("hidden", sorted(expect.hidden), sorted(decision.hidden))

    def _route(self, suite: Suite, case: RouteCase) -> Iterator[tuple[str, str, str]]:
        given, expect = case.route.alert, case.expect
        alert = Alert(given.kpi, given.trigger, f"policy test: {case.name}", band=given.band,
                      detector=given.detector, topic=given.topic, cluster_size=given.cluster_size)
        routed = self.governance.route(alert, suite.now)
        yield from _compare("routed", expect.routed, routed is not None)
        if routed is None:
            return
        if expect.policy is not None:
            yield from _compare("policy", expect.policy, routed.policy)
        if expect.severity is not None:
            yield from _compare("severity", expect.severity, routed.severity)
        if expect.tiers is not None:
            wanted = [_tier_text(t.level, t.team, t.channel, to_timedelta(t.after) if t.after else None)
                      for t in expect.tiers]
            got = [_tier_text(t.level, t.team, t.channel if want.channel else None,
                              t.notify_at - suite.now if want.after else None)
                   for t, want in zip(routed.tiers, expect.tiers)]
            got += [_tier_text(t.level, t.team, t.channel, t.notify_at - suite.now) for t in routed.tiers[len(wanted):]]
            yield from _compare("tiers", wanted, got)

    def _retention(self, case: RetentionCase) -> Iterator[tuple[str, str, str]]:
        answer, expect = self.governance.retention(case.retention.subject), case.expect
        governing = answer.governing
        checks = (("period", expect.period, answer.period), ("action", expect.action, answer.action),
                  ("legal_hold", expect.legal_hold, answer.legal_hold),
                  ("rule", expect.rule, governing.rule if governing else None),
                  ("data_class", expect.data_class, answer.data_class))
        for what, wanted, got in checks:
            if wanted is not None:
                yield from _compare(what, wanted, got)

    def _kpi(self, suite: Suite, case: KpiCase) -> Iterator[tuple[str, str, str]]:
        request, expect = case.kpi, case.expect
        ref = f"kpi/{request.id.removeprefix('kpi/')}"
        kpi = self.project.get(ref)
        if not isinstance(kpi, KPI):
            yield "kpi", "a KPI of this repository", f"'{request.id}' is not one"
            return
        as_of = suite.now.date()
        posted = datetime.combine(evaluation_period(kpi.spec.frequency, as_of).end, time(12))
        compiled = self.rules.compiled
        needed = nx.ancestors(compiled.graph, ref) | {ref}
        order = [r for r in compiled.kpi_order if r in needed]  # the KPI and the KPIs it is derived from
        with tempfile.TemporaryDirectory(prefix="kpigov-test-") as tmp:
            store = open_store(f"duckdb:///{tmp}/t.duckdb", create=True)
            try:
                _insert(store, complete_rows(request.mentions, posted))
                run = evaluate(store, self.project, order, compiled.fingerprint, as_of, gates=_no_gates)
            finally:
                store.close()
        if run.error:
            yield "run", "a completed run", run.error
            return
        result = next(r for r in run.kpis if r.kpi_id == kpi.id)
        if result.status.value != expect.status:
            yield "status", expect.status, result.status.value + (f" ({result.reason})" if result.reason else "")
        if expect.value is not None:
            if result.value is None or abs(result.value - expect.value) > expect.tolerance:
                yield "value", f"{expect.value:g}", "none" if result.value is None else f"{result.value:g}"
        if expect.band is not None:
            yield from _compare("band", expect.band, result.band)


def _no_gates(store: Store, project: Project) -> GateReport:
    """Tests state KPI arithmetic; quality gates have their own suites."""
    return GateReport()


def _insert(store: Store, rows: list[dict[str, Any]]) -> None:
    if rows:
        with store.transaction() as conn:
            conn.execute(mentions.insert(), rows)


def _tier_text(level: int, team: str, channel: str | None, after: timedelta | None) -> str:
    text = f"{level}:{team}"
    if channel is not None:
        text += f" via {channel}"
    if after is not None:
        text += f" after {after}"
    return text


def _compare(what: str, expected: Any, got: Any) -> Iterator[tuple[str, str, str]]:
    if expected != got:
        yield what, _shown(expected), _shown(got)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


__all__ = ["CaseResult", "PolicyTestRunner"]
