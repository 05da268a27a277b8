"""``kpigov compare --cohorts``: two arms of an A/B comms test, compared over the experiment's days.

The example repository's ``care-tone-test`` (2026-10-05..2026-10-25) has two cohorts:
``empathetic`` (geo GB, IE, AU) and ``standard`` (geo US, CA). The stores here hold synthetic
October mentions whose ``geo`` is drawn per mention, so the tests know the right answer: no
difference when sentiment ignores geo, a clear one when the empathetic arm's sentiment is raised.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import kpigov
from kpigov.cli.main import app
from kpigov.lifecycle import CohortComparison, LifecycleError, UnknownSubjectError, compare_cohorts
from kpigov.project import Project
from kpigov.store import open_store
from tests.conftest import copy_example
from tests.evaluate import reference
from tests.evaluate.synthetic import load, synthetic_mentions
from tests.lifecycle.conftest import NET_SENTIMENT

EVENT, START, END = "care-tone-test", date(2026, 10, 5), date(2026, 10, 25)
GEOS, GEO_SHARES = ("US", "CA", "GB", "AU", "DE"), (0.35, 0.1, 0.25, 0.1, 0.2)
EMPATHETIC, STANDARD = ("GB", "IE", "AU"), ("US", "CA")
#: Extra cohorts for the refusals: one matching no mention, one with mentions on three days only,
#: one in the old bare-name form (loads with a warning, cannot be compared).
EXTRA_COHORTS = """
        - {id: nowhere, where: "geo = 'NZ'"}
        - {id: sparse, where: "geo = 'IS'"}
        - legacy
"""
SPARSE_DAYS = (date(2026, 10, 6), date(2026, 10, 13), date(2026, 10, 20))
VENDOR_KPI = """apiVersion: kpigov/v1
kind: KPI
metadata:
  id: brand.customer.vendor_volume
  version: 1.0.0
  owner: team/social-analytics
  tags: [scorecard]
  description: Stridewell mentions in the vendor export (declares no geo column).
spec:
  perspective: customer
  indicator: leading
  polarity: higher_is_better
  unit: count
  frequency: weekly
  review: quarterly
  status: active
  source: dataset/vendor-mentions
  filter: "entity = 'stridewell' and not is_bot"
  dedup: dedup/default
  measure: {type: count}
"""


def october(*, lift: float = 0.0, seed: int = 11) -> pd.DataFrame:
    """Synthetic October mentions with a geo each; ``lift`` raises the empathetic arm's sentiment."""
    frame = synthetic_mentions(12_000, seed=seed, start=date(2026, 10, 1), end=date(2026, 10, 31)).to_pandas()
    rng = np.random.default_rng(seed)
    frame["geo"] = rng.choice(GEOS, len(frame), p=GEO_SHARES)
    sparse = frame.created_at.dt.date.isin(SPARSE_DAYS) & (rng.random(len(frame)) < 0.05)
    frame.loc[sparse, "geo"] = "IS"
    empathetic = frame.geo.isin(EMPATHETIC) & frame.sentiment_score.notna()
    frame.loc[empathetic, "sentiment_score"] = (frame.loc[empathetic, "sentiment_score"] + lift).clip(-1, 1)
    return frame


def twins() -> pd.DataFrame:
    """Every standard-arm mention again as an empathetic one: the arms differ in nothing but geo."""
    frame = october()
    frame["geo"] = np.where(frame.geo.isin(EMPATHETIC), "DE", frame.geo)
    copies = frame[frame.geo.isin(STANDARD)].copy()
    copies["geo"] = "GB"
    for column in ("mention_id", "native_id", "content_hash"):
        copies[column] = "twin-" + copies[column]
    copies["duplicate_of"] = np.where(copies.duplicate_of.notna(), "twin-" + copies.duplicate_of.astype(str), None)
    return pd.concat([frame, copies], ignore_index=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "repo")
    calendar = root / "policies" / "calendar.yaml"
    text = calendar.read_text(encoding="utf-8")
    anchor = "        - {id: standard, where: \"geo in ('US', 'CA')\"}\n"
    assert anchor in text, "the example experiment's cohorts changed: update this test"
    calendar.write_text(text.replace(anchor, anchor + EXTRA_COHORTS.lstrip("\n")), encoding="utf-8")
    (root / "kpi_specs" / "customer" / "vendor_volume.yaml").write_text(VENDOR_KPI, encoding="utf-8")
    return root


