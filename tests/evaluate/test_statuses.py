"""withheld, not_comparable and error statuses, and a crisis spike held then released by an override."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import kpigov
from kpigov.compiler import compile_project
from kpigov.evaluate import Status, evaluate, evaluation_order, record_override
from kpigov.evaluate.quality.results import ExpectationOutcome, GateReport, SuiteResult
from kpigov.project import Project
from kpigov.store import Store
from tests.evaluate.conftest import no_gates
from tests.evaluate.synthetic import AS_OF


def _order(project: Project) -> list[str]:
    return evaluation_order(project, compile_project(project).kpi_order)


def _edit(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_failed_error_gate_withholds_the_dataset_kpis_and_their_derived_kpis(
        loaded_duckdb: Store, example: Project, example_order: list[str]) -> None:
    failed = ExpectationOutcome("mention-id-unique", "expect_column_values_to_be_unique", "error", False,
                                unexpected_count=3, element_count=100)
    warned = ExpectationOutcome("enough-volume", "expect_table_row_count_to_be_between", "warning", False, observed_value=10)
    report = GateReport({"suite/mentions-core": SuiteResult("suite/mentions-core", "dataset/mentions", False,
                                                            [failed, warned], {"success": False}, 0.1)})
    run = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=lambda s, p: report)
    by_id = {k.kpi_id: k for k in run.kpis}
    volume = by_id["brand.customer.mention_volume"]
    assert volume.status is Status.WITHHELD and volume.value is None
    assert "mention-id-unique" in volume.reason and "3 of 100 rows unexpected" in volume.reason
    assert any("enough-volume" in note for note in volume.notes)
    assert by_id["brand.customer.positive_share"].status is Status.WITHHELD
    assert run.quality["suite/mentions-core"]["gx_result"] == {"success": False}
    withheld = {k.kpi_id for k in run.kpis if k.status is Status.WITHHELD}
    assert not any(a.alert.trigger == "band_breach" and a.alert.kpi_id in withheld for a in run.alerts)


def test_share_of_voice_is_not_comparable_when_the_dataset_does_not_collect_a_panel_platform(
        example_repo: Path, loaded_duckdb: Store) -> None:
    _edit(example_repo, "kpi_specs/customer/share_of_voice.yaml", "platforms: [x, reddit, youtube]",
          "platforms: [x, reddit, tiktok]")
    project = kpigov.load(example_repo)
    run = evaluate(loaded_duckdb, project, _order(project), "0" * 64, AS_OF, gates=no_gates)
    share = next(k for k in run.kpis if k.kpi_id == "brand.customer.share_of_voice")
    assert share.status is Status.NOT_COMPARABLE and "tiktok" in share.reason


def test_share_of_voice_is_not_comparable_outside_the_panel_timeframe(example_repo: Path, loaded_duckdb: Store) -> None:
    _edit(example_repo, "kpi_specs/customer/share_of_voice.yaml", "timeframe: {start: 2026-01-01, end: 2026-12-31}",
          "timeframe: {start: 2026-01-01, end: 2026-11-18}")
    project = kpigov.load(example_repo)
    run = evaluate(loaded_duckdb, project, _order(project), "0" * 64, AS_OF, gates=no_gates)
    share = next(k for k in run.kpis if k.kpi_id == "brand.customer.share_of_voice")
    assert share.status is Status.NOT_COMPARABLE and "outside the panel's timeframe" in share.reason


def test_a_kpi_whose_dataset_lacks_a_needed_column_is_an_error_row(example_repo: Path, loaded_duckdb: Store) -> None:
    _edit(example_repo, "kpi_specs/customer/negative_volume.yaml", "source: dataset/mentions", "source: dataset/vendor-mentions")
    _edit(example_repo, "kpi_specs/customer/negative_volume.yaml",
          "filter: \"entity = 'stridewell' and not is_bot and not is_spam and not is_employee and cib_cluster is null\"",
          "filter: \"entity = 'stridewell'\"")
    project = kpigov.load(example_repo)
    assert project.ok, [str(d) for d in project.diagnostics]
    run = evaluate(loaded_duckdb, project, _order(project), "0" * 64, AS_OF, gates=no_gates)
    negative = next(k for k in run.kpis if k.kpi_id == "brand.customer.negative_volume")
    assert negative.status is Status.ERROR and "sentiment_score" in negative.reason
    assert run.status == "ok"  # one KPI's problem is that KPI's status, not the run's


def _crisis_repo(repo: Path) -> kpigov.Project:
    """Declare a crisis around the as-of date and make net sentiment's detector fire on the synthetic data."""
    _edit(repo, "policies/calendar.yaml", "type: crisis, start: 2026-08-18, end: 2026-09-08",
          "type: crisis, start: 2026-11-10, end: 2026-11-30")
    project = kpigov.load(repo)
    assert project.ok, [str(d) for d in project.diagnostics]
    return project


def test_a_spike_during_a_crisis_in_hold_mode_is_withheld_until_an_override_releases_it(
        example_repo: Path, loaded_duckdb: Store) -> None:
    project = _crisis_repo(example_repo)
    order = _order(project)
    held = evaluate(loaded_duckdb, project, order, "0" * 64, AS_OF, gates=no_gates)
    sentiment = next(k for k in held.kpis if k.kpi_id == "brand.customer.net_sentiment")
    spike = next(s for s in sentiment.spikes if s.detector == "negative-spike")
    assert spike.fired and spike.crisis == "sole-recall" and spike.action == "held"
    assert sentiment.status is Status.WITHHELD and sentiment.value is not None
    assert "held for a manual override" in sentiment.reason
    assert any(a.alert.trigger == "spike" for a in held.alerts)

    with pytest.raises(ValueError, match="who decided"):
        record_override(loaded_duckdb, sentiment.kpi_id, sentiment.period.start, "release", " ", "why")
    record_override(loaded_duckdb, sentiment.kpi_id, sentiment.period.start, "release", "Hannah Okafor (PR)",
                    "spike explained by the recall coverage")
    released = evaluate(loaded_duckdb, project, order, "0" * 64, AS_OF, gates=no_gates)
    again = next(k for k in released.kpis if k.kpi_id == "brand.customer.net_sentiment")
    assert again.status is Status.OK and again.value == sentiment.value
    assert next(s for s in again.spikes if s.detector == "negative-spike").action == "released"


def test_recalibrate_override_rebases_the_baseline_on_the_crisis(example_repo: Path, loaded_duckdb: Store) -> None:
    project = _crisis_repo(example_repo)
    kpi_id = "brand.customer.net_sentiment"
    record_override(loaded_duckdb, kpi_id, date(2026, 11, 16), "recalibrate", "PR desk", "new regime during the recall")
    run = evaluate(loaded_duckdb, project, _order(project), "0" * 64, AS_OF, gates=no_gates)
    result = next(k for k in run.kpis if k.kpi_id == kpi_id)
    assert result.status is Status.OK and result.baseline is not None
    assert result.baseline.mode == "recalibrated"
    assert [str(p) for p in result.baseline.periods] == ["2026-11-09..2026-11-15"]  # the one earlier crisis week
