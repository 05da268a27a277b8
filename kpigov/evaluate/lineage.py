"""What an evaluation run leaves besides its results: OpenLineage run events and audit-trail entries.

One ``evaluate`` call is a parent OpenLineage run (job ``evaluate``, run id = the stored run id as a
UUID) with one child run per KPI (job ``evaluate.<kpi id>``, ``parent`` run facet). START goes out
for all of them when the run begins; after the run's transaction commits, each KPI gets COMPLETE
(FAIL when its result is ``error``) carrying its inputs with the ``dataQualityAssertions`` and
``dataQualityMetrics`` of the Great Expectations gates, and its ``kpi_results`` output with
column lineage. A run that fails midway sends FAIL everywhere; an interrupted one (Ctrl-C,
cancellation) sends ABORT. Emission never fails a run: :class:`~kpigov.lineage.LineageEmitter`
spills what it cannot deliver.

Audit entries (``evaluation_run``, ``kpi_withheld``, ``alert_routed``) are appended *inside* the
transaction that writes the run's results (:meth:`TrackedRun.write_audit`), so results and the
entries vouching for them commit together or not at all. An append that fails fails the run,
which is then recorded as failed, with its own ``evaluation_run`` entry when that can be written.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause, ColumnElement

from kpigov.evaluate.measures import CompiledFormula, CompiledMeasure, MeasureCompileError
from kpigov.evaluate.quality.results import ExpectationOutcome, GateReport, SuiteResult
from kpigov.evaluate.results import RunResult, Status
from kpigov.project import Project
from kpigov.specs import KPI
from kpigov.store import Store, schema

if TYPE_CHECKING:
    from openlineage.client.event_v2 import RunEvent
    from sqlalchemy import Connection

    from kpigov.compiler import Compiled
    from kpigov.lineage import AuditRecord, ColumnSource, LineageDataset, LineageEmitter, RunLineage, SourceLocation

#: The parent job of every KPI evaluation job (``evaluate.<kpi id>``, see kpigov.lineage.naming).
PARENT_JOB = "evaluate"
ACTOR = "kpigov evaluate"
#: Key GX results carry the expectation's rule id under (kpigov.evaluate.quality.compile.RULE_ID_META,
#: not imported: that module imports Great Expectations).
_RULE_ID_META = "kpigov_rule_id"

#: What :func:`kpigov.evaluate.measures.compile_kpi` gave each KPI of the run.
Measure = CompiledMeasure | CompiledFormula | MeasureCompileError


@dataclass(frozen=True)
class RunTrail:
    """Whether and where a run's lineage and audit entries go. ``RunTrail()`` records nothing.

    ``compiled`` supplies each KPI's fingerprint (its data hash) and spec file; without it the
    events carry the manifest fingerprint of the run.
    """

    emitter: LineageEmitter | None = None
    audit: bool = False
    source: SourceLocation | None = None
    compiled: Compiled | None = None
    actor: str = ACTOR

    @classmethod
    def for_project(cls, project: Project, compiled: Compiled | None = None, *, lineage: bool = True,
                    audit: bool = True, environ: Mapping[str, str] = os.environ) -> RunTrail:
        """The trail the repository's ``spec.lineage`` asks for (raises LineageConfigError when unusable)."""
        from kpigov.lineage import LineageEmitter, SourceLocation

        emitter = LineageEmitter.from_config(project.config.spec.lineage if project.config else None, project.root,
                                             environ) if lineage else None
        commit = compiled.manifest.get("git", {}).get("commit") if compiled is not None else None
        return cls(emitter, audit, SourceLocation(project.root.resolve().as_uri(), commit), compiled)

    @contextmanager
    def track(self, store: Store, project: Project, kpis: Sequence[KPI], compiled: Mapping[str, Measure],
              base: RunResult) -> Iterator[TrackedRun]:
        """START the run's events now; the caller ends it with :meth:`TrackedRun.finish` (ABORT/FAIL otherwise)."""
        tracked = TrackedRun(self, store, base, _Plan.build(self, store, project, kpis, compiled, base)
                             if self.emitter is not None else None)
        tracked.start()
        try:
            yield tracked
        except (KeyboardInterrupt, GeneratorExit):
            tracked.interrupted(None)
            raise
        except BaseException as error:
            tracked.interrupted(None if type(error).__name__ == "CancelledError" else error)
            raise


@dataclass(frozen=True)
class _KpiLineage:
    """One KPI's child run, and what its final event needs (input datasets by dataset ref)."""

    kpi_id: str
    lineage: RunLineage
    inputs: Mapping[str, LineageDataset]
    column_lineage: Mapping[str, Sequence[ColumnSource]]
    filters: Sequence[ColumnSource]