@pytest.fixture
def project(repo: Path) -> Project:
    loaded = kpigov.load(repo)
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    assert [d.code.code for d in loaded.diagnostics] == ["KG515"]  # the bare name 'legacy': a warning
    return loaded


def _store(url: str, frame: pd.DataFrame) -> str:
    from kpigov.store import schema
    from kpigov.store.arrow import arrow_schema

    target = arrow_schema(schema.mentions)
    table = pa.Table.from_pandas(frame[[f.name for f in target]], schema=target, preserve_index=False)
    with open_store(url, create=True) as store:
        load(store, table)
    return url


def _compare(url: str, project: Project, kpi_id: str, a: str, b: str) -> CohortComparison:
    with open_store(url, create=False) as store, store.engine.connect() as conn:
        return compare_cohorts(conn, project, kpi_id, EVENT, a, b)


def test_a_planted_difference_is_found(store_url: str, project: Project) -> None:
    url = _store(store_url, october(lift=0.3))
    result = _compare(url, project, NET_SENTIMENT, "standard", "empathetic")
    assert result.difference > 0.2
    assert result.low > 0 and result.significant
    assert result.low <= result.difference <= result.high
    assert (result.period.start, result.period.end, result.resamples) == (START, END, 2_000)


def test_no_difference_gives_an_interval_around_zero(store_url: str, project: Project) -> None:
    url = _store(store_url, october())
    result = _compare(url, project, NET_SENTIMENT, "standard", "empathetic")
    assert result.low < 0 < result.high and not result.significant


def test_values_are_the_kpi_on_each_cohorts_mentions(duckdb_url: str, project: Project) -> None:
    frame = october(lift=0.3)
    url = _store(duckdb_url, frame)
    in_event = frame.created_at.dt.date.between(START, END) & frame.duplicate_of.isna()
    for kpi_id in (NET_SENTIMENT, "brand.customer.mention_volume", "brand.customer.engagement_score",
                   "brand.customer.share_of_voice", "brand.internal_process.complaint_volume"):
        result = _compare(url, project, kpi_id, "standard", "empathetic")
        for cohort, geos, value, mentions in (("standard", STANDARD, result.value_a, result.mentions_a),
                                              ("empathetic", EMPATHETIC, result.value_b, result.mentions_b)):
            arm = frame[frame.geo.isin(geos)]
            assert value == pytest.approx(reference.value(arm, kpi_id, START, END), rel=1e-9), (kpi_id, cohort)
            assert mentions == int((in_event & frame.geo.isin(geos)).sum())


def test_the_bootstrap_is_paired_by_day(duckdb_url: str, project: Project) -> None:
    """Identical arms differ by exactly 0 in every replicate; unpaired resampling would not."""
    url = _store(duckdb_url, twins())
    result = _compare(url, project, NET_SENTIMENT, "standard", "empathetic")
    assert result.mentions_a == result.mentions_b > 0
    assert result.difference == 0 and result.low == 0 and result.high == 0


def test_the_interval_is_seeded(duckdb_url: str, project: Project) -> None:
    url = _store(duckdb_url, october(lift=0.1))
    first, second = (_compare(url, project, NET_SENTIMENT, "standard", "empathetic") for _ in range(2))
    assert first == second
    reversed_ = _compare(url, project, NET_SENTIMENT, "empathetic", "standard")
    assert reversed_.difference == pytest.approx(-first.difference)


