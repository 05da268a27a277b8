"""One evaluation run: gates → compiled measures → pushed-down scans → results → one transaction.

:func:`evaluate` takes the KPI order and the manifest fingerprint as inputs (the compiler owns
both), so the same function serves the CLI, tests and the runtime service. Requests that cannot be
evaluated raise an :class:`~kpigov.evaluate.errors.EvaluationError` before anything is written; a
run that fails midway (database gone, disk full) returns, and records, a run with status
``error`` and no KPI rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.sql.expression import Select, TableClause

from kpigov.evaluate import aggregate, clusters, outbox, records
from kpigov.evaluate.aggregate import Grid, Totals
from kpigov.evaluate.alerts import Alert, route_all
from kpigov.evaluate.baseline import band_of, compute_baseline
from kpigov.evaluate.errors import EmptyStoreError
from kpigov.evaluate.lineage import RunTrail
from kpigov.evaluate.measures import (
    CompiledFormula,
    CompiledMeasure,
    Computed,
    MeasureCompileError,
    Missing,
    compile_kpi,
)
from kpigov.evaluate.periods import Period, evaluation_period, reference_periods
from kpigov.evaluate.quality.results import GateReport
from kpigov.evaluate.results import KPIResult, RunResult, Status
from kpigov.evaluate.spikes import SpikeResult, detect, grid_for, spike_components
from kpigov.lifecycle.retirement import retirement_of
from kpigov.project import Project
from kpigov.specs import KPI, EscalationPolicy, EventCalendar
from kpigov.specs.data import Event
from kpigov.specs.kpi import NetSentimentMeasure, SpikeDetector
from kpigov.store import Store, StoreUnreachableError


GateRunner = Callable[[Store, Project], GateReport]


def _default_gates(store: Store, project: Project) -> GateReport:
    from kpigov.evaluate.quality import run_gates  # GX costs seconds to import: only when gates run

    return run_gates(store, project)


@dataclass(frozen=True)
class Delivery:
    """Where alerts go besides the store's outbox table."""

    jsonl: Path | None = None
    webhook: str | None = None


@dataclass
class _Context:
    """Everything a run computed before turning it into results."""

    as_of: date
    project: Project
    compiled: dict[str, CompiledMeasure | CompiledFormula | MeasureCompileError]
    daily: Totals
    spike_totals: dict[tuple[str, str, str], dict[Any, dict[str, float]]]
    spike_grids: dict[tuple[str, str, str], Grid]
    gates: GateReport
    sql: dict[str, str]
    overrides: dict[tuple[str, date], records.Override]
    crises: list[Event]
    results: dict[str, KPIResult] = field(default_factory=dict)


def evaluate(
    store: Store,
    project: Project,
    kpi_order: Sequence[str],
    fingerprint: str,
    as_of: date,
    *,
    gates: GateRunner = _default_gates,
    git_commit: str | None = None,
    delivery: Delivery = Delivery(),
    progress: Callable[[str], None] | None = None,
    trail: RunTrail = RunTrail(),
) -> RunResult:
    """Evaluate the KPIs ``kpi_order`` (refs or ids, inputs before derived KPIs) as of ``as_of``.

    ``trail`` says whether OpenLineage events and audit entries are recorded (``RunTrail()``: neither;
    the CLI passes :meth:`RunTrail.for_project`); recording them never fails the run.
    """
    kpis = [_kpi(project, ref) for ref in kpi_order]
    started = _utcnow()
    run_id = uuid.uuid4().hex
    relations: dict[str, TableClause] = {}
    compiled = {kpi.id: _compile(kpi, project, relations) for kpi in kpis}
    measures = [c for c in compiled.values() if isinstance(c, CompiledMeasure)]
    _require_data(store, measures)
    base = RunResult(run_id, as_of, "ok", started, started, fingerprint, git_commit)
    with trail.track(store, project, kpis, compiled, base) as tracked:  # lineage START; ABORT if interrupted
        try:
            report = gates(store, project)
            with store.transaction() as conn:
                context = _gather(conn, project, kpis, compiled, report, as_of)
                for kpi in kpis:
                    context.results[kpi.id] = _result(context, kpi)
                    if progress is not None:
                        progress(kpi.id)
                alerts = route_all(_alerts(context, kpis, conn), _policies(project, kpis), started)
                run = replace(base, kpis=tuple(context.results[k.id] for k in kpis), alerts=tuple(alerts),
                              quality=_quality_json(report), finished_at=_utcnow())
                records.write_run(conn, run)
                tracked.write_audit(conn, run)  # the audit entries commit with the results, or neither does
        except Exception as exc:  # a failure midway: the transaction rolled back, the run is recorded as failed
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""  # not the whole failed statement
            failed = replace(base, status="error", error=f"{type(exc).__name__}: {first_line}", finished_at=_utcnow())
            problems = records.record_failed_run(store, failed, tracked.write_audit)
            return replace(failed, delivery_problems=(*problems, *tracked.finish(failed)))  # lineage FAIL
        recorded = tracked.finish(run, report)  # lineage COMPLETE
    return replace(run, delivery_problems=(*_deliver(run, delivery), *recorded))


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _kpi(project: Project, ref: str) -> KPI:
    spec = project.get(ref if ref.startswith("kpi/") else f"kpi/{ref}")
    if not isinstance(spec, KPI):
        raise ValueError(f"{ref!r} is not a KPI of the project")  # callers resolve ids first; this is a bug
    return spec


