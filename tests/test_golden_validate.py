"""Golden cases for the front end (loader → specs → semantic checks).

Each file under ``cases/validate/<folder>/<name>.yaml`` is added to a copy of the example
repository at ``<folder>/<name>.yaml`` (``config/kpigov.yaml`` replaces the repository config); the
diagnostics kpigov reports must equal ``<name>.expected`` line for line (code, line, column,
message). Regenerate after an intended change with ``KPIGOV_REGEN=1 pytest tests/test_golden_validate.py``
and review the diff.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import kpigov
from tests.conftest import copy_example

CASES = Path(__file__).parent / "cases" / "validate"
CASE_FILES = sorted(p for p in CASES.rglob("*.yaml"))


def _place(repo: Path, case: Path) -> Path:
    rel = case.relative_to(CASES)
    target = repo / "kpigov.yaml" if rel.parts[0] == "config" else repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(case.read_bytes())
    return target


@pytest.mark.parametrize("case", CASE_FILES, ids=[str(p.relative_to(CASES)) for p in CASE_FILES])
def test_golden_case(case: Path, tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    _place(repo, case)
    started = time.perf_counter()
    project = kpigov.load(repo)
    elapsed = time.perf_counter() - started
    actual = [str(d) for d in project.diagnostics]
    expected_file = case.with_suffix(".expected")
    if os.environ.get("KPIGOV_REGEN"):
        expected_file.write_text("\n".join(actual) + "\n", encoding="utf-8")
    expected = [line for line in expected_file.read_text(encoding="utf-8").splitlines() if line]
    assert actual == expected
    assert actual, "a bad-input case must produce at least one diagnostic"
    assert project.diagnostics.has_errors or all(" warning " in line for line in actual)
    assert elapsed < 5, f"case took {elapsed:.2f}s"  # generous: the bench measures the real budget


def test_enough_distinct_cases() -> None:
    codes = set()
    for expected in CASES.rglob("*.expected"):
        for line in expected.read_text(encoding="utf-8").splitlines():
            codes.add(line.split(": ")[1].split()[1] if ": " in line else "")
    assert len(CASE_FILES) >= 40
    assert len(codes) >= 35, sorted(codes)


def test_example_repository_is_valid() -> None:
    project = kpigov.load(Path(__file__).resolve().parents[1])
    assert [str(d) for d in project.diagnostics] == []
    kinds = {spec.KIND for spec in project.specs.values()}
    assert kinds >= {"KPI", "Dataset", "DedupPolicy", "Lexicon", "EventCalendar", "ExpectationSuite",
                     "EscalationPolicy", "RetentionRule", "AccessPolicy", "Team", "Role"}
    measures = {kpi.spec.measure.type for kpi in project.kpis}
    assert measures == {"count", "sentiment_adjusted_volume", "weighted_score", "net_sentiment", "share_of_voice", "derived"}
