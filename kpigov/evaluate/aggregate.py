"""Pushdown: the database aggregates, Python only adds up a few hundred totals.

All KPIs reading one relation share one scan: a single ``SELECT bucket, count(*) FILTER (WHERE …),
sum(…) FILTER (WHERE …), … GROUP BY bucket`` whose columns are every component of every KPI. A
bucket is a calendar day for KPI values and baselines (:func:`daily_totals`) or a fixed-length
slice before the as-of instant for spike detection (:func:`bucket_totals`).

Each KPI also keeps its *own* statement (:func:`kpi_statement`), recorded with its result: the
fused scan is exactly the concatenation of those statements' columns (same ``WHERE``, same
``GROUP BY``), so re-running the recorded SQL reproduces the KPI's totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement, Select

from kpigov.evaluate.measures import Component, CompiledMeasure

#: Totals per KPI id, then per bucket, then per component name.
Totals = dict[str, dict[Hashable, dict[str, float]]]
#: Count of all (non-duplicate) rows of the relation per bucket: tells "no data" from "zero".
SOURCE_ROWS = "rows"


class day_of(FunctionElement[Any]):  # noqa: N801  (SQL function style, like sa.func.*)
    """The calendar day of a timestamp, dialect-aware: SQLite keeps timestamps as text."""

    type = sa.Date()
    inherit_cache = True


@compiles(day_of)
def _day_of_default(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@dataclass(frozen=True)
class Grid:
    """How rows are bucketed and the time range scanned: [lower, upper)."""

    lower: datetime
    upper: datetime
    #: None: one bucket per day; otherwise bucket i covers [edges[i+1], edges[i]) (edges descending).
    edges: tuple[datetime, ...] | None = None

    def bucket(self, created_at: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.edges is None:
            return day_of(created_at)
        whens = [(created_at >= sa.literal(edge, sa.DateTime), index) for index, edge in enumerate(self.edges[1:])]
        return sa.case(*whens, else_=None)


def _statement(measures: Sequence[CompiledMeasure], grid: Grid) -> tuple[Select[Any], list[tuple[str, str]]]:
    relation = measures[0].relation
    created_at = relation.c.created_at
    bucket = grid.bucket(created_at).label("bucket")
    columns: list[ColumnElement[Any]] = [bucket, sa.func.count().label(SOURCE_ROWS)]
    keys: list[tuple[str, str]] = []
    for measure in measures:
        for component in measure.components:
            columns.append(component.aggregate(measure.filter).label(f"c{len(keys)}"))
            keys.append((measure.kpi_id, component.name))
    statement = (sa.select(*columns)
                 .where(created_at >= sa.literal(grid.lower, sa.DateTime), created_at < sa.literal(grid.upper, sa.DateTime),
                        relation.c.duplicate_of.is_(None))
                 .group_by(bucket))
    return statement, keys


def kpi_statement(measure: CompiledMeasure, grid: Grid) -> Select[Any]:
    """The statement computing one KPI's totals alone (what its result records as its SQL)."""
    return _statement([measure], grid)[0]


def run_fused(conn: Connection, measures: Iterable[CompiledMeasure], grid: Grid,
              extra: Mapping[str, Sequence[Component]] | None = None) -> Totals:
    """One scan per relation for all ``measures``; returns totals per KPI, bucket and component.

    ``extra`` adds components per KPI id (spike series) to the same scan. Every KPI gets every
    scanned bucket, with zeros where its filter matched nothing, plus ``rows`` (all rows).
    """
    by_relation: dict[str, list[CompiledMeasure]] = defaultdict(list)
    for measure in measures:
        if extra is not None:
            measure = _with_components(measure, extra.get(measure.kpi_id, ()))
        by_relation[measure.relation.name].append(measure)
    totals: Totals = {}
    for group in by_relation.values():
        statement, keys = _statement(group, grid)
        for measure in group:
            totals[measure.kpi_id] = {}
        for row in conn.execute(statement):
            bucket, rows, values = row[0], row[1], row[2:]
            if bucket is None:
                continue
            for measure in group:
                totals[measure.kpi_id][bucket] = {SOURCE_ROWS: float(rows)}
            for (kpi_id, name), value in zip(keys, values, strict=True):
                totals[kpi_id][bucket][name] = float(value) if value is not None else 0.0
    return totals


def _with_components(measure: CompiledMeasure, components: Sequence[Component]) -> CompiledMeasure:
    return replace(measure, components=tuple(components))


def add_up(per_bucket: Mapping[Hashable, Mapping[str, float]], buckets: Iterable[Hashable]) -> dict[str, float]:
    """Totals over ``buckets`` (absent buckets count zero: no row matched)."""
    summed: dict[str, float] = defaultdict(float)
    for bucket in buckets:
        for name, value in per_bucket.get(bucket, {}).items():
            summed[name] += value
    return dict(summed)