def _compile(kpi: KPI, project: Project, relations: dict[str, TableClause]) -> CompiledMeasure | CompiledFormula | MeasureCompileError:
    try:
        return compile_kpi(kpi, project, relations)
    except MeasureCompileError as exc:
        return exc


def _require_data(store: Store, measures: Sequence[CompiledMeasure]) -> None:
    """Refuse an empty store before anything is written (a missing table is a per-KPI error instead)."""
    try:
        with store.engine.connect() as conn:
            present = set(sa.inspect(conn).get_table_names())
            relations = {m.relation.name: m.relation for m in measures if m.relation.name in present}
            empty = not any(conn.execute(sa.select(sa.literal(1)).select_from(r).limit(1)).first()
                            for r in relations.values())
    except sa.exc.DBAPIError as exc:
        raise StoreUnreachableError(f"cannot read store {store.display_url}: {str(exc.orig).strip().splitlines()[0]}") from exc
    if measures and empty:
        names = ", ".join(sorted({m.relation.name for m in measures}))
        raise EmptyStoreError(f"the store holds no mentions (table(s) {names} are empty or missing); ingest data first")


def _periods(kpi: KPI, as_of: date) -> list[Period]:
    period = evaluation_period(kpi.spec.frequency, as_of)
    baseline = kpi.spec.baseline
    return [*(reference_periods(kpi.spec.frequency, period, baseline.window) if baseline else []), period]


def _gather(conn: Connection, project: Project, kpis: Sequence[KPI],
            compiled: Mapping[str, CompiledMeasure | CompiledFormula | MeasureCompileError],
            report: GateReport, as_of: date) -> _Context:
    present = set(sa.inspect(conn).get_table_names())
    measures = [c for c in compiled.values() if isinstance(c, CompiledMeasure) and c.relation.name in present]
    spans = [p for kpi in kpis for p in _periods(kpi, as_of)]
    daily_grid = Grid(min(p.lower for p in spans), max(p.upper for p in spans)) if spans else None
    daily = aggregate.run_fused(conn, measures, daily_grid) if daily_grid and measures else {}
    instant = datetime.combine(as_of + timedelta(days=1), time())
    spike_totals: dict[tuple[str, str, str], dict[Any, dict[str, float]]] = {}
    spike_grids: dict[tuple[str, str, str], Grid] = {}
    for (recent, window), detecting in _spike_groups(kpis, measures).items():
        grid = grid_for(detecting[0][1], instant)
        found = aggregate.run_fused(conn, [m for m, _ in detecting], grid,
                                    extra={m.kpi_id: spike_components(m) for m, _ in detecting})
        for measure, _ in detecting:
            spike_totals[(measure.kpi_id, recent, window)] = found.get(measure.kpi_id, {})
            spike_grids[(measure.kpi_id, recent, window)] = grid
    sql = {m.kpi_id: _render(aggregate.kpi_statement(m, daily_grid), conn) for m in measures if daily_grid}
    keys = [(kpi.id, evaluation_period(kpi.spec.frequency, as_of).start) for kpi in kpis]
    crises = [e for cal in project.of_kind(EventCalendar) for e in cal.spec.events
              if e.type == "crisis" and e.start <= as_of <= e.end]
    return _Context(as_of, project, dict(compiled), daily, spike_totals, spike_grids, report, sql,
                    records.latest_overrides(conn, keys), crises)


