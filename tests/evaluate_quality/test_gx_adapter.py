"""Canaries for the one module that touches GX internals: they fail the day the workarounds stop working."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from kpigov.evaluate.quality import gx_adapter
from tests.evaluate_quality.conftest import ROOT


def not_null_on_duckdb(path: str, fixed: bool) -> str:
    """One GX expectation on a fresh DuckDB file: "ok <rows>" or the exception GX hid in the result."""
    import duckdb

    if fixed:
        gx_adapter.enable_duckdb()
    duckdb.connect(path).execute("CREATE TABLE t AS SELECT range AS n FROM range(5)").close()
    source = gx_adapter.ephemeral_context().data_sources.add_sql("s", connection_string=f"duckdb:///{path}")
    batch = source.add_table_asset("t", table_name="t").add_batch_definition_whole_table("w").get_batch()
    suite = gx_adapter.new_suite("s", [gx_adapter.build_expectation(
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "n"}})])
    try:
        result = batch.validate(suite).results[0]
        return gx_adapter.exception_text(result.exception_info) or f"ok {result.result['element_count']}"
    finally:
        gx_adapter.release(source)


def test_gx_is_the_pinned_version() -> None:
    assert version("great-expectations") == gx_adapter.PINNED_GX_VERSION
    assert f"great_expectations=={gx_adapter.PINNED_GX_VERSION}" in (ROOT / "constraints.txt").read_text()


def test_the_duckdb_fix_makes_results_real(tmp_path: Path) -> None:
    assert not_null_on_duckdb(str(tmp_path / "fixed.duckdb"), fixed=True) == "ok 5"


@pytest.mark.slow
def test_the_duckdb_fix_is_still_needed(tmp_path: Path) -> None:
    """When this fails, GX fixed its DuckDB connection handling: remove ``enable_duckdb``."""
    code = ("import sys; from tests.evaluate_quality.test_gx_adapter import not_null_on_duckdb; "
            "print(not_null_on_duckdb(sys.argv[1], fixed=False))")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "unfixed.duckdb")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "list index out of range" in run.stdout


def test_enable_duckdb_is_idempotent() -> None:
    gx_adapter.enable_duckdb()
    gx_adapter.enable_duckdb()
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    assert sum(d == "duckdb" for d in engine._PERSISTED_CONNECTION_DIALECTS) == 1
    assert gx_adapter.duckdb_enabled()


def unique_on_duckdb(path: str, values: list[str | None], result_format: str = "COMPLETE") -> tuple[dict, list[str]]:
    """expect_column_values_to_be_unique through GX on a DuckDB table of ``values``: its result and SQL."""
    import duckdb
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    gx_adapter.enable_duckdb()
    with duckdb.connect(path) as conn:
        conn.execute("CREATE TABLE t (v VARCHAR, i INTEGER)")
        if values:
            conn.executemany("INSERT INTO t VALUES (?, ?)", [(v, i) for i, v in enumerate(values)])
    source = gx_adapter.ephemeral_context().data_sources.add_sql("s", connection_string=f"duckdb:///{path}")
    batch = source.add_table_asset("t", table_name="t").add_batch_definition_whole_table("w").get_batch()
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", record)
    suite = gx_adapter.new_suite("s", [gx_adapter.build_expectation(
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "v"}})])
    try:
        result = batch.validate(suite, result_format=result_format).results[0]
        assert gx_adapter.exception_text(result.exception_info) is None, result.exception_info
        return {"success": result.success, **result.result}, statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)
        gx_adapter.release(source)


@pytest.mark.parametrize("values", [
    ["a", "b", "c"], ["a", "a", "b", None, None, "c", "c", "c"], [None, None], [], ["x"] * 50 + ["y"],
])
def test_uniqueness_on_duckdb_groups_instead_of_a_window_and_says_the_same(tmp_path: Path, values: list) -> None:
    result, statements = unique_on_duckdb(str(tmp_path / "u.duckdb"), values)
    counted = [s for s in statements if "_num_rows" in s]
    assert counted and not any("OVER" in s.upper() for s in counted)  # the grouped form ran, not GX's window
    non_null = [v for v in values if v is not None]
    duplicated = sorted(v for v in non_null if non_null.count(v) > 1)
    assert result["success"] is (not duplicated)
    assert result["unexpected_count"] == len(duplicated)
    assert sorted(result["unexpected_list"]) == duplicated  # every duplicated row, once per row, as GX lists them
    assert result["element_count"] == len(values) and result["missing_count"] == len(values) - len(non_null)


def test_exception_text_reads_both_shapes() -> None:
    assert gx_adapter.exception_text({"raised_exception": False, "exception_message": None}) is None
    assert gx_adapter.exception_text({"raised_exception": True, "exception_message": "'type'"}) == "'type'"
    nested = {"MetricConfigurationID(a)": {"raised_exception": True, "exception_message": "boom"},
              "MetricConfigurationID(b)": {"raised_exception": True, "exception_message": "boom"}}
    assert gx_adapter.exception_text(nested) == "boom"
    assert gx_adapter.exception_text(None) is None


def test_bad_kwargs_are_build_errors_not_pydantic_v1_errors() -> None:
    with pytest.raises(gx_adapter.BuildError, match="mostly"):
        gx_adapter.build_expectation({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 2}})
    with pytest.raises(gx_adapter.BuildError):
        gx_adapter.build_expectation({"type": "expect_nothing_at_all", "kwargs": {}})


def test_importing_the_gates_package_does_not_import_gx() -> None:
    code = "import sys, kpigov.evaluate.quality; print('great_expectations' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.stdout.strip() == "False", run.stderr
