"""Enforcing a retention plan on the store: dry-run by default, one transaction when applied.

A dry run only counts the pending rows of every action. Applying runs the same predicates in one
transaction with one audit entry per action (held actions included, so a suspended deletion is on
record too); any failure rolls back the data changes and the audit entries together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from kpigov.lineage import AuditKind, AuditLog, AuditRecord
from kpigov.project import Project
from kpigov.retention.plan import PlannedAction, plan
from kpigov.store import Store, schema

ACTOR = "kpigov enforce-retention"


@dataclass(frozen=True)
class ActionOutcome:
    """What one action would change (dry run) or changed (applied); held actions change nothing."""

    rule: str
    table: str
    action: str
    trigger: str
    period: str
    cutoff: datetime | None
    columns: tuple[str, ...]
    rows: int
    legal_hold: bool
    hold_reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "table": self.table, "action": self.action, "trigger": self.trigger,
                "period": self.period, "cutoff": self.cutoff.isoformat() if self.cutoff else None,
                "columns": list(self.columns), "rows": self.rows, "legal_hold": self.legal_hold,
                "hold_reason": self.hold_reason}


@dataclass(frozen=True)
class RetentionReport:
    as_of: datetime
    applied: bool
    outcomes: tuple[ActionOutcome, ...]
    audit_seqs: tuple[int, ...] = ()

    @property
    def rows_changed(self) -> int:
        return sum(o.rows for o in self.outcomes if not o.legal_hold)

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "applied": self.applied, "rows_changed": self.rows_changed,
                "actions": [o.to_json() for o in self.outcomes], "audit_seqs": list(self.audit_seqs)}


def enforce_retention(project: Project, store: Store, as_of: datetime, *, apply: bool = False) -> RetentionReport:
    """Report (and with ``apply`` perform) every retention action due at ``as_of`` (naive UTC)."""
    actions = plan(project, as_of)
    with store.transaction() as conn:
        if not apply:
            return RetentionReport(as_of, False, tuple(_outcome(a, _count(conn, a)) for a in actions))
        outcomes = tuple(_outcome(a, _count(conn, a) if a.legal_hold else _perform(conn, a)) for a in actions)
        entries = AuditLog(store).append_many(
            [AuditRecord(AuditKind.RETENTION_ENFORCED, o.rule, {**o.to_json(), "as_of": as_of.isoformat()}, ACTOR)
             for o in outcomes], conn=conn)
    return RetentionReport(as_of, True, outcomes, tuple(e.seq for e in entries))


def _count(conn: Connection, action: PlannedAction) -> int:
    table = schema.metadata.tables[action.table]
    return int(conn.execute(select(func.count()).select_from(table).where(action.pending)).scalar_one())


def _perform(conn: Connection, action: PlannedAction) -> int:
    table = schema.metadata.tables[action.table]
    if action.action == "delete":
        statement = delete(table).where(action.pending)
    else:
        statement = update(table).where(action.pending).values(action.changes(table))
    return int(conn.execute(statement).rowcount)


def _outcome(action: PlannedAction, rows: int) -> ActionOutcome:
    return ActionOutcome(action.rule, action.table, action.action, action.trigger, action.period, action.cutoff,
                         action.columns, rows, action.legal_hold, action.hold_reason)


__all__ = ["ACTOR", "ActionOutcome", "RetentionReport", "enforce_retention"]
