"""Periods, escalation routing and spike statistics, checked against independent computations."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from kpigov.evaluate import Alert, evaluation_period, route
from kpigov.evaluate.aggregate import Grid
from kpigov.evaluate.periods import Period, reference_periods, subtract
from kpigov.evaluate.spikes import detect, grid_for
from kpigov.project import Project
from kpigov.specs import EscalationPolicy
from kpigov.specs.kpi import SpikeDetector


@pytest.mark.parametrize(("frequency", "as_of", "expected"), [
    ("weekly", date(2026, 11, 22), Period(date(2026, 11, 16), date(2026, 11, 22))),  # a Sunday ends its week
    ("weekly", date(2026, 11, 25), Period(date(2026, 11, 16), date(2026, 11, 22))),  # mid-week: the last full week
    ("monthly", date(2026, 11, 22), Period(date(2026, 10, 1), date(2026, 10, 31))),
    ("monthly", date(2026, 2, 28), Period(date(2026, 2, 1), date(2026, 2, 28))),
    ("quarterly", date(2026, 11, 22), Period(date(2026, 7, 1), date(2026, 9, 30))),
    ("daily", date(2026, 11, 22), Period(date(2026, 11, 22), date(2026, 11, 22))),
])
def test_evaluation_period_is_the_last_complete_one(frequency: str, as_of: date, expected: Period) -> None:
    assert evaluation_period(frequency, as_of) == expected  # type: ignore[arg-type]


def test_reference_periods_cover_the_window_before_the_period() -> None:
    weeks = reference_periods("weekly", Period(date(2026, 11, 16), date(2026, 11, 22)), "P8W")
    assert [p.start for p in weeks] == [date(2026, 11, 16) - timedelta(weeks=i) for i in range(8, 0, -1)]
    months = reference_periods("monthly", Period(date(2026, 3, 1), date(2026, 3, 31)), "P3M")
    assert [p.start for p in months] == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert subtract(date(2026, 3, 31), "P1M") == date(2026, 2, 28)


def test_routing_names_teams_tiers_channels_and_escalation_times(example: Project) -> None:
    policy = example.get("escalation/brand-negative-cluster")
    assert isinstance(policy, EscalationPolicy)
    raised = datetime(2026, 11, 22, 9, 0)
    routed = route(Alert("brand.customer.net_sentiment", "band_breach", "red", band="red"), policy, raised)
    assert routed is not None and routed.severity == "high"
    assert [(t.level, t.team, t.channel, t.notify_at) for t in routed.tiers] == [
        (1, "team/pr", "pager", raised),
        (2, "team/legal", "email", raised + timedelta(hours=1)),
        (3, "team/executive-office", "email", raised + timedelta(hours=5)),
    ]
    assert "@" not in str(routed.to_json())  # teams, never people's contacts
    assert route(Alert("k", "band_breach", "amber", band="amber"), policy, raised) is None  # only red triggers
    assert route(Alert("k", "spike", "s", detector="volume-spike"), policy, raised) is None
    assert route(Alert("k", "spike", "s", detector="negative-spike"), policy, raised) is not None
    assert route(Alert("k", "negative_cluster", "c", cluster_size=24), policy, raised) is None
    assert route(Alert("k", "negative_cluster", "c", cluster_size=25), policy, raised) is not None


def test_topic_filtered_triggers_only_route_alerts_about_those_topics(example: Project) -> None:
    policy = example.get("escalation/care-complaints")
    assert isinstance(policy, EscalationPolicy)
    raised = datetime(2026, 11, 22)
    assert route(Alert("k", "negative_cluster", "c", topic="delivery", cluster_size=15), policy, raised) is not None
    assert route(Alert("k", "negative_cluster", "c", topic="design", cluster_size=99), policy, raised) is None


def _buckets(values: list[float]) -> dict[int, dict[str, float]]:
    return {i: {"n": v} for i, v in enumerate(values)}


@pytest.mark.parametrize("method", ["sigma", "mad"])
def test_spike_scores_match_numpy(method: str) -> None:
    detector = SpikeDetector(id="d", on="volume", method=method, threshold=3.0, min_volume=10)
    grid = grid_for(detector, datetime(2026, 11, 23))
    assert isinstance(grid, Grid) and grid.edges is not None and len(grid.edges) == 9  # recent + 7 days
    reference = [100.0, 120, 90, 110, 105, 95, 130]
    result = detect(detector, _buckets([200.0, *reference]), grid)
    ref = np.array(reference)
    if method == "sigma":
        expected = (200 - ref.mean()) / ref.std(ddof=1)
    else:
        mad = np.median(np.abs(ref - np.median(ref)))
        expected = 0.6745 * (200 - np.median(ref)) / mad
    assert result.score == pytest.approx(expected, rel=1e-12) and result.fired


def test_small_or_flat_spans_and_sentiment_direction() -> None:
    grid = grid_for(SpikeDetector(id="d", on="volume", method="sigma"), datetime(2026, 11, 23))
    quiet = detect(SpikeDetector(id="d", on="volume", method="sigma", min_volume=500), _buckets([400.0] + [10.0] * 7), grid)
    assert not quiet.fired and "below min_volume" in quiet.reason
    sentiment = SpikeDetector(id="s", on="sentiment", method="sigma", threshold=2)
    totals = {0: {"n": 100, "positive": 10, "negative": 60}}
    totals.update({i: {"n": 100, "positive": 50 + i, "negative": 20} for i in range(1, 8)})
    collapse = detect(sentiment, totals, grid)
    assert collapse.fired and collapse.score is not None and collapse.score > 2  # a fall in sentiment is the spike
