"""Runs, KPI results, alerts and overrides in the store (tables added by schema version 3).

A successful run is written in one transaction (run row, every KPI row, every alert), so readers
never see half a run. A run that failed midway gets only its run row, ``status = 'error'``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection

from kpigov import __version__
from kpigov.evaluate.results import RunResult
from kpigov.store import Store
from kpigov.store import schema

Decision = Literal["release", "recalibrate"]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _run_row(run: RunResult) -> dict[str, Any]:
    return {
        "run_id": run.run_id, "as_of": run.as_of, "status": run.status, "started_at": run.started_at,
        "finished_at": run.finished_at, "manifest_fingerprint": run.fingerprint, "git_commit": run.git_commit,
        "kpigov_version": __version__, "kpis": _json([k.kpi_id for k in run.kpis]),
        "quality": _json(run.quality) if run.quality else None, "error": run.error,
    }


def write_run(conn: Connection, run: RunResult) -> None:
    """Insert the run and everything it produced, inside the caller's transaction."""
    conn.execute(sa.insert(schema.runs), [_run_row(run)])
    if run.kpis:
        conn.execute(sa.insert(schema.kpi_results), [{
            "run_id": run.run_id, "kpi_id": k.kpi_id, "period_start": k.period.start, "period_end": k.period.end,
            "status": k.status.value, "value": k.value, "band": k.band,
            "baseline": k.baseline.value if k.baseline else None, "change": k.change, "reason": k.reason,
            "detail": _json({key: v for key, v in k.to_json().items() if key in ("baseline", "components", "spikes", "notes")}),
            "sql": k.sql,
        } for k in run.kpis])
    if run.alerts:
        conn.execute(sa.insert(schema.alerts), [{
            "alert_id": uuid.uuid4().hex, "run_id": run.run_id, "kpi_id": a.alert.kpi_id, "trigger": a.alert.trigger,
            "policy": a.policy, "severity": a.severity, "raised_at": a.raised_at, "payload": _json(a.to_json()),
            "delivery": "pending",
        } for a in run.alerts])


def record_failed_run(store: Store, run: RunResult,
                      audit: Callable[[Connection, RunResult], None] | None = None) -> tuple[str, ...]:
    """Record a failed run's row, and with ``audit`` its audit entries, in one transaction.

    When the entries cannot be written the row is recorded alone; when even that is impossible (the
    database that failed the run is gone) nothing is. Returns what could not be recorded (never raises).
    """
    attempts = [audit, None] if audit is not None else [None]
    problems: list[str] = []
    for also in attempts:
        try:
            with store.transaction() as conn:
                conn.execute(sa.insert(schema.runs), [_run_row(run)])
                if also is not None:
                    also(conn, run)
            return tuple(problems)
        except Exception as exc:  # the database that failed the run may refuse this too; the caller reports it
            first_line = (str(exc).strip().splitlines() or [""])[0]
            what = "audit trail" if also is not None else "store"
            problems.append(f"failed run {run.run_id} not recorded in the {what}: {type(exc).__name__}: {first_line}")
    return tuple(problems)


@dataclass(frozen=True, slots=True)
class Override:
    """A recorded manual decision on a KPI value held during a crisis."""

    kpi_id: str
    period_start: date
    decision: Decision
    decided_by: str
    reason: str
    decided_at: datetime


def record_override(store: Store, kpi_id: str, period_start: date, decision: Decision, decided_by: str,
                    reason: str) -> Override:
    """Record who decided what about a held KPI period, and why (both are required).

    The ``manual_override`` audit entry is appended in the same transaction: an override is never
    in force without its entry.
    """
    if decision not in ("release", "recalibrate"):
        raise ValueError(f"decision must be 'release' or 'recalibrate', not {decision!r}")
    if not decided_by.strip() or not reason.strip():
        raise ValueError("an override needs who decided (decided_by) and why (reason)")
    override = Override(kpi_id, period_start, decision, decided_by.strip(), reason.strip(),
                        datetime.now(UTC).replace(tzinfo=None))
    from kpigov.lineage import AuditKind, AuditLog, AuditRecord

    entry = AuditRecord(AuditKind.MANUAL_OVERRIDE, kpi_id, {
        "period_start": period_start.isoformat(), "decision": decision, "reason": override.reason,
        "decided_at": override.decided_at.isoformat()}, override.decided_by[:128])
    with store.transaction() as conn:
        conn.execute(sa.insert(schema.overrides), [{"override_id": uuid.uuid4().hex, **asdict(override)}])
        AuditLog(store).append_many([entry], conn=conn)
    return override


def latest_overrides(conn: Connection, keys: Iterable[tuple[str, date]]) -> dict[tuple[str, date], Override]:
    """The most recent override per (KPI id, period start) among ``keys``."""
    wanted = set(keys)
    if not wanted:
        return {}
    t = schema.overrides
    rows = conn.execute(sa.select(t.c.kpi_id, t.c.period_start, t.c.decision, t.c.decided_by, t.c.reason, t.c.decided_at)
                        .where(t.c.kpi_id.in_(sorted({k for k, _ in wanted})))
                        .order_by(t.c.decided_at))
    found: dict[tuple[str, date], Override] = {}
    for row in rows:
        key = (row.kpi_id, row.period_start)
        if key in wanted:
            found[key] = Override(row.kpi_id, row.period_start, row.decision, row.decided_by, row.reason, row.decided_at)
    return found