def _spike_groups(kpis: Sequence[KPI], measures: Sequence[CompiledMeasure]) -> dict[tuple[str, str], list[tuple[CompiledMeasure, SpikeDetector]]]:
    """Detectors sharing a (recent, window) grid share one scan."""
    by_id = {m.kpi_id: m for m in measures}
    groups: dict[tuple[str, str], list[tuple[CompiledMeasure, SpikeDetector]]] = {}
    for kpi in kpis:
        measure = by_id.get(kpi.id)
        for detector in kpi.spec.spikes if measure else ():
            members = groups.setdefault((detector.recent, detector.window), [])
            if all(m.kpi_id != kpi.id for m, _ in members):
                members.append((measure, detector))  # type: ignore[arg-type]
    return groups


def _render(statement: Select[Any], conn: Connection) -> str:
    """The statement as the database received it, with values inlined for reading (never executed)."""
    return str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def _days(period: Period) -> list[date]:
    return [period.start + timedelta(days=i) for i in range(period.days)]


def _value(context: _Context, kpi_id: str, period: Period) -> Computed:
    """The KPI's value over any period, from daily totals (derived KPIs: from their inputs)."""
    compiled = context.compiled[kpi_id]
    if isinstance(compiled, MeasureCompileError):
        return Missing(str(compiled))
    if isinstance(compiled, CompiledFormula):
        env: dict[str, float] = {}
        for name in compiled.inputs:
            if name not in context.compiled:
                return Missing(f"input {name} is not evaluated in this run")
            value = _value(context, name, period)
            if isinstance(value, Missing):
                return Missing(f"input {name}: {value.reason}")
            env[name] = value
        result = compiled.evaluate(env)
        return Missing("zero denominator in formula") if result is None else float(result)
    totals = aggregate.add_up(context.daily.get(kpi_id, {}), _days(period))
    if not totals.get(aggregate.SOURCE_ROWS):
        return Missing(f"no mentions in {compiled.source} for {period}")
    return compiled.value(totals)


def _result(context: _Context, kpi: KPI) -> KPIResult:
    s = kpi.spec
    period = evaluation_period(s.frequency, context.as_of)
    retired = retirement_of(context.project, kpi.id, context.as_of)
    if retired is not None:  # not evaluated; its history and compiled logic stay queryable
        return KPIResult(kpi.id, period, Status.RETIRED, reason=f"retired by {retired.ref}: {retired.spec.reason}")
    compiled = context.compiled[kpi.id]
    if isinstance(compiled, MeasureCompileError):
        return KPIResult(kpi.id, period, Status.ERROR, reason=str(compiled))
    notes: list[str] = [f"deprecated: use {s.replacement}" if s.replacement else "deprecated"] if s.status == "deprecated" else []
    sql = context.sql.get(kpi.id) if isinstance(compiled, CompiledMeasure) else f"formula: {compiled.text}"
    if isinstance(compiled, CompiledMeasure):
        if kpi.id not in context.daily:
            return KPIResult(kpi.id, period, Status.ERROR, reason=f"table {compiled.relation.name} is not in the store")
        blocking = context.gates.blocking(compiled.source)
        notes += [f"quality warning: {o.reason}" for o in context.gates.warnings(compiled.source)]
        if blocking:
            return KPIResult(kpi.id, period, Status.WITHHELD, sql=sql, notes=tuple(notes),
                             reason="quality gate failed: " + "; ".join(o.reason for o in blocking))
    else:
        upstream = [context.results[i] for i in compiled.inputs if i in context.results]
        for status in (Status.ERROR, Status.WITHHELD, Status.NOT_COMPARABLE):
            hit = [r.kpi_id for r in upstream if r.status is status]
            if hit:
                return KPIResult(kpi.id, period, status, sql=sql, reason=f"input {', '.join(hit)} is {status.value}")
    components = aggregate.add_up(context.daily.get(kpi.id, {}), _days(period)) if isinstance(compiled, CompiledMeasure) else {}
    value = _value(context, kpi.id, period)
    if isinstance(value, Missing):
        return KPIResult(kpi.id, period, Status.NO_DATA, reason=value.reason, components=components, sql=sql, notes=tuple(notes))
    if isinstance(compiled, CompiledMeasure) and compiled.comparability is not None:
        why = compiled.comparability(components, period)
        if why:
            return KPIResult(kpi.id, period, Status.NOT_COMPARABLE, reason=why, components=components, sql=sql, notes=tuple(notes))
    spikes, recalibrate_to, held = _spikes(context, kpi, period)
    baseline = None
    if s.baseline is not None:
        events = _calendar_events(context.project, s.baseline.exclude_events)
        baseline = compute_baseline(s.baseline, s.frequency, period, lambda p: _value(context, kpi.id, p), events, recalibrate_to)
    band = band_of(value, s.bands) if s.bands else None
    if s.bands and band is None:
        notes.append(f"value {value:g} is in none of the declared bands")
    status, reason = (Status.WITHHELD, held) if held else (Status.OK, None)
    return KPIResult(kpi.id, period, status, value, reason, band, baseline, components, sql, tuple(spikes), tuple(notes))


