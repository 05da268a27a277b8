"""``kpigov review`` on a real history: it must find the true lead and call the noise noise."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import kpigov
from kpigov.cli.main import app
from kpigov.lifecycle import BadQuarterError, review, review_window
from kpigov.specs.config import ReviewCriteria
from kpigov.store import open_store, schema
from tests.lifecycle.conftest import NET_SENTIMENT, NOISE_JUDGED, History


def _review(history: History, quarter: str = "2026Q3"):
    project = kpigov.load(history.repo)
    with open_store(history.url, create=False) as store, store.engine.connect() as conn:
        return {k.kpi_id: k for k in review(conn, project, quarter).kpis}


def test_keeps_net_sentiment_which_leads_weekly_sales_by_two_weeks(history: History) -> None:
    found = _review(history)[NET_SENTIMENT]
    assert found.recommendation == "keep", found.reasons
    (sales,) = found.outcomes
    assert sales.series == "weekly_sales"
    assert sales.correlation is not None
    assert sales.correlation.lag == 2  # the sample world's true lag
    assert sales.correlation.low > ReviewCriteria().retire_below_abs_r
    assert sales.correlation.p_value < 0.01


def test_retires_a_kpi_judged_only_against_noise(history: History) -> None:
    found = _review(history)[NOISE_JUDGED]
    assert [o.series for o in found.outcomes] == ["web_visits_noise"]
    assert found.recommendation == "retire", found.reasons
    c = found.outcomes[0].correlation
    assert c is not None and c.low < ReviewCriteria().retire_below_abs_r


def test_reports_availability_over_the_whole_window(history: History) -> None:
    found = _review(history)[NET_SENTIMENT]
    # 2026Q1..Q3 holds 38 complete ISO weeks; the history starts in February
    assert found.periods == 38
    assert found.published == history.runs
    assert found.withheld == 0


def test_kpis_never_evaluated_are_revised_for_lack_of_history(history: History) -> None:
    found = _review(history)["brand.customer.mention_volume"]
    assert found.published == 0
    assert found.recommendation == "revise"
    assert "not enough history" in found.reasons[0]


def test_withheld_values_above_the_declared_share_mean_revise(history: History, tmp_path: Path) -> None:
    copy = History(history.repo, f"duckdb:///{tmp_path / 'store.duckdb'}", history.runs)
    shutil.copy(history.url.removeprefix("duckdb:///"), tmp_path / "store.duckdb")
    with open_store(copy.url, create=False) as store, store.transaction() as conn:
        k = schema.kpi_results
        conn.execute(sa.update(k).where(k.c.kpi_id == NET_SENTIMENT, k.c.period_start >= date(2026, 6, 1))
                     .values(status="withheld"))
    found = _review(copy)[NET_SENTIMENT]
    assert found.withheld_share > ReviewCriteria().max_withheld_share
    assert found.recommendation == "revise"
    assert "withheld" in found.reasons[0]


@pytest.mark.parametrize(("quarter", "quarters", "start", "end"), [
    ("2026Q3", 3, "2026-01-01", "2026-09-30"),
    ("2026Q1", 2, "2025-10-01", "2026-03-31"),
    ("2026Q4", 1, "2026-10-01", "2026-12-31"),
])
def test_review_window(quarter: str, quarters: int, start: str, end: str) -> None:
    window = review_window(quarter, quarters)
    assert (window.start.isoformat(), window.end.isoformat()) == (start, end)


@pytest.mark.parametrize("bad", ["2026Q5", "2026-Q3", "Q3", ""])
def test_bad_quarter_is_refused(bad: str) -> None:
    with pytest.raises(BadQuarterError, match="YYYYQn"):
        review_window(bad, 3)


def test_cli_json_and_exit_codes(history: History) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["review", "--quarter", "2026Q3", "--repo", str(history.repo), "--store", history.url,
                               "--format", "json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["criteria"]["retire_below_abs_r"] == 0.2
    by_id = {k["kpi_id"]: k for k in report["kpis"]}
    assert by_id[NET_SENTIMENT]["recommendation"] == "keep"
    assert by_id[NOISE_JUDGED]["recommendation"] == "retire"
    bad = runner.invoke(app, ["review", "--quarter", "2026Q9", "--repo", str(history.repo), "--store", history.url])
    assert bad.exit_code == 2
    assert "YYYYQn" in bad.stderr
    absent = runner.invoke(app, ["review", "--quarter", "2026Q3", "--repo", str(history.repo),
                                 "--store", f"duckdb:///{history.repo / 'absent.duckdb'}"])
    assert absent.exit_code == 2
    assert not (history.repo / "absent.duckdb").exists()
