"""``kpigov compare``: a real crisis moves net sentiment; two quiet weeks do not."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

import kpigov
from kpigov.cli.main import app
from kpigov.evaluate.periods import Period
from kpigov.lifecycle import LifecycleError, UnknownSubjectError
from kpigov.lifecycle.compare import compare_periods, event_periods
from kpigov.store import open_store
from tests.lifecycle.conftest import NET_SENTIMENT, History

BEFORE_RECALL = Period(date(2026, 8, 3), date(2026, 8, 9))
RECALL_WEEK = Period(date(2026, 8, 17), date(2026, 8, 23))  # the sample world's crisis starts 2026-08-18


def _compare(history: History, kpi_id: str, a: Period, b: Period):
    project = kpigov.load(history.repo)
    with open_store(history.url, create=False) as store, store.engine.connect() as conn:
        return compare_periods(conn, project, kpi_id, a, b)


def test_the_crisis_week_is_a_significant_fall(history: History) -> None:
    result = _compare(history, NET_SENTIMENT, BEFORE_RECALL, RECALL_WEEK)
    assert result.difference < 0
    assert result.high < 0 and result.significant
    assert result.low <= result.difference <= result.high


def test_values_are_the_evaluators_values(history: History) -> None:
    import sqlalchemy as sa

    from kpigov.store import schema

    result = _compare(history, NET_SENTIMENT, BEFORE_RECALL, RECALL_WEEK)
    k = schema.kpi_results
    with open_store(history.url, create=False) as store, store.engine.connect() as conn:
        stored = dict(conn.execute(sa.select(k.c.period_start, k.c.value).where(k.c.kpi_id == NET_SENTIMENT)).all())
    assert result.value_a == pytest.approx(stored[BEFORE_RECALL.start])
    assert result.value_b == pytest.approx(stored[RECALL_WEEK.start])


def test_two_quiet_weeks_show_no_evidence_of_a_change(history: History) -> None:
    result = _compare(history, NET_SENTIMENT, Period(date(2026, 4, 6), date(2026, 4, 12)),
                      Period(date(2026, 4, 13), date(2026, 4, 19)))
    assert result.low < 0 < result.high and not result.significant


def test_event_against_the_period_before_it(history: History) -> None:
    control, event = event_periods(kpigov.load(history.repo), "sole-recall")
    assert event == Period(date(2026, 8, 18), date(2026, 9, 8))
    assert control.days == event.days and control.end == date(2026, 8, 17)
    with pytest.raises(UnknownSubjectError):
        event_periods(kpigov.load(history.repo), "no-such-event")


def test_refusals(history: History) -> None:
    with pytest.raises(LifecycleError, match="derived KPI"):
        _compare(history, "brand.customer.positive_share", BEFORE_RECALL, RECALL_WEEK)
    with pytest.raises(LifecycleError, match="no value"):
        _compare(history, NET_SENTIMENT, BEFORE_RECALL, Period(date(2027, 1, 4), date(2027, 1, 10)))


def test_cli(history: History) -> None:
    runner = CliRunner()
    base = ["compare", NET_SENTIMENT, "--repo", str(history.repo), "--store", history.url]
    done = runner.invoke(app, [*base, "--event", "sole-recall", "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["significant"] is True
    assert runner.invoke(app, [*base, "--a", "2026-08-03..2026-08-09"]).exit_code == 2
    assert runner.invoke(app, [*base, "--a", "2026-08-09..2026-08-03", "--b", "2026-08-17..2026-08-23"]).exit_code == 2
    unknown = runner.invoke(app, ["compare", "brand.customer.nope", "--event", "sole-recall",
                                  "--repo", str(history.repo), "--store", history.url])
    assert unknown.exit_code == 2 and "unknown KPI" in unknown.stderr