def test_refusals(duckdb_url: str, project: Project) -> None:
    url = _store(duckdb_url, october())
    with pytest.raises(UnknownSubjectError, match=r"no cohort 'treated' \(its cohorts: empathetic, standard, nowhere"):
        _compare(url, project, NET_SENTIMENT, "standard", "treated")
    with pytest.raises(LifecycleError, match=r"cohort 'nowhere' of care-tone-test has no mentions .*geo = 'NZ'"):
        _compare(url, project, NET_SENTIMENT, "nowhere", "standard")
    with pytest.raises(LifecycleError, match="mentions on 3 day\\(s\\) only; an interval needs at least 5"):
        _compare(url, project, NET_SENTIMENT, "standard", "sparse")
    with pytest.raises(LifecycleError, match="cohort 'legacy' of 'care-tone-test' is only a name, with no condition"):
        _compare(url, project, NET_SENTIMENT, "legacy", "standard")
    with pytest.raises(LifecycleError, match="compared with itself"):
        _compare(url, project, NET_SENTIMENT, "standard", "standard")
    with pytest.raises(LifecycleError, match="derived KPI"):
        _compare(url, project, "brand.customer.positive_share", "standard", "empathetic")
    with pytest.raises(LifecycleError, match="cohort 'standard' of care-tone-test: unknown column 'geo' in "
                                             "dataset/vendor-mentions, the source of brand.customer.vendor_volume"):
        _compare(url, project, "brand.customer.vendor_volume", "standard", "empathetic")
    with open_store(url, create=False) as store, store.engine.connect() as conn:
        with pytest.raises(LifecycleError, match="event 'sole-recall' declares no cohorts"):
            compare_cohorts(conn, project, NET_SENTIMENT, "sole-recall", "standard", "empathetic")
        with pytest.raises(UnknownSubjectError, match="no event 'no-such-test'"):
            compare_cohorts(conn, project, NET_SENTIMENT, "no-such-test", "standard", "empathetic")


def test_cli(duckdb_url: str, repo: Path) -> None:
    url = _store(duckdb_url, october(lift=0.3))
    runner = CliRunner()
    base = ["compare", NET_SENTIMENT, "--repo", str(repo), "--store", url, "--event", EVENT]
    done = runner.invoke(app, [*base, "--cohorts", "standard", "empathetic", "--format", "json"])
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert (shown["a"]["cohort"], shown["b"]["cohort"], shown["event"], shown["paired"]) == ("standard", "empathetic", EVENT, True)
    assert shown["period"] == {"start": "2026-10-05", "end": "2026-10-25"}
    assert shown["significant"] is True and shown["low"] > 0
    assert shown["difference"] == pytest.approx(shown["b"]["value"] - shown["a"]["value"])
    text = runner.invoke(app, [*base, "--cohorts", "standard", "empathetic"])
    assert text.exit_code == 0, text.output
    assert "paired interval" in text.stdout and "the interval excludes 0" in text.stdout
    for args, message in (([*base, "--cohorts", "standard", "treated"], "no cohort 'treated'"),
                          ([*base, "--cohorts", "nowhere", "standard"], "has no mentions"),
                          (["compare", NET_SENTIMENT, "--repo", str(repo), "--store", url, "--event", "sole-recall",
                            "--cohorts", "standard", "empathetic"], "declares no cohorts"),
                          (["compare", NET_SENTIMENT, "--repo", str(repo), "--store", url, "--event", "no-such-test",
                            "--cohorts", "standard", "empathetic"], "no event 'no-such-test'")):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 2 and message in refused.stderr, (args, refused.output)
    lone = runner.invoke(app, [*base, "--cohorts", "standard"])
    assert lone.exit_code == 2 and "requires 2 arguments" in lone.stderr
    periods = runner.invoke(app, ["compare", NET_SENTIMENT, "--repo", str(repo), "--store", url,
                                  "--a", "2026-10-05..2026-10-11", "--b", "2026-10-12..2026-10-18",
                                  "--cohorts", "standard", "empathetic"])
    unboxed = " ".join(periods.stderr.replace("│", " ").split())  # the usage box wraps the message
    assert periods.exit_code == 2 and "give --event with --cohorts" in unboxed