@dataclass(frozen=True)
class _Plan:
    """Every run of one evaluation (the parent and its children), described before anything runs."""

    parent: RunLineage
    children: tuple[_KpiLineage, ...]

    @classmethod
    def build(cls, trail: RunTrail, store: Store, project: Project, kpis: Sequence[KPI],
              compiled: Mapping[str, Measure], base: RunResult) -> _Plan:
        from openlineage.client.event_v2 import Job
        from openlineage.client.facet_v2 import job_type_job

        from kpigov.lineage import KpiMetadata, LineageDataset, ParentRun, RunLineage, run_events
        from kpigov.lineage.events import PRODUCER

        assert trail.emitter is not None
        namespace = trail.emitter.namespace
        url = store.engine.url.render_as_string(hide_password=True)
        parent_id = str(uuid.UUID(base.run_id))
        parent = RunLineage(job=Job(namespace=namespace, name=PARENT_JOB, facets={
            "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="KPIGOV", jobType="EVALUATION",
                                                    producer=PRODUCER)}), run_id=parent_id)
        tables = {ref: LineageDataset.table(url, c.relation.name)
                  for c in compiled.values() if isinstance(c, CompiledMeasure) for ref in [c.source]}
        output = LineageDataset.table(url, schema.kpi_results.name)
        children = []
        for kpi in kpis:
            ref = f"kpi/{kpi.id}"
            measures = _measures_behind(kpi.id, compiled)
            inputs = {m.source: tables[m.source] for m in measures}
            column_lineage = {"value": _sources(tables, measures, _component_columns, "DIRECT", "AGGREGATION")}
            filters = _sources(tables, measures, lambda m: _columns(m.filter), "INDIRECT", "FILTER")
            fingerprint = trail.compiled.data_hash.get(ref, base.fingerprint) if trail.compiled else base.fingerprint
            spec_file = trail.compiled.nodes[ref].file if trail.compiled and ref in trail.compiled.nodes else None
            lineage = run_events(kpi=KpiMetadata.from_spec(kpi, fingerprint=fingerprint, spec_path=spec_file),
                                 inputs=list(inputs.values()), output=output, column_lineage=column_lineage,
                                 filters=filters, source=trail.source, namespace=namespace,
                                 parent=ParentRun(namespace, PARENT_JOB, parent_id))
            children.append(_KpiLineage(kpi.id, lineage, inputs, column_lineage, filters))
        return cls(parent, tuple(children))


@dataclass
class TrackedRun:
    """An evaluation under way: its events so far, and the problems recording it met."""

    trail: RunTrail
    store: Store
    base: RunResult
    plan: _Plan | None
    problems: list[str] = field(default_factory=list)
    _ended: bool = False

    def start(self) -> None:
        if self.plan is not None:
            self._emit([self.plan.parent.start(), *(child.lineage.start() for child in self.plan.children)])

    def finish(self, run: RunResult, gates: GateReport | None = None) -> tuple[str, ...]:
        """The run is committed (or recorded as failed) with its audit entries: the final events.

        Returns the problems met (never raises): they belong in ``RunResult.delivery_problems``.
        """
        self._ended = True
        if self.plan is not None:
            self._emit(self._final_events(self.plan, run, gates or GateReport()))
        return tuple(self.problems)

    def write_audit(self, conn: Connection, run: RunResult) -> None:
        """Append the run's audit entries inside the transaction that records the run.

        The run's results and the entries that vouch for them commit together or not at all: a
        KPI value is never in the store without its audit entry. Raises what the append raises.
        """
        if self.trail.audit:
            from kpigov.lineage import AuditLog

            AuditLog(self.store).append_many(self._audit_records(run), conn=conn)

    def interrupted(self, error: BaseException | None) -> None:
        """The run ended by an exception before :meth:`finish`: ABORT (``error`` None) or FAIL everywhere."""
        if self._ended or self.plan is None:
            return
        self._ended = True
        runs = [self.plan.parent, *(child.lineage for child in self.plan.children)]
        self._emit([r.abort() if error is None else r.fail(error) for r in reversed(runs)])

    def _final_events(self, plan: _Plan, run: RunResult, gates: GateReport) -> list[RunEvent]:
        if not run.ok:
            return [*(child.lineage.fail(run.error or "run failed") for child in plan.children),
                    plan.parent.fail(run.error or "run failed")]
        from kpigov.lineage import LineageDataset

        results = {k.kpi_id: k for k in run.kpis}
        events = []
        for child in plan.children:
            result = results[child.kpi_id]
            inputs = [LineageDataset(d.namespace, d.name, d.columns, assertions=assertions(gates, ref),
                                     metrics=metrics(gates, ref)) for ref, d in child.inputs.items()]
            lineage = child.lineage.with_datasets(inputs=inputs, output=_kpi_results_output(self.store, 1),
                                                  column_lineage=child.column_lineage, filters=child.filters)
            events.append(lineage.fail(result.reason or "error") if result.status is Status.ERROR
                          else lineage.complete())
        return [*events, plan.parent.complete()]

    def _emit(self, events: Sequence[RunEvent]) -> None:
        from kpigov.lineage import EmitOutcome

        assert self.trail.emitter is not None
        outcomes = [self.trail.emitter.emit(event) for event in events]
        lost = outcomes.count(EmitOutcome.LOST)
        if lost:
            self.problems.append(f"{lost} lineage event(s) lost: neither delivered nor spilled "
                                 f"to {self.trail.emitter.spill_path}")

    def _audit_records(self, run: RunResult) -> list[AuditRecord]:
        from kpigov.lineage import AuditRecord

        actor = self.trail.actor
        records = [AuditRecord("evaluation_run", run.run_id, {
            "as_of": run.as_of.isoformat(), "status": run.status, "error": run.error,
            "manifest_fingerprint": run.fingerprint, "git_commit": run.git_commit,
            "kpis": dict(sorted(Counter(k.status.value for k in run.kpis).items())), "alerts": len(run.alerts)},
            actor)]
        records += [AuditRecord("kpi_withheld", k.kpi_id, {
            "run_id": run.run_id, "period_start": k.period.start.isoformat(), "reason": k.reason}, actor)
            for k in run.kpis if k.status is Status.WITHHELD]
        records += [AuditRecord("alert_routed", a.alert.kpi_id, {
            "run_id": run.run_id, "trigger": a.alert.trigger, "policy": a.policy, "severity": a.severity,
            "summary": a.alert.summary, "tiers": [{"level": t.level, "team": t.team, "channel": t.channel}
                                                  for t in a.tiers]}, actor) for a in run.alerts]
        return records


