"""``kpigov test``: the example repository's tests pass, a wrong expectation fails with its location,
and bad test files are golden cases with exact located diagnostics (exit 2, nothing run)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.policytest import load_suites
from tests.conftest import copy_example

CASES = Path(__file__).parents[1] / "cases" / "policytest"
CASE_FILES = sorted(CASES.glob("*_test.yaml"))


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["test", *args])
    return result.exit_code, result.stdout


def test_example_repository_tests_all_pass(example_repo: Path) -> None:
    code, out = _run(str(example_repo))
    lines = out.splitlines()
    assert code == 0, out
    assert lines[-1] == "13 passed, 0 failed"
    assert "PASS policies/access_test.yaml:15:13 analysts read mentions with author handles hashed" in lines


def test_example_covers_every_kind_of_case() -> None:
    suites, problems = load_suites(Path(__file__).parents[2])
    assert not problems
    kinds = {type(c.case).__name__ for s in suites for c in s.cases}
    assert kinds == {"AccessCase", "RouteCase", "RetentionCase", "KpiCase"}


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("expect: {value: 2, band: red}", "expect: {value: 3, band: red}",
     "FAIL kpi_specs/customer/kpi_values_test.yaml:10:13 mention volume counts authentic Stridewell mentions only: "
     "value: expected 3 got 2"),
    ("expect: {value: 0.5, band: green}", "expect: {value: 0.5, band: amber}",
     "FAIL kpi_specs/customer/kpi_values_test.yaml:23:13 net sentiment is (positive - negative) / (positive + negative): "
     "band: expected amber got green"),
])
def test_wrong_kpi_expectation_fails_with_location(example_repo: Path, old: str, new: str, expected: str) -> None:
    path = example_repo / "kpi_specs" / "customer" / "kpi_values_test.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    code, out = _run(str(example_repo))
    assert code == 1
    assert expected in out.splitlines()
    assert out.splitlines()[-1] == "12 passed, 1 failed"


def test_wrong_access_and_route_expectations_fail(example_repo: Path) -> None:
    access = example_repo / "policies" / "access_test.yaml"
    access.write_text(access.read_text(encoding="utf-8").replace("{effect: deny, rule: default}", "{effect: allow}"),
                      encoding="utf-8")
    route = example_repo / "policies" / "escalation_test.yaml"
    route.write_text(route.read_text(encoding="utf-8").replace("channel: pager, after: PT0S", "channel: chat, after: PT0S"),
                     encoding="utf-8")
    code, out = _run(str(example_repo), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["passed"], report["failed"]) == (11, 2)
    failed = {c["location"]: c["differences"] for c in report["cases"] if not c["passed"]}
    assert failed["policies/access_test.yaml:24:13"] == [{"what": "effect", "expected": "allow", "got": "deny"}]
    [tiers] = failed["policies/escalation_test.yaml:9:13"]
    assert tiers["what"] == "tiers" and "1:team/pr via pager" in tiers["got"]


@pytest.mark.parametrize("case", CASE_FILES, ids=[p.name for p in CASE_FILES])
def test_golden_bad_test_file(case: Path, tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    shutil.copy(case, repo / "policies" / case.name)
    code, out = _run(str(repo))
    actual = [line for line in out.splitlines() if line]
    expected_file = case.with_suffix(".expected")
    if os.environ.get("KPIGOV_REGEN"):
        expected_file.write_text("\n".join(actual) + "\n", encoding="utf-8")
    assert code == 2
    assert actual == expected_file.read_text(encoding="utf-8").splitlines()
    assert not any(line.startswith(("PASS", "FAIL")) for line in actual)


def test_missing_repository_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = _run(str(tmp_path / "absent"))
    assert code == 2
