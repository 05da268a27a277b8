"""SQL functions whose spelling differs by backend.

``sha256_hex(text)`` is the lowercase hex SHA-256 of the text's UTF-8 bytes on every backend:
exactly ``hashlib.sha256(text.encode()).hexdigest()``, which a test checks on each of them (so
ingestion can hash inside the database). ``filtered_count`` / ``filtered_sum`` are the evaluator's
conditional aggregates: ``FILTER (WHERE …)`` where the dialect has it, ``CASE`` elsewhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement, GenericFunction


class sha256_hex(GenericFunction[str]):  # noqa: N801  (SQL function names are lowercase)
    type = String(64)
    inherit_cache = True


@compiles(sha256_hex, "duckdb")
def _duckdb_sha256(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sha256({compiler.process(element.clauses, **kw)})"


@compiles(sha256_hex, "postgresql")
def _postgresql_sha256(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"encode(sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')), 'hex')"


@compiles(sha256_hex)
def _unsupported(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    raise NotImplementedError(f"sha256_hex is not available on {compiler.dialect.name}")


# -- aggregates over the rows meeting a condition --------------------------------------------------
#
# ``count(*) FILTER (WHERE c)`` is what the evaluator's fused scan is made of: one pass computes
# every KPI component of a table. DuckDB, PostgreSQL and SQLite (>= 3.30) have the FILTER clause;
# other warehouses reached through SQLAlchemy (MySQL, SQL Server, ...) do not, and get the same
# aggregate as ``count(CASE WHEN c THEN 1 END)`` / ``sum(CASE WHEN c THEN x END)``: a CASE without
# ELSE is NULL where the condition is false or NULL, and count and sum skip NULLs, so the values
# are equal (a test checks both spellings on the same rows).

_FILTER_DIALECTS = frozenset({"duckdb", "postgresql", "sqlite"})


class filtered_count(FunctionElement[int]):  # noqa: N801
    """``count(*)`` of the rows where ``condition`` is true."""

    type = BigInteger()
    inherit_cache = True

    def __init__(self, condition: ColumnElement[bool]) -> None:
        super().__init__(condition)


class filtered_sum(FunctionElement[Any]):  # noqa: N801
    """``sum(value)`` over the rows where ``condition`` is true (NULL when there are none)."""

    inherit_cache = True

    def __init__(self, value: ColumnElement[Any], condition: ColumnElement[bool]) -> None:
        super().__init__(value, condition)
        self.type = value.type


def case_form(element: filtered_count | filtered_sum) -> ColumnElement[Any]:
    """The same aggregate spelled with CASE, for dialects without FILTER."""
    *value, condition = element.clauses.clauses
    if isinstance(element, filtered_count):
        return func.count(case((condition, literal(1))))
    return func.sum(case((condition, value[0])))


@compiles(filtered_count)
@compiles(filtered_sum)
def _aggregate_where(element: filtered_count | filtered_sum, compiler: SQLCompiler, **kw: Any) -> str:
    if compiler.dialect.name not in _FILTER_DIALECTS:
        return compiler.process(case_form(element), **kw)
    *value, condition = element.clauses.clauses
    aggregate = "count(*)" if isinstance(element, filtered_count) else f"sum({compiler.process(value[0], **kw)})"
    return f"{aggregate} FILTER (WHERE {compiler.process(condition, **kw)})"
