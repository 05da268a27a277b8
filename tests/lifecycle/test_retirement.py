"""``kpigov retire``: a decision file for Git, the KPI deprecated with its comments kept, then not evaluated."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kpigov
from kpigov.cli.main import app
from kpigov.compiler import compile_project
from kpigov.evaluate import Status, evaluate, evaluation_order, open_for_evaluation
from kpigov.lifecycle import RetirementError, UnknownSubjectError
from kpigov.lifecycle.retirement import retirement_of, write_retirement
from kpigov.specs import RetirementDecision
from tests.lifecycle.conftest import NET_SENTIMENT, NOISE_JUDGED, History, no_gates

KPI_FILE = Path("kpi_specs/learning_growth/design_feedback_volume.yaml")
DECIDED, EFFECTIVE = date(2026, 10, 1), date(2026, 10, 5)


def _retire(repo: Path, **overrides: object) -> None:
    arguments = {"reason": "no association with any outcome over three quarters",
                 "decided_by": "team/social-analytics", "on": DECIDED, "effective_date": EFFECTIVE, **overrides}
    write_retirement(kpigov.load(repo), NOISE_JUDGED, **arguments)  # type: ignore[arg-type]


def test_writes_a_valid_decision_and_keeps_the_authors_comments(example_repo: Path) -> None:
    path = example_repo / KPI_FILE
    path.write_text(path.read_text().replace("  status: active\n", "  # reviewed every quarter\n  status: active  # since 2025\n"))
    _retire(example_repo)
    text = path.read_text()
    # ruamel keeps every comment; a trailing one moves to one space after the (longer) new value
    assert re.search(r"  # reviewed every quarter\n  status: deprecated +# since 2025\n  deprecation_date: 2026-10-05\n", text)
    project = kpigov.load(example_repo)
    assert project.ok, [str(d) for d in project.diagnostics]
    (decision,) = project.of_kind(RetirementDecision)
    assert decision.spec.kpi == NOISE_JUDGED
    assert (decision.spec.date, decision.spec.effective_date) == (DECIDED, EFFECTIVE)
    assert project.get(f"kpi/{NOISE_JUDGED}").spec.status == "deprecated"  # type: ignore[union-attr]


def test_only_the_kpis_document_and_lines_change(example_repo: Path) -> None:
    before = (example_repo / KPI_FILE).read_text().splitlines()
    _retire(example_repo)
    after = (example_repo / KPI_FILE).read_text().splitlines()
    changed = [line for line in after if line not in before]
    assert changed == ["  status: deprecated", "  deprecation_date: 2026-10-05"]
    assert [line for line in before if line not in after] == ["  status: active"]


def test_the_decision_is_in_force_from_its_effective_date(example_repo: Path) -> None:
    _retire(example_repo)
    project = kpigov.load(example_repo)
    assert retirement_of(project, NOISE_JUDGED, date(2026, 10, 4)) is None
    assert retirement_of(project, NOISE_JUDGED, EFFECTIVE) is not None
    assert retirement_of(project, NET_SENTIMENT, EFFECTIVE) is None


@pytest.mark.parametrize(("kpi_id", "overrides", "error", "message"), [
    ("brand.customer.nope", {}, UnknownSubjectError, "unknown KPI"),
    (NOISE_JUDGED, {"decided_by": "team/nobody"}, RetirementError, "not a Team"),
    (NOISE_JUDGED, {"replacement": "brand.customer.nope"}, RetirementError, "--replacement"),
    (NOISE_JUDGED, {"effective_date": date(2026, 9, 1)}, RetirementError, "before the decision date"),
    ("brand.customer.positive_volume", {}, RetirementError, "computed from"),
])
def test_refusals_write_nothing(example_repo: Path, kpi_id: str, overrides: dict, error: type, message: str) -> None:
    before = {p: p.read_bytes() for p in example_repo.rglob("*.yaml")}
    arguments = {"reason": "r", "decided_by": "team/social-analytics", "on": DECIDED, **overrides}
    with pytest.raises(error, match=message):
        write_retirement(kpigov.load(example_repo), kpi_id, **arguments)
    assert {p: p.read_bytes() for p in example_repo.rglob("*.yaml")} == before


def test_retiring_twice_is_refused(example_repo: Path) -> None:
    _retire(example_repo)
    with pytest.raises(RetirementError, match="already deprecated"):
        _retire(example_repo)


def test_evaluator_skips_the_kpi_after_the_effective_date(history: History, example_repo: Path, tmp_path: Path) -> None:
    _retire(example_repo)
    project = kpigov.load(example_repo)
    compiled = compile_project(project)
    order = evaluation_order(project, compiled.kpi_order, [NOISE_JUDGED])
    shutil.copy(history.url.removeprefix("duckdb:///"), tmp_path / "store.duckdb")
    with open_for_evaluation(f"duckdb:///{tmp_path / 'store.duckdb'}") as store:
        before = evaluate(store, project, order, compiled.fingerprint, date(2026, 9, 27), gates=no_gates)
        after = evaluate(store, project, order, compiled.fingerprint, EFFECTIVE + date.resolution * 6, gates=no_gates)
    (kept,) = before.kpis
    assert kept.status is Status.OK and kept.value is not None
    assert "deprecated" in kept.notes
    (retired,) = after.kpis
    assert retired.status is Status.RETIRED
    assert retired.value is None
    assert "retire-brand-learning-growth-design-feedback-volume" in (retired.reason or "")


def test_cli_retire(example_repo: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["retire", NOISE_JUDGED, "--reason", "judged only against noise",
                               "--by", "team/social-analytics", "--date", "2026-10-01", "--repo", str(example_repo)])
    assert done.exit_code == 0, done.output
    assert "marked" in done.stderr
    assert kpigov.load(example_repo).ok
    again = runner.invoke(app, ["retire", NOISE_JUDGED, "--reason", "x", "--by", "team/social-analytics",
                                "--repo", str(example_repo)])
    assert again.exit_code == 2
    assert "already deprecated" in again.stderr
    bad_date = runner.invoke(app, ["retire", NET_SENTIMENT, "--reason", "x", "--by", "team/social-analytics",
                                   "--effective", "soon", "--repo", str(example_repo)])
    assert bad_date.exit_code == 2


def test_a_retired_kpi_stays_explainable(history: History, example_repo: Path) -> None:
    from kpigov.lineage.query import lineage
    from kpigov.store import open_store

    _retire(example_repo)
    project = kpigov.load(example_repo)
    with open_store(history.url, create=False) as store, store.engine.connect() as conn:
        tree = lineage(project, compile_project(project), NOISE_JUDGED, conn)
    assert tree.detail["status"] == "deprecated"
    (runs,) = [c for c in tree.children if c.label == "runs"]
    assert runs.detail["stored_values"] == history.runs  # the value history stays queryable
