"""Backend limits: compile-time diagnostics at the expectation, and a re-measurement against GX."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Date, Double, MetaData, String, Table, insert

import kpigov
from kpigov.diagnostics import Code
from kpigov.evaluate.quality import LIMITATIONS, BatchTarget, GateSession, backend_diagnostics, compile_suite, limitation
from kpigov.project import Project
from kpigov.specs import ExpectationSuite
from kpigov.store import open_store
from kpigov.validate.gx_catalogue import CATALOGUE_PATH

SUITE = """apiVersion: kpigov/v1
kind: ExpectationSuite
metadata: {id: mentions-shape, version: 1.0.0, owner: team/social-analytics}
spec:
  dataset: dataset/mentions
  expectations:
    - {id: lower-case-platform, type: expect_column_values_to_match_regex, kwargs: {column: platform, regex: '^[a-z]+$'}, severity: error}
    - {id: in-order, type: expect_column_values_to_be_increasing, kwargs: {column: created_at}, severity: warning}
    - {id: no-negatives, type: unexpected_rows_expectation, kwargs: {unexpected_rows_query: 'SELECT * FROM {batch} WHERE likes < 0'}, severity: error}
    - {id: likes-sane, type: expect_column_values_to_not_be_outliers, kwargs: {column: likes, method: std}, severity: warning}
"""


def test_the_example_repository_runs_on_both_backends(example_project: Project) -> None:
    assert backend_diagnostics(example_project, "duckdb") == []
    assert backend_diagnostics(example_project, "postgresql") == []


def test_unsupported_expectations_are_located_at_their_type(example_repo: Path) -> None:
    (example_repo / "expectations" / "mentions-shape.yaml").write_text(SUITE, encoding="utf-8")
    project = kpigov.load(example_repo)
    assert project.ok, [str(d) for d in project.diagnostics]
    duckdb = [str(d) for d in backend_diagnostics(project, "duckdb")]
    postgres = [str(d) for d in backend_diagnostics(project, "postgresql")]
    where = "expectations/mentions-shape.yaml"
    lines = SUITE.splitlines()
    at_type = [f"{where}:{n}:{lines[n - 1].index('type: ') + len('type: ') + 1}" for n in (7, 8, 9)]
    assert [d.split(": error")[0] for d in duckdb] == at_type
    assert all("KG514" in d for d in duckdb)
    assert "no regex support for dialect duckdb" in duckdb[0] and "no SQL implementation" in duckdb[1]
    assert "does not run SQL written in spec files" in duckdb[2]
    # PostgreSQL runs regexes; the std outlier method runs on both backends.
    assert postgres == [d.replace("on duckdb", "on postgresql") for d in duckdb[1:]]


def test_an_unknown_backend_is_a_caller_error(example_project: Project) -> None:
    with pytest.raises(ValueError, match="unknown store backend 'sqlite'"):
        backend_diagnostics(example_project, "sqlite")


def test_the_diagnostic_code_is_catalogued() -> None:
    assert Code.GX_UNSUPPORTED.code == "KG514"


# -- re-measure every limitation against the installed GX -------------------------------------

#: Arguments that make each limited expectation runnable on the probe table.
PROBE_KWARGS = {
    "expect_column_values_to_match_regex": {"column": "s", "regex": "^[a-z]+$"},
    "expect_column_values_to_match_regex_list": {"column": "s", "regex_list": ["^a"]},
    "expect_column_values_to_not_match_regex": {"column": "s", "regex": "^z"},
    "expect_column_values_to_not_match_regex_list": {"column": "s", "regex_list": ["^z"]},
    "expect_column_values_to_match_like_pattern": {"column": "s", "like_pattern": "%"},
    "expect_column_values_to_match_like_pattern_list": {"column": "s", "like_pattern_list": ["%"]},
    "expect_column_values_to_not_match_like_pattern": {"column": "s", "like_pattern": "z%"},
    "expect_column_values_to_not_match_like_pattern_list": {"column": "s", "like_pattern_list": ["z%"]},
    "expect_column_type_to_be": {"column": "n", "type_": "BIGINT"},
    "expect_column_values_to_be_of_type": {"column": "n", "type_": "BIGINT"},
    "expect_column_values_to_be_in_type_list": {"column": "n", "type_list": ["BIGINT", "INTEGER", "INT8"]},
    "expect_column_values_to_be_dateutil_parseable": {"column": "s"},
    "expect_column_values_to_be_decreasing": {"column": "n"},
    "expect_column_values_to_be_increasing": {"column": "n"},
    "expect_column_values_to_be_json_parseable": {"column": "s"},
    "expect_column_values_to_match_json_schema": {"column": "s", "json_schema": {"type": "string"}},
    "expect_column_values_to_match_strftime_format": {"column": "s", "strftime_format": "%Y"},
    "expect_column_values_to_not_be_outliers": {"column": "f"},
}


@pytest.fixture
def probe_session(store_url: str) -> Iterator[GateSession]:
    probe = Table("probe", MetaData(), Column("n", BigInteger), Column("f", Double), Column("s", String(20)),
                  Column("d", Date), Column("b", Boolean))
    with open_store(store_url, create=True) as store:
        with store.transaction() as conn:
            probe.create(conn)
            conn.execute(insert(probe), [{"n": i, "f": i / 2, "s": w, "b": i % 2 == 0} for i, w in enumerate(["ab", "cd", "ef"])])
        with GateSession(store) as session:
            yield session


def _probe(session: GateSession, expectation_type: str) -> str | None:
    """The exception GX reports when running the expectation for real (limits bypassed), or None."""
    suite = ExpectationSuite.model_validate({
        "apiVersion": "kpigov/v1", "kind": "ExpectationSuite", "metadata": {"id": "probe", "version": "1.0.0"},
        "spec": {"dataset": "dataset/probe", "expectations": [
            {"id": "probe", "type": expectation_type, "kwargs": PROBE_KWARGS[expectation_type], "severity": "error"}]}})
    compiled = compile_suite(suite, "unlimited")  # a backend name no limitation applies to
    assert not compiled.refused, compiled.refused
    return session.validate(compiled, BatchTarget("probe")).results[0].exception


def test_every_limitation_still_holds_and_no_more(probe_session: GateSession) -> None:
    """Fails the day a GX upgrade lifts a limitation (relax the table) or adds one on a listed type."""
    backend = probe_session.backend
    limited = sorted(t for lim in LIMITATIONS for t in lim.types if t in PROBE_KWARGS)
    assert sorted(PROBE_KWARGS) == limited
    for expectation_type, kwargs in PROBE_KWARGS.items():
        expected = limitation(expectation_type, kwargs, backend)
        raised = _probe(probe_session, expectation_type)
        assert (raised is not None) == (expected is not None), (backend, expectation_type, raised)


def test_limitations_name_only_catalogued_types() -> None:
    catalogued = set(json.loads(CATALOGUE_PATH.read_text())["expectations"])
    assert {t for lim in LIMITATIONS for t in lim.types} <= catalogued
