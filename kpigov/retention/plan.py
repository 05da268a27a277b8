"""Retention rules turned into store actions: which rows of which table, which columns, what change.

A plan is pure: it reads the repository (RetentionRules, Datasets) and a reference time and names
every action, each with the SQL predicate selecting the rows it still has to change. Rows are
*pending* only while the change is not done yet, so enforcing twice changes nothing the second time.

Order matters and is fixed: deletions run first (a row about to be deleted is never anonymised),
then anonymisation, then aggregation; a later action on a table excludes the rows an earlier,
non-held deletion removes, so the dry-run counts add up to exactly what applying changes.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, and_, case, false, func, literal, not_, or_
from sqlalchemy import Table as SqlTable

from kpigov.project import Project
from kpigov.runtime.retention import RetentionIndex
from kpigov.specs.base import duration_parts
from kpigov.specs.data import Dataset
from kpigov.specs.policy import RetentionRule
from kpigov.store import schema
from kpigov.store.functions import sha256_hex

Action = Literal["delete", "anonymize", "aggregate"]
#: Anonymised strings keep a truncated hash (distinct counts survive) behind this marker.
ANON_PREFIX = "anon:"
_ORDER = {"delete": 0, "anonymize": 1, "aggregate": 2}
#: The column a row's age is measured from, by dataset role; other roles hold no per-post data.
AGE_COLUMN = {"mentions": "created_at"}


class RetentionPlanError(Exception):
    """The repository asks for something the store cannot do (e.g. a rule on an unknown column)."""


@dataclass(frozen=True)
class PlannedAction:
    """One rule applied to one store table."""

    rule: str
    table: str
    datasets: tuple[str, ...]
    action: Action
    trigger: Literal["age", "deleted_at_source"]
    period: str
    cutoff: datetime | None
    columns: tuple[str, ...]
    legal_hold: bool
    hold_reason: str | None
    pending: ColumnElement[bool]

    def changes(self, table: SqlTable) -> dict[str, ColumnElement[Any]]:
        """The column assignments of an anonymize/aggregate action (empty for delete)."""
        if self.action == "delete":
            return {}
        return {name: _treated(table.c[name], self.action) for name in self.columns}


def plan(project: Project, as_of: datetime) -> list[PlannedAction]:
    """Every retention action the repository calls for at ``as_of`` (naive UTC), in enforcement order."""
    datasets = [d for d in project.of_kind(Dataset) if d.spec.role in AGE_COLUMN]
    rules = list(project.of_kind(RetentionRule))
    index = RetentionIndex(((r, project.locate(r.ref, ["metadata", "id"])) for r in rules), datasets)
    actions: list[PlannedAction] = []
    for rule in rules:
        for table_name, scoped in _tables(rule, datasets).items():
            actions.append(_action(rule, table_name, scoped, index, as_of))
    actions.sort(key=lambda a: (a.table, _ORDER[a.action], a.rule))
    return _excluding_earlier_deletions(actions)


def _tables(rule: RetentionRule, datasets: Sequence[Dataset]) -> dict[str, list[Dataset]]:
    """Datasets the rule covers that have a column of its data class, grouped by store table."""
    by_table: dict[str, list[Dataset]] = {}
    for dataset in datasets:
        in_scope = not rule.spec.datasets or dataset.ref in rule.spec.datasets
        if in_scope and any(c.data_class == rule.spec.data_class for c in dataset.spec.columns):
            by_table.setdefault(dataset.spec.table, []).append(dataset)
    return by_table


def _action(rule: RetentionRule, table_name: str, scoped: list[Dataset], index: RetentionIndex,
            as_of: datetime) -> PlannedAction:
    table = schema.metadata.tables.get(table_name)
    if table is None:
        raise RetentionPlanError(f"{rule.ref}: dataset table '{table_name}' is not a store table")
    s = rule.spec
    columns = sorted({c.name for d in scoped for c in d.spec.columns if c.data_class == s.data_class})
    missing = [name for name in columns if name not in table.c]
    if missing:
        raise RetentionPlanError(f"{rule.ref}: table '{table_name}' has no column(s) {', '.join(missing)}")
    held_by = _holds(rule, scoped, columns, index)
    if s.when == "deleted_at_source":
        cutoff, due = None, table.c.deleted_at_source.is_not(None)
    else:
        cutoff = subtract(as_of, s.period)
        due = table.c[AGE_COLUMN[scoped[0].spec.role]] < cutoff
    pending = due if s.action == "delete" else and_(due, or_(*(_untreated(table.c[n], s.action) for n in columns)))
    return PlannedAction(
        rule=rule.ref, table=table_name, datasets=tuple(sorted(d.ref for d in scoped)), action=s.action,
        trigger=s.when, period=s.period, cutoff=cutoff, columns=() if s.action == "delete" else tuple(columns),
        legal_hold=bool(held_by), hold_reason=f"legal hold on {', '.join(held_by)}" if held_by else None,
        pending=pending)


def _holds(rule: RetentionRule, scoped: list[Dataset], columns: Iterable[str], index: RetentionIndex) -> list[str]:
    """Rules whose legal hold suspends this action: its own, and for a deletion any rule on the rows' columns."""
    if rule.spec.legal_hold:
        return [rule.ref]
    if rule.spec.action != "delete":
        return []
    subjects = {f"{d.ref}:{c.name}" for d in scoped for c in d.spec.columns}
    return sorted({t.rule for subject in subjects for t in index.lookup(subject).terms if t.legal_hold})


def _excluding_earlier_deletions(actions: list[PlannedAction]) -> list[PlannedAction]:
    deleted: dict[str, list[ColumnElement[bool]]] = {}
    result = []
    for action in actions:
        earlier = deleted.get(action.table, [])
        pending = and_(action.pending, not_(or_(false(), *earlier))) if earlier else action.pending
        result.append(PlannedAction(**{**action.__dict__, "pending": pending}))
        if action.action == "delete" and not action.legal_hold:
            deleted.setdefault(action.table, []).append(action.pending)
    return result


def _untreated(column: Any, action: Action) -> ColumnElement[bool]:
    if action == "anonymize" and isinstance(column.type, String):
        return and_(column.is_not(None), not_(column.startswith(ANON_PREFIX)))
    return column.is_not(None)


def _treated(column: Any, action: Action) -> ColumnElement[Any]:
    """Anonymise: strings become a marked, truncated SHA-256 (linkable, not readable); the rest is dropped."""
    if action == "anonymize" and isinstance(column.type, String):
        hashed = literal(ANON_PREFIX) + func.substr(sha256_hex(column), 1, 32)
        return case((column.startswith(ANON_PREFIX), column), else_=hashed)
    return literal(None, column.type)


def subtract(moment: datetime, period: str) -> datetime:
    """``moment`` minus an ISO 8601 duration in calendar terms (P13M is thirteen calendar months)."""
    years, months, weeks, days, hours, minutes, seconds = duration_parts(period)
    total = moment.year * 12 + moment.month - 1 - (years * 12 + months)
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    shifted = moment.replace(year=year, month=month + 1, day=day)
    return shifted - timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


__all__ = ["ANON_PREFIX", "Action", "PlannedAction", "RetentionPlanError", "plan", "subtract"]
