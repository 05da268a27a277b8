"""Which expectations can gate data on which store backend, known before anything runs.

Great Expectations 1.24.1 (pinned) accepts every catalogued expectation in a suite, but on SQL some
of them cannot compute their metric and only fail at validation time, inside the result (or, worse,
a misconfigured gate would be read as a pass). This table was measured by running each catalogued
expectation on DuckDB and PostgreSQL (``tests/evaluate_quality/test_support.py`` re-measures every
entry, so a GX upgrade that lifts or adds a limitation is noticed). Importing it is cheap: no GX.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kpigov.diagnostics import Code, Diagnostic, Location
from kpigov.project import Project
from kpigov.specs import ExpectationSuite
from kpigov.specs.quality import Expectation

#: Store backends gates run on (``kpigov.store.Store.backend.name``).
BACKENDS: Final = frozenset({"duckdb", "postgresql"})

_REGEX = frozenset({
    "expect_column_values_to_match_regex",
    "expect_column_values_to_match_regex_list",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_not_match_regex_list",
})
_LIKE = frozenset({
    "expect_column_values_to_match_like_pattern",
    "expect_column_values_to_match_like_pattern_list",
    "expect_column_values_to_not_match_like_pattern",
    "expect_column_values_to_not_match_like_pattern_list",
})
_COLUMN_TYPE = frozenset({
    "expect_column_type_to_be",
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
})
_NO_SQL_PROVIDER = frozenset({
    "expect_column_values_to_be_dateutil_parseable",
    "expect_column_values_to_be_decreasing",
    "expect_column_values_to_be_increasing",
    "expect_column_values_to_be_json_parseable",
    "expect_column_values_to_match_json_schema",
    "expect_column_values_to_match_strftime_format",
})
_RAW_SQL = frozenset({"unexpected_rows_expectation", "expect_query_results_to_match_comparison"})


def _always(_kwargs: Mapping[str, Any]) -> bool:
    return True


def _iqr_method(kwargs: Mapping[str, Any]) -> bool:
    return kwargs.get("method", "iqr") == "iqr"


@dataclass(frozen=True, slots=True)
class Limitation:
    """Expectation types that cannot gate data on some backends, and why."""

    types: frozenset[str]
    backends: frozenset[str]
    reason: str
    hint: str
    applies: Callable[[Mapping[str, Any]], bool] = _always


LIMITATIONS: Final[tuple[Limitation, ...]] = (
    Limitation(_RAW_SQL, BACKENDS, "kpigov does not run SQL written in spec files",
               "express the rule with a column or table expectation (filters go through the expression language)"),
    Limitation(_NO_SQL_PROVIDER, BACKENDS, "Great Expectations has no SQL implementation of this expectation",
               "it only runs on pandas/Spark; choose a SQL-capable expectation"),
    Limitation(_REGEX, frozenset({"duckdb"}), "Great Expectations has no regex support for dialect duckdb",
               "use expect_column_values_to_be_in_set, or a PostgreSQL store"),
    Limitation(_LIKE, frozenset({"duckdb"}), "Great Expectations has no LIKE-pattern support for dialect duckdb",
               "use expect_column_values_to_be_in_set, or a PostgreSQL store"),
    Limitation(_COLUMN_TYPE, frozenset({"duckdb"}),
               "Great Expectations cannot read column types through duckdb-engine (KeyError 'type')",
               "column types are fixed by the store schema; drop the expectation or use a PostgreSQL store"),
    Limitation(frozenset({"expect_column_values_to_not_be_outliers"}), frozenset({"duckdb"}),
               "Great Expectations has no IQR outlier detection for dialect duckdb",
               "set method: std", _iqr_method),
)


def limitation(expectation_type: str, kwargs: Mapping[str, Any], backend: str) -> Limitation | None:
    """The limitation that keeps this expectation from gating data on ``backend``, if any."""
    for candidate in LIMITATIONS:
        if expectation_type in candidate.types and backend in candidate.backends and candidate.applies(kwargs):
            return candidate
    return None


def backend_diagnostics(project: Project, backend: str) -> list[Diagnostic]:
    """One KG514 error per expectation that cannot gate data on ``backend``, located at its ``type``.

    Raises ``ValueError`` for a backend kpigov does not know (a caller's mistake, not the author's).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown store backend {backend!r}; expected one of: {', '.join(sorted(BACKENDS))}")
    found: list[Diagnostic] = []
    for suite in project.of_kind(ExpectationSuite):
        for i, expectation in enumerate(suite.spec.expectations):
            limit = limitation(expectation.type, expectation.kwargs, backend)
            if limit is not None:
                found.append(Diagnostic(Code.GX_UNSUPPORTED, _message(expectation, backend, limit),
                                        _where(project, suite, i), hint=limit.hint))
    return sorted(found, key=Diagnostic.sort_key)


def _message(expectation: Expectation, backend: str, limit: Limitation) -> str:
    return f"expectation '{expectation.id}' ({expectation.type}) cannot gate data on {backend}: {limit.reason}"


def _where(project: Project, suite: ExpectationSuite, index: int) -> Location:
    return project.locate(suite.ref, ["spec", "expectations", index, "type"])
