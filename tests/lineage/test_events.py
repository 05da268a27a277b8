"""Every event kpigov builds, and every facet in it, validates against the official OpenLineage schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openlineage.client.serde import Serde

import kpigov
from kpigov.lineage import (
    KPI_SPEC_FACET_KEY,
    ColumnSource,
    KpiMetadata,
    LineageDataset,
    LineageError,
    ParentRun,
    SourceLocation,
    ingest_run_events,
    new_run_id,
    run_events,
)
from kpigov.lineage.naming import table_dataset
from tests.lineage.olspec import OpenLineageSpec

STORE = "duckdb:////srv/kpigov/store.duckdb"
GX_OUTCOMES = [
    {"assertion": "expect_column_values_to_not_be_null", "column": "mention_id", "success": True, "severity": "error",
     "name": "mentions-core/ids-present"},
    {"assertion": "expect_column_values_to_be_between", "column": "sentiment_score", "success": False,
     "severity": "warn", "expected": {"min_value": -1, "max_value": 1}, "actual": 3, "params": {"mostly": 0.99}},
]


def _kpi_run(example_repo: Path):  # type: ignore[no-untyped-def]
    project = kpigov.load(example_repo)
    spec = next(k for k in project.kpis if k.id == "brand.customer.net_sentiment")
    kpi = KpiMetadata.from_spec(spec, fingerprint="9f" * 32, spec_path="kpi_specs/customer/net_sentiment.yaml")
    mentions = LineageDataset.table(STORE, "mentions", assertions=GX_OUTCOMES, metrics={
        "rowCount": 120_000, "columnMetrics": {"sentiment_score": {"nullCount": 3, "min": -0.98, "max": 0.99}}})
    outcomes = LineageDataset.table(STORE, "outcomes")
    results = LineageDataset.table(STORE, "kpi_results", row_count=1)
    return run_events(
        kpi=kpi, inputs=[mentions, outcomes], output=results,
        column_lineage={"value": [ColumnSource(mentions, "sentiment_label", description="net sentiment, talkwalker")]},
        filters=[ColumnSource(mentions, c, "INDIRECT", "FILTER") for c in ("entity", "is_bot", "duplicate_of")],
        source=SourceLocation("https://git.example.com/stridewell/governance.git", "3" * 40, "main"),
        parent=ParentRun("kpigov", "evaluate", new_run_id()))


def _sent(event: object) -> dict:  # type: ignore[type-arg]
    return json.loads(Serde.to_json(event))


def test_kpi_run_events_and_all_their_facets_validate(example_repo: Path, ol_spec: OpenLineageSpec) -> None:
    lineage = _kpi_run(example_repo)
    events = [lineage.start(), lineage.complete(), lineage.fail(ValueError("quality gate failed")), lineage.abort()]
    for event in map(_sent, events):
        assert ol_spec.errors(event) == [], event["eventType"]
    complete = _sent(lineage.complete())
    assert complete["job"] | {"facets": None} == {"namespace": "kpigov", "name": "evaluate.brand.customer.net_sentiment",
                                                 "facets": None}
    job = complete["job"]["facets"]
    assert job[KPI_SPEC_FACET_KEY]["specVersion"] == "2.1.0" and job[KPI_SPEC_FACET_KEY]["fingerprint"] == "9f" * 32
    assert job["ownership"]["owners"] == [{"name": "team:social-analytics", "type": "OWNER"}]
    assert job["documentation"]["description"].startswith("Net sentiment")
    assert job["sourceCodeLocation"]["version"] == "3" * 40
    mentions = complete["inputs"][0]
    assert mentions["namespace"] == "duckdb:///srv/kpigov/store.duckdb" and mentions["name"] == "store.main.mentions"
    assert [a["success"] for a in mentions["inputFacets"]["dataQualityAssertions"]["assertions"]] == [True, False]
    assert mentions["inputFacets"]["dataQualityMetrics"]["rowCount"] == 120_000
    output = complete["outputs"][0]
    assert output["facets"]["columnLineage"]["fields"]["value"]["inputFields"][0]["field"] == "sentiment_label"
    assert len(output["facets"]["columnLineage"]["dataset"]) == 3
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 1
    fail = _sent(lineage.fail(ValueError("quality gate failed")))
    assert fail["run"]["facets"]["errorMessage"]["message"] == "ValueError: quality gate failed"
    assert {e["run"]["runId"] for e in map(_sent, events)} == {lineage.run_id}


def test_ingest_run_events_validate(tmp_path: Path, ol_spec: OpenLineageSpec) -> None:
    lineage = ingest_run_events(source_name="x", input_file=LineageDataset.file(tmp_path / "x-export.jsonl"),
                                output=LineageDataset.table(STORE, "mentions", row_count=5_000))
    for event in (lineage.start(), lineage.complete()):
        assert ol_spec.errors(_sent(event)) == []
    assert _sent(lineage.complete())["inputs"][0] == {"namespace": "file", "name": str(tmp_path / "x-export.jsonl"),
                                                     "facets": {}, "inputFacets": {}}


def test_the_validator_is_not_vacuous(example_repo: Path, ol_spec: OpenLineageSpec) -> None:
    event = _sent(_kpi_run(example_repo).complete())
    del event["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"][0]["success"]
    event["job"]["facets"][KPI_SPEC_FACET_KEY]["specVersion"] = "two"
    event["run"]["runId"] = "not-a-uuid"
    problems = "\n".join(ol_spec.errors(event))
    assert "dataQualityAssertions" in problems and KPI_SPEC_FACET_KEY in problems and "runId" in problems


def test_gx_outcomes_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(LineageError, match="success"):
        run_events(kpi=KpiMetadata("k.a.b", "1.0.0", "f"), output=LineageDataset("n", "o"),
                   inputs=[LineageDataset("n", "i", assertions=[{"assertion": "x", "success": "yes"}])])
    with pytest.raises(LineageError, match="unknown keys: colum"):
        run_events(kpi=KpiMetadata("k.a.b", "1.0.0", "f"), output=LineageDataset("n", "o"),
                   inputs=[LineageDataset("n", "i", assertions=[{"assertion": "x", "success": True, "colum": "c"}])])


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql+psycopg://kpi:secret@db.internal:6432/brand", ("postgres://db.internal:6432", "brand.public.mentions")),
    ("postgresql+psycopg://postgres@127.0.0.1/test?options=-csearch_path%3Dkpigov_a1",
     ("postgres://127.0.0.1:5432", "test.kpigov_a1.mentions")),
    ("duckdb:///:memory:", ("duckdb://memory", "memory.main.mentions")),
])
def test_dataset_names_follow_the_naming_spec_without_credentials(url: str, expected: tuple[str, str]) -> None:
    assert table_dataset(url, "mentions") == expected
