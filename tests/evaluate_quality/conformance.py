"""Great Expectations' own expectation test cases, run through kpigov's suite compiler and gate runner.

Each case of ``../shared/data/gx-test-definitions`` (input columns, expectation kwargs, GX's expected
outcome) becomes an ExpectationSuite spec — the same model a YAML file is parsed into — compiled by
:func:`kpigov.evaluate.quality.compile_suite` and validated in the store by a :class:`GateSession`.
A verdict is ``agree`` when kpigov's outcome matches GX's expected one, ``refused`` when kpigov
reports the expectation as unsupported on the backend (a failure with a reason, never a pass),
``disagree`` otherwise, and ``skipped`` when GX itself does not run the case on that backend.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from dateutil.parser import parse as parse_datetime
from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Double, MetaData, Table, Text, insert
from sqlalchemy.types import TypeEngine

from kpigov.evaluate.quality import BatchTarget, GateSession, SuiteResult, compile_suite
from kpigov.evaluate.quality.runner import DATASET_RULE_ID
from kpigov.specs import ExpectationSuite

Status = Literal["agree", "disagree", "refused", "skipped"]
#: Keys of a case's ``in`` that configure GX's test runner, not the expectation.
RUNNER_KEYS = frozenset({"result_format", "catch_exceptions"})
#: Tags GX's test runner uses to include or exclude a case, per kpigov backend.
RUNNER_TAGS = {"duckdb": {"duckdb", "sqlalchemy"}, "postgresql": {"postgresql", "sqlalchemy"}}

_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "INTEGER": BigInteger, "INT": BigInteger, "BIGINT": BigInteger, "SMALLINT": BigInteger,
    # Double, not Float: SQLAlchemy's Float is a 4-byte REAL on DuckDB (1.1 reads back as 1.100000023841858).
    "FLOAT": Double, "DOUBLE_PRECISION": Double, "DOUBLE": Double, "REAL": Double, "NUMERIC": Double, "DECIMAL": Double,
    "TEXT": Text, "VARCHAR": Text, "STRING": Text, "CHAR": Text,
    "TIMESTAMP": DateTime, "DATETIME": DateTime, "DATE": Date, "BOOLEAN": Boolean, "BOOL": Boolean,
}


@dataclass(frozen=True)
class Case:
    source: str  # file/dataset-index/title, unique
    expectation_type: str
    dataset_key: str
    data: dict[str, list[Any]]
    schemas: dict[str, dict[str, str]]
    test: dict[str, Any]

    def kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.test["in"].items() if k not in RUNNER_KEYS}

    @property
    def expected_error(self) -> str | None:
        """The traceback text GX expects, or None when the case expects a result."""
        if "error" in self.test:
            return str(self.test["error"].get("traceback_substring", ""))
        out = self.test.get("out", {})
        return str(out["traceback_substring"]) if "traceback_substring" in out else None

    def runs_on(self, backend: str) -> bool:
        tags = RUNNER_TAGS[backend]
        only = self.test.get("only_for")
        return not (tags & set(self.test.get("suppress_test_for", []))) and (only is None or bool(tags & set(only)))

    def suite(self) -> ExpectationSuite:
        """The case as kpigov writes it in YAML: one expectation, severity error."""
        return ExpectationSuite.model_validate({
            "apiVersion": "kpigov/v1", "kind": "ExpectationSuite",
            "metadata": {"id": "gx-case", "version": "1.0.0"},
            "spec": {"dataset": "dataset/gx-case", "expectations": [
                {"id": "case", "type": self.expectation_type, "kwargs": self.kwargs(), "severity": "error"}]},
        })


@dataclass(frozen=True)
class Verdict:
    case: Case
    status: Status
    detail: str = ""


def load_cases(root: Path) -> list[Case]:
    cases = []
    for path in sorted(root.glob("*/*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        for d, dataset in enumerate(definition["datasets"]):
            key = f"{path.stem}/{d}"
            for test in dataset["tests"]:
                if "only_for" in dataset and "only_for" not in test:
                    test = {**test, "only_for": dataset["only_for"]}
                cases.append(Case(f"{key}/{test['title']}", definition["expectation_type"], key, dataset["data"],
                                  dataset.get("schemas", {}), test))
    return cases


def run_all(session: GateSession, cases: list[Case]) -> list[Verdict]:
    verdicts = []
    for number, group in enumerate(_by_dataset(cases)):
        applicable = [c for c in group if c.runs_on(session.backend)]
        verdicts += [Verdict(c, "skipped", "GX does not run this case on this backend")
                     for c in group if c not in applicable]
        if not applicable:
            continue
        with _case_table(session, applicable[0], f"gx_case_{number}") as name:
            verdicts += [judge(c, session.validate(compile_suite(c.suite(), session.backend), BatchTarget(name)))
                         for c in applicable]
    return verdicts


def tally(verdicts: list[Verdict]) -> Counter[str]:
    return Counter(v.status for v in verdicts)


def judge(case: Case, result: SuiteResult) -> Verdict:
    """Compare kpigov's outcome with the outcome GX's test definition expects."""
    outcome = result.results[0]
    if outcome.exception and outcome.exception.startswith("not supported on"):
        return Verdict(case, "refused", outcome.exception)
    expected_error = case.expected_error
    if expected_error is not None:
        if outcome.exception is not None and not outcome.success:
            return Verdict(case, "agree", outcome.exception)
        return Verdict(case, "disagree", f"GX expects an error ({expected_error!r}); kpigov: success={outcome.success}")
    out = case.test["out"]
    if outcome.rule_id == DATASET_RULE_ID:  # no rows: kpigov fails the gate without asking GX
        agree = out["success"] is False and out.get("observed_value") is None
        return Verdict(case, "agree" if agree else "disagree", f"empty dataset; GX expects {out}")
    if outcome.exception is not None:
        return Verdict(case, "disagree", f"raised: {outcome.exception[:160]}")
    problems = []
    if outcome.success != out["success"]:
        problems.append(f"success {outcome.success} != {out['success']}")
    if "observed_value" in out and not _same(outcome.observed_value, out["observed_value"]):
        problems.append(f"observed {outcome.observed_value!r} != {out['observed_value']!r}")
    if "unexpected_list" in out:
        problems += _unexpected_problems(result, out["unexpected_list"])
    return Verdict(case, "disagree" if problems else "agree", "; ".join(problems))


def _unexpected_problems(result: SuiteResult, expected: list[Any]) -> list[str]:
    details = result.gx_result["results"][0]["result"]
    if details.get("unexpected_count") != len(expected):
        return [f"unexpected_count {details.get('unexpected_count')} != {len(expected)}"]
    partial = details.get("partial_unexpected_list", [])
    if len(expected) <= len(partial) or len(partial) < 20:
        if sorted(map(_key, partial)) != sorted(map(_key, expected)):
            return [f"unexpected values {partial!r} != {expected!r}"]
    return []


def _key(value: Any) -> str:
    """A comparable form of one unexpected value (rows of compound columns come as mappings)."""
    return json.dumps(_normal(value), default=str, sort_keys=True)


def _same(actual: Any, expected: Any) -> bool:
    actual, expected = _normal(actual), _normal(expected)
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return actual == expected


def _normal(value: Any) -> Any:
    """Integral floats as ints (fixtures were made with pandas), timestamps as ``YYYY-MM-DDTHH:MM:SS``."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace(" ", "T")).isoformat()
        except ValueError:
            return value
    return value