def _calendar_events(project: Project, ref: str | None) -> list[Event]:
    calendar = project.get(ref) if ref else None
    return list(calendar.spec.events) if isinstance(calendar, EventCalendar) else []


def _spikes(context: _Context, kpi: KPI, period: Period) -> tuple[list[SpikeResult], Event | None, str | None]:
    """Run the KPI's detectors; returns results, the crisis to recalibrate to, and why the value is held."""
    variant = kpi.spec.measure.variant if isinstance(kpi.spec.measure, NetSentimentMeasure) else "talkwalker"
    found: list[SpikeResult] = []
    recalibrate_to: Event | None = None
    held: str | None = None
    override = context.overrides.get((kpi.id, period.start))
    for detector in kpi.spec.spikes:
        key = (kpi.id, detector.recent, detector.window)
        if key not in context.spike_grids:
            continue
        result = detect(detector, context.spike_totals[key], context.spike_grids[key], variant)
        crisis = context.crises[0] if context.crises else None
        if not result.fired:
            action = None
        elif crisis is None:
            action = "alert"
        elif detector.crisis_mode == "recalibrate" or (override is not None and override.decision == "recalibrate"):
            action, recalibrate_to = "recalibrated", crisis
        elif override is not None:
            action = "released"
        else:
            action = "held"
            held = (f"spike {detector.id} during crisis {crisis.id}: held for a manual override "
                    f"(kpigov override {kpi.id} --period-start {period.start} ...)")
        found.append(replace(result, crisis=crisis.id if crisis and result.fired else None, action=action))
    return found, recalibrate_to, held


def _policies(project: Project, kpis: Sequence[KPI]) -> dict[str, EscalationPolicy]:
    policies = {}
    for kpi in kpis:
        policy = project.get(kpi.spec.escalation) if kpi.spec.escalation else None
        if isinstance(policy, EscalationPolicy):
            policies[kpi.id] = policy
    return policies


def _alerts(context: _Context, kpis: Sequence[KPI], conn: Connection) -> list[Alert]:
    """Band breaches, spikes, withheld values and negative clusters of KPIs with an escalation policy."""
    policies = _policies(context.project, kpis)
    raised: list[Alert] = []
    for kpi in kpis:
        policy = policies.get(kpi.id)
        result = context.results[kpi.id]
        if policy is None:
            continue
        if result.band in ("amber", "red"):
            raised.append(Alert(kpi.id, "band_breach", f"{kpi.id} is {result.band} at {result.value:.4g}", band=result.band))
        for spike in result.spikes:
            if spike.action in ("alert", "held"):
                raised.append(Alert(kpi.id, "spike", f"{spike.on} spike ({spike.detector}): {spike.reason}",
                                    detector=spike.detector, detail={"action": spike.action, "crisis": spike.crisis}))
        if result.status is Status.WITHHELD:
            trigger = "quality_failure" if (result.reason or "").startswith("quality gate") else "withheld"
            raised.append(Alert(kpi.id, trigger, f"{kpi.id} withheld: {result.reason}"))
        compiled = context.compiled[kpi.id]
        if isinstance(compiled, CompiledMeasure) and kpi.id in context.daily:
            instant = datetime.combine(context.as_of + timedelta(days=1), time())
            for trigger in policy.spec.triggers:
                if trigger.type == "negative_cluster":
                    raised.extend(clusters.find_clusters(conn, compiled, trigger, instant))
    return raised


def _quality_json(report: GateReport) -> dict[str, Any]:
    """Each suite's outcomes and Great Expectations' own result JSON, kept with the run."""
    return {ref: asdict(suite) for ref, suite in report.suites.items()}


def _deliver(run: RunResult, delivery: Delivery) -> list[str]:
    """Deliver after the commit; problems are reported, the alerts stay pending in the outbox table."""
    problems = []
    if delivery.jsonl is not None and run.alerts:
        try:
            outbox.append_jsonl(delivery.jsonl, run.run_id, run.alerts)
        except OSError as exc:
            problems.append(f"cannot append alerts to {delivery.jsonl}: {exc}")
    if delivery.webhook and run.alerts:
        problem = outbox.post_webhook(delivery.webhook, run.run_id, run.alerts)
        if problem:
            problems.append(problem)
    return problems


__all__ = ["Delivery", "GateRunner", "evaluate"]
