"""Real tweets (FiveThirtyEight twitter-ratio) ingested, evaluated, and checked against pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import kpigov
from kpigov.compiler import compile_project
from kpigov.evaluate import Status, evaluate, evaluation_order, open_for_evaluation
from kpigov.ingest import DedupRules, IngestRules, ingest_file
from kpigov.store import open_store, schema
from tests.evaluate.conftest import no_gates

ACCOUNTS = ("BarackObama", "realDonaldTrump")
KPIS = """\
apiVersion: kpigov/v1
kind: KPI
metadata: {{id: brand.customer.{name}, version: 1.0.0, owner: team/social-analytics, tags: [scorecard], description: Real tweets.}}
spec:
  perspective: customer
  indicator: leading
  polarity: higher_is_better
  unit: {unit}
  frequency: monthly
  review: quarterly
  status: active
  source: dataset/mentions
  filter: "{filter}"
  measure: {measure}
"""
WEIGHTS = {"mention": 1.0, "likes": 0.001, "shares": 0.01, "comments": 0.02}


def _specs(obama: str, trump: str) -> dict[str, tuple[str, str, str]]:
    """Three KPIs over the two accounts, named as ingestion stored their entities."""
    return {
        "obama_volume": ("count", f"entity = '{obama}'", "{type: count}"),
        "trump_engagement": ("score", f"entity = '{trump}'", "{type: weighted_score, aggregate: mean, weights: "
                             "{mention: 1.0, likes: 0.001, shares: 0.01, comments: 0.02}}"),
        "obama_voice": ("ratio", "not is_bot", f"{{type: share_of_voice, panel: {{brand: {obama}, competitors: [{trump}], "
                        "locked: true, platforms: [x], timeframe: {start: 2015-01-01, end: 2018-12-31}}}"),
    }


def test_real_tweets_match_pandas(shared_data: Path, example_repo: Path, duckdb_url: str) -> None:
    rules = IngestRules(DedupRules(collapse_reposts=True, quotes_count_as_mentions=True, cross_platform_window=None,
                                   min_text_length_for_text_dedup=10))
    with open_store(duckdb_url, create=True) as store:
        for account in ACCOUNTS:
            ingest_file(store, shared_data / "fivethirtyeight-twitter-ratio" / f"{account}.csv", "fivethirtyeight", rules=rules)
    with open_for_evaluation(duckdb_url) as store:
        with store.engine.connect() as conn:
            df = pd.DataFrame(conn.execute(sa.select(schema.mentions)).mappings().all())
        df = df[df.duplicate_of.isna()]
        obama_entity, trump_entity = (df.entity[df.author_handle == a].iloc[0] for a in ACCOUNTS)
        specs = _specs(obama_entity, trump_entity)
        for name, (unit, where, measure) in specs.items():
            (example_repo / "kpi_specs" / f"{name}.yaml").write_text(KPIS.format(name=name, unit=unit, filter=where, measure=measure))
        project = kpigov.load(example_repo)
        assert project.ok, [str(d) for d in project.diagnostics]
        months = df.created_at.dt.to_period("M")
        both = months[df.entity == obama_entity].value_counts().add(months[df.entity == trump_entity].value_counts(), fill_value=0)
        busiest = both.idxmax()
        start, end = busiest.start_time.date(), busiest.end_time.date()
        order = evaluation_order(project, compile_project(project).kpi_order, [f"brand.customer.{n}" for n in specs])
        run = evaluate(store, project, order, "0" * 64, end, gates=no_gates)
    results = {k.kpi_id.rsplit(".", 1)[1]: k for k in run.kpis}
    month = df[(df.created_at.dt.date >= start) & (df.created_at.dt.date <= end)]
    obama, trump = month[month.entity == obama_entity], month[month.entity == trump_entity]
    assert len(obama) and len(trump)
    engagement = (1.0 + sum(w * trump[c].fillna(0).astype(float) for c, w in WEIGHTS.items() if c != "mention")).mean()
    expected = {"obama_volume": float(len(obama)), "trump_engagement": float(engagement),
                "obama_voice": len(obama) / (len(obama) + len(trump))}
    for name, value in expected.items():
        assert results[name].status is Status.OK, results[name].reason
        assert (results[name].period.start, results[name].period.end) == (start, end)
        assert results[name].value == pytest.approx(value, rel=1e-9), name