def _by_dataset(cases: list[Case]) -> Iterator[list[Case]]:
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.dataset_key, []).append(case)
    yield from groups.values()


class _case_table:
    """The case's input columns as a table in the store, dropped afterwards."""

    def __init__(self, session: GateSession, case: Case, name: str) -> None:
        self.engine = session.store.engine
        declared = case.schemas.get("postgresql", {})
        columns = [Column(name, _column_type(declared.get(name), values)) for name, values in case.data.items()]
        self.table = Table(name, MetaData(), *columns)
        self.rows = [dict(zip(case.data, row, strict=True)) for row in zip(*case.data.values(), strict=True)]

    def __enter__(self) -> str:
        with self.engine.begin() as conn:
            self.table.create(conn)
            if self.rows:
                conn.execute(insert(self.table), [self._converted(row) for row in self.rows])
        return self.table.name

    def __exit__(self, *_: object) -> None:
        with self.engine.begin() as conn:
            self.table.drop(conn)

    def _converted(self, row: dict[str, Any]) -> dict[str, Any]:
        return {name: _convert(self.table.c[name].type, value) for name, value in row.items()}


def _column_type(declared: str | None, values: list[Any]) -> TypeEngine[Any]:
    if declared and declared.upper() in _TYPES:
        return _TYPES[declared.upper()]()
    present = [v for v in values if v is not None]
    if not present or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return BigInteger() if present and all(isinstance(v, int) for v in present) else Double()
    if all(isinstance(v, bool) for v in present):
        return Boolean()
    return Text()


def _convert(kind: TypeEngine[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, DateTime):
        return parse_datetime(value)
    if isinstance(kind, Date):
        return parse_datetime(value).date()
    if isinstance(kind, Double):
        return float(value)
    if isinstance(kind, Text):
        return value if isinstance(value, str) else json.dumps(value)
    return value
