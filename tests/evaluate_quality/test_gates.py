"""The example suite on a small store, then broken data, missing data and expectations that cannot run."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select, update

import kpigov
from kpigov.evaluate.quality import GateReport, run_gates
from kpigov.evaluate.quality.runner import DATASET_RULE_ID
from kpigov.project import Project
from kpigov.specs import ExpectationSuite
from kpigov.store import Store, schema

MENTIONS = "dataset/mentions"
m = schema.mentions


def _suite(repo: Path, name: str, body: str) -> ExpectationSuite:
    """Add an ExpectationSuite file to a copy of the example repository and load it from YAML."""
    (repo / "expectations" / f"{name}.yaml").write_text(body, encoding="utf-8")
    project = kpigov.load(repo)
    suite = project.get(f"suite/{name}")
    assert isinstance(suite, ExpectationSuite), [str(d) for d in project.diagnostics]
    return suite


def _suite_yaml(name: str, dataset: str, expectations: str) -> str:
    return (f"apiVersion: kpigov/v1\nkind: ExpectationSuite\nmetadata: {{id: {name}, version: 1.0.0, "
            f"owner: team/social-analytics}}\nspec:\n  dataset: {dataset}\n  expectations:\n{expectations}")


def test_example_suite_passes_on_clean_sample_data(sample_store: Store, example_project: Project) -> None:
    report = run_gates(sample_store, example_project)
    result = report.suites["suite/mentions-core"]
    assert result.success, [o for o in result.results if not o.success]
    assert [o.rule_id for o in result.results] == [e.id for e in example_project.get("suite/mentions-core").spec.expectations]
    rows = report.suites["suite/mentions-core"].results[0].element_count
    assert rows is not None and rows > 1000
    assert report.blocking(MENTIONS) == [] and report.warnings(MENTIONS) == []
    # GX's own result is kept, serialisable, and carries kpigov's rule ids and severities.
    gx = json.loads(json.dumps(result.gx_result))
    assert gx["success"] is True
    assert {r["expectation_config"]["meta"]["kpigov_rule_id"] for r in gx["results"]} == {o.rule_id for o in result.results}
    assert {r["expectation_config"]["severity"] for r in gx["results"]} == {"critical", "warning"}


def test_broken_rows_block_on_error_and_annotate_on_warning(sample_store: Store, example_project: Project) -> None:
    with sample_store.transaction() as conn:
        ids = conn.execute(select(m.c.mention_id).order_by(m.c.mention_id)).scalars().all()
        out_of_range, unscored = ids[:3], ids[3:3 + len(ids) // 20]  # 5 % unscored breaks mostly: 0.99
        conn.execute(update(m).where(m.c.mention_id.in_(out_of_range)).values(sentiment_score=7.5))
        conn.execute(update(m).where(m.c.mention_id.in_(unscored)).values(sentiment_label=None))
    report = run_gates(sample_store, example_project)
    blocking, warnings = report.blocking(MENTIONS), report.warnings(MENTIONS)
    assert [(o.rule_id, o.unexpected_count) for o in blocking] == [("sentiment-in-range", 3)]
    assert [(o.rule_id, o.unexpected_count) for o in warnings] == [("sentiment-scored", len(unscored))]
    assert "3 of" in blocking[0].reason
    assert report.suites["suite/mentions-core"].gx_result["success"] is False


def test_an_empty_table_withholds_with_a_reason(empty_store: Store, example_project: Project) -> None:
    report = run_gates(empty_store, example_project)
    [outcome] = report.blocking(MENTIONS)
    assert (outcome.rule_id, outcome.severity, outcome.success) == (DATASET_RULE_ID, "error", False)
    assert outcome.exception == "table 'mentions' has no rows"


def test_a_missing_table_withholds_with_a_reason(sample_store: Store, example_repo: Path) -> None:
    datasets = example_repo / "policies" / "datasets" / "mentions.yaml"
    datasets.write_text(datasets.read_text().replace("table: mentions", "table: mentions_archive", 1))
    report = run_gates(sample_store, kpigov.load(example_repo))
    [outcome] = report.blocking(MENTIONS)
    assert outcome.exception == "table 'mentions_archive' does not exist in the store"


def test_an_outcome_series_is_validated_alone(sample_store: Store, example_repo: Path) -> None:
    with sample_store.transaction() as conn:
        weekly = conn.execute(select(func.count()).where(schema.outcomes.c.series == "weekly_sales")).scalar_one()
        total = conn.execute(select(func.count()).select_from(schema.outcomes)).scalar_one()
    assert 0 < weekly < total
    suite = _suite(example_repo, "weekly-sales-core", _suite_yaml("weekly-sales-core", "dataset/weekly-sales", (
        f"    - {{id: one-row-per-week, type: expect_table_row_count_to_equal, kwargs: {{value: {weekly}}}, severity: error}}\n"
        "    - {id: value-present, type: expect_column_values_to_not_be_null, kwargs: {column: value}, severity: error}\n")))
    report = run_gates(sample_store, kpigov.load(example_repo), [suite])
    result = report.suites["suite/weekly-sales-core"]
    assert result.success, result.results
    assert result.results[0].observed_value == weekly


def test_expectations_that_cannot_run_fail_and_never_pass(sample_store: Store, example_repo: Path) -> None:
    suite = _suite(example_repo, "mentions-strict", _suite_yaml("mentions-strict", MENTIONS, (
        "    - {id: handle-shape, type: expect_column_values_to_match_regex, kwargs: {column: platform, regex: '^[a-z]+$'}, severity: error}\n"
        "    - {id: in-order, type: expect_column_values_to_be_increasing, kwargs: {column: created_at}, severity: warning}\n"
        "    - {id: bad-mostly, type: expect_column_values_to_not_be_null, kwargs: {column: text, mostly: 2}, severity: error}\n"
        "    - {id: no-column, type: expect_column_values_to_not_be_null, kwargs: {column: no_such_column}, severity: error}\n")))
    report = run_gates(sample_store, kpigov.load(example_repo), [suite])
    outcomes = {o.rule_id: o for o in report.suites["suite/mentions-strict"].results}
    assert not any(o.success for o in outcomes.values() if o.rule_id != "handle-shape")
    assert all(o.exception for o in outcomes.values() if not o.success)
    assert "Great Expectations refuses it" in outcomes["bad-mostly"].exception
    assert "no SQL implementation" in outcomes["in-order"].exception
    assert [o.rule_id for o in report.warnings(MENTIONS)] == ["in-order"]
    if sample_store.backend.name == "duckdb":
        assert outcomes["handle-shape"].exception.startswith("not supported on duckdb")
    else:  # PostgreSQL runs regex expectations for real
        assert outcomes["handle-shape"].success and outcomes["handle-shape"].element_count


def test_report_without_suites_blocks_nothing() -> None:
    assert GateReport().blocking(MENTIONS) == [] and GateReport().success
