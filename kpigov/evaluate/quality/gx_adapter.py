"""The one place kpigov touches Great Expectations internals (GX is pinned exactly: 1.24.1).

Importing this module imports GX (about 2.5 s), so only the gate runner and the compiler import it,
lazily. What it works around, each checked by ``tests/evaluate_quality/test_gx_adapter.py``:

- GX on DuckDB: GX closes its pooled connection before fetching and DuckDB then drops the result,
  so every expectation "fails" with ``list index out of range`` (GX issues #10738, #11579). GX keeps
  one persisted connection for the dialects listed in the private ``_PERSISTED_CONNECTION_DIALECTS``;
  adding DuckDB there makes results real.
- A misspelled or mistyped kwarg raises ``pydantic.v1.ValidationError`` (not pydantic 2's), and an
  unknown type is only logged and dropped when a suite is built from dicts: expectations are built
  one by one here and every failure becomes a :class:`BuildError`.
- Uniqueness: GX computes ``column_values.count_per_value`` (one row per source row with the number
  of rows sharing its value) with ``count(*) OVER (PARTITION BY col)``, a sort-based window that
  DuckDB runs at about 2.5x a hash ``GROUP BY``. :func:`enable_duckdb` swaps in, on DuckDB and
  PostgreSQL, the same multiset from a ``GROUP BY`` whose groups are expanded back to ``n`` rows each
  (``range(n)`` / ``generate_series(1, n)``), so every metric GX derives from it (unexpected count,
  values, value counts) is unchanged; other dialects keep GX's own query.
- Errors hide inside results, in two shapes: ``{"raised_exception": True, "exception_message": ...}``
  or a mapping of metric ids to such records. :func:`exception_text` reads both.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import great_expectations as gx
import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql_engine
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from pydantic import v1 as pydantic_v1

PINNED_GX_VERSION: Final = "1.24.1"


class GXAdapterError(RuntimeError):
    """The installed Great Expectations no longer has what this adapter relies on."""


class BuildError(ValueError):
    """An expectation Great Expectations refuses to build (unknown type, bad or mistyped kwargs)."""


class _DuckDBDialect(str):
    """Stands in for a ``GXSqlDialect`` member: GX compares the dialect name and reads ``.value``."""

    @property
    def value(self) -> str:
        return str(self)


DUCKDB_DIALECT: Final = _DuckDBDialect("duckdb")


def enable_duckdb() -> None:
    """Make GX keep one persisted connection on DuckDB, and count values per group (idempotent)."""
    current = getattr(gx_sql_engine, "_PERSISTED_CONNECTION_DIALECTS", None)
    if not isinstance(current, tuple):
        raise GXAdapterError(
            f"great_expectations {gx.__version__} has no tuple _PERSISTED_CONNECTION_DIALECTS; "
            f"the DuckDB fix was written for {PINNED_GX_VERSION}")
    if DUCKDB_DIALECT not in current:
        gx_sql_engine._PERSISTED_CONNECTION_DIALECTS = (*current, DUCKDB_DIALECT)
    _count_per_value_by_group()


COUNT_PER_VALUE: Final = "column_values.count_per_value.map"


def _count_per_value_by_group() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.metrics.column_map_metrics import column_values_unique as unique
    from great_expectations.expectations.metrics.map_metric_provider import column_function_partial
    from great_expectations.expectations.registry import _registered_metrics
    from sqlalchemy import Select, column, func, select, true

    providers = _registered_metrics.get(COUNT_PER_VALUE, {}).get("providers", {})
    engine_name = SqlAlchemyExecutionEngine.__name__
    if engine_name not in providers:
        raise GXAdapterError(f"great_expectations {gx.__version__} has no {COUNT_PER_VALUE} metric for SQL; "
                             f"the DuckDB uniqueness query was written for {PINNED_GX_VERSION}")
    metric_class, gx_provider = providers[engine_name]
    if getattr(gx_provider, "kpigov_grouped", False):
        return

    def grouped(copies_of: Any) -> Any:
        """GX's count-per-value relation from a hash GROUP BY, each group repeated ``n`` times."""

        @column_function_partial(engine=SqlAlchemyExecutionEngine)
        def count_per_value(cls: Any, column_: Any, _table: Any, **kwargs: Any) -> Any:
            label = unique._count_label(kwargs["_metrics"]["table.columns"])
            source = _table.subquery() if isinstance(_table, Select) else _table
            value = column(column_.name)
            groups = (select(value, func.count().label(label)).select_from(source).group_by(value)
                      .subquery("kpigov_groups"))
            copies = copies_of(groups.c[label]).table_valued("kpigov_copy").alias("kpigov_copies")
            return (select(groups.c[column_.name], groups.c[label]).select_from(groups.join(copies, onclause=true()))
                    .alias(unique._DUP_KEY_SUBQUERY_ALIAS))

        return count_per_value

    # A set-returning function in FROM may read the groups before it on both (implicitly lateral).
    by_dialect = {"duckdb": grouped(lambda n: func.range(n)), "postgresql": grouped(lambda n: func.generate_series(1, n))}

    def count_per_value(cls: Any, execution_engine: Any, **kwargs: Any) -> Any:
        chosen = by_dialect.get(execution_engine.dialect_name, gx_provider)
        return chosen(cls=cls, execution_engine=execution_engine, **kwargs)

    functools.update_wrapper(count_per_value, gx_provider)  # GX reads the partial's attributes off the provider
    count_per_value.kpigov_grouped = True  # type: ignore[attr-defined]
    providers[engine_name] = (metric_class, count_per_value)


def duckdb_enabled() -> bool:
    return DUCKDB_DIALECT in getattr(gx_sql_engine, "_PERSISTED_CONNECTION_DIALECTS", ())


def ephemeral_context() -> Any:
    """An in-memory GX context (writes nothing to disk) with progress bars off."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def build_expectation(config: dict[str, Any]) -> Expectation:
    """One GX expectation from ``{"type", "kwargs", "meta", "severity"}``, or a :class:`BuildError`."""
    try:
        return ExpectationConfiguration(**config).to_domain_obj()
    except pydantic_v1.ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BuildError(problems) from exc
    except Exception as exc:  # GX raises bare KeyError/ValueError/InvalidExpectationConfigurationError alike
        raise BuildError(f"{type(exc).__name__}: {exc}") from exc


def new_suite(name: str, expectations: list[Expectation]) -> Any:
    return gx.ExpectationSuite(name=name, expectations=expectations)


def exception_text(exception_info: Any) -> str | None:
    """The message of an exception GX caught while evaluating one expectation, or None."""
    if not isinstance(exception_info, dict):
        return None
    records = [exception_info, *(v for v in exception_info.values() if isinstance(v, dict))]
    messages = [str(r.get("exception_message") or "exception without a message")
                for r in records if r.get("raised_exception")]
    return "; ".join(dict.fromkeys(messages)) or None


def release(datasource: Any) -> None:
    """Close the connection GX persisted for this datasource and dispose its engines.

    A DuckDB file stays locked while any connection to it is open, so a finished gate run must
    not leave GX's persisted connection behind.
    """
    engine = datasource._execution_engine
    if engine is not None:
        if engine._connection is not None:
            engine._connection.close()
            engine._connection = None
        engine.engine.dispose()
    if datasource._engine is not None:
        datasource._engine.dispose()