# -- from the gate report to OpenLineage data-quality facets ---------------------------------------


def assertions(gates: GateReport, dataset_ref: str) -> list[dict[str, Any]]:
    """One ``dataQualityAssertions`` entry per expectation checked on ``dataset_ref``, as GX judged it."""
    found = []
    for suite in _suites_on(gates, dataset_ref):
        columns = _rule_columns(suite)
        for outcome in suite.results:
            assertion: dict[str, Any] = {"assertion": outcome.type, "success": outcome.success,
                                         "name": outcome.rule_id, "severity": outcome.severity}
            if columns.get(outcome.rule_id):
                assertion["column"] = columns[outcome.rule_id]
            if outcome.observed_value is not None:
                assertion["actual"] = outcome.observed_value
            if not outcome.success:
                assertion["description"] = outcome.reason
            found.append(assertion)
    return found


def metrics(gates: GateReport, dataset_ref: str) -> dict[str, Any] | None:
    """Row count and per-column null counts, where the gates measured them (else None)."""
    outcomes = [(o, _rule_columns(s).get(o.rule_id)) for s in _suites_on(gates, dataset_ref) for o in s.results]
    counted = [o.element_count for o, _ in outcomes if o.element_count is not None]
    nulls = {column: {"nullCount": o.unexpected_count} for o, column in outcomes
             if column and o.type == "expect_column_values_to_not_be_null" and _measured(o)}
    if not counted and not nulls:
        return None
    return {"rowCount": max(counted) if counted else None, "columnMetrics": nulls}


def _measured(outcome: ExpectationOutcome) -> bool:
    return outcome.exception is None and outcome.unexpected_count is not None


def _suites_on(gates: GateReport, dataset_ref: str) -> list[SuiteResult]:
    return [suite for suite in gates.suites.values() if suite.dataset_ref == dataset_ref]


def _rule_columns(suite: SuiteResult) -> dict[str, str]:
    """Rule id -> the column its expectation checks, from GX's own result JSON."""
    found = {}
    for result in suite.gx_result.get("results", []):
        config = result.get("expectation_config", {})
        rule_id, column = config.get("meta", {}).get(_RULE_ID_META), config.get("kwargs", {}).get("column")
        if isinstance(rule_id, str) and isinstance(column, str):
            found[rule_id] = column
    return found


# -- column lineage from compiled measures ---------------------------------------------------------


def _measures_behind(kpi_id: str, compiled: Mapping[str, Measure]) -> list[CompiledMeasure]:
    """The measures a KPI's value comes from: itself, or (derived KPIs) its inputs, transitively."""
    found: dict[str, CompiledMeasure] = {}
    pending = [kpi_id]
    while pending:
        current = compiled.get(pending.pop())
        if isinstance(current, CompiledMeasure):
            found.setdefault(current.kpi_id, current)
        elif isinstance(current, CompiledFormula):
            pending.extend(i for i in current.inputs if i not in found)
    return list(found.values())


def _columns(element: ColumnElement[Any] | None) -> set[str]:
    if element is None:
        return set()
    return {c.name for c in visitors.iterate(element) if isinstance(c, ColumnClause) and c.table is not None}


def _component_columns(measure: CompiledMeasure) -> set[str]:
    return {name for c in measure.components for part in (c.condition, c.weight) for name in _columns(part)}


def _sources(tables: Mapping[str, LineageDataset], measures: Sequence[CompiledMeasure], columns_of: Any,
             kind: str, subtype: str) -> list[ColumnSource]:
    from kpigov.lineage import ColumnSource

    return [ColumnSource(tables[m.source], column, kind, subtype)  # type: ignore[arg-type]
            for m in measures for column in sorted(columns_of(m))]


def _kpi_results_output(store: Store, rows: int) -> LineageDataset:
    from kpigov.lineage import LineageDataset

    return LineageDataset.table(store.engine.url.render_as_string(hide_password=True), schema.kpi_results.name,
                                row_count=rows)


__all__ = ["RunTrail", "TrackedRun", "assertions", "metrics"]
