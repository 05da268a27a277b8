"""Every example KPI, its baseline and band against plain-pandas references, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from kpigov.evaluate import Status, evaluate
from kpigov.project import Project
from kpigov.store import Store
from tests.evaluate import reference
from tests.evaluate.conftest import no_gates
from tests.evaluate.synthetic import AS_OF

WEEK = (date(2026, 11, 16), date(2026, 11, 22))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
BASELINES = {  # KPI id -> (weeks, exclude launches-calendar events)
    "brand.customer.engagement_score": (8, True), "brand.customer.mention_volume": (8, True),
    "brand.customer.negative_volume": (8, True), "brand.customer.net_sentiment": (8, True),
    "brand.customer.net_sentiment_pct": (8, False), "brand.customer.positive_volume": (8, True),
    "brand.customer.share_of_voice": (12, False), "brand.financial.purchase_intent_volume": (8, True),
    "brand.internal_process.complaint_volume": (8, False), "brand.internal_process.durability_complaints": (8, True),
    "brand.learning_growth.design_feedback_volume": (12, False),
}


def test_every_kpi_matches_its_pandas_reference(loaded_store: Store, example: Project, example_order: list[str],
                                                frame: pd.DataFrame) -> None:
    run = evaluate(loaded_store, example, example_order, "0" * 64, AS_OF, gates=no_gates)
    assert run.status == "ok", run.error
    results = {k.kpi_id: k for k in run.kpis}
    assert len(results) == 13
    for kpi_id, result in results.items():
        start, end = OCTOBER if kpi_id == "brand.customer.public_mention_volume" else WEEK
        assert (result.period.start, result.period.end) == (start, end)
        expected = reference.value(frame, kpi_id, start, end)
        assert result.status is Status.OK, (kpi_id, result.reason)
        assert result.value == pytest.approx(expected, rel=1e-9, abs=1e-12), kpi_id
        if kpi_id in BASELINES:
            weeks, exclude = BASELINES[kpi_id]
            assert result.baseline is not None
            assert result.baseline.value == pytest.approx(
                reference.weekly_baseline(frame, kpi_id, start, weeks, exclude), rel=1e-9), kpi_id


def test_event_weeks_are_left_out_of_the_baseline_and_said_so(loaded_duckdb: Store, example: Project,
                                                              example_order: list[str]) -> None:
    run = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=no_gates)
    volume = next(k for k in run.kpis if k.kpi_id == "brand.customer.mention_volume")
    assert volume.baseline is not None and volume.baseline.mode == "events-excluded"
    excluded = {str(p): why for p, why in volume.baseline.excluded}
    assert excluded == {"2026-10-05..2026-10-11": "care-tone-test", "2026-10-12..2026-10-18": "care-tone-test",
                        "2026-10-19..2026-10-25": "care-tone-test"}
    assert len(volume.baseline.periods) == 5
    assert volume.change == pytest.approx(volume.value - volume.baseline.value)


def test_bands_follow_the_declared_thresholds(loaded_duckdb: Store, example: Project, example_order: list[str]) -> None:
    run = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF, gates=no_gates)
    for k in run.kpis:
        spec = example.get(f"kpi/{k.kpi_id}").spec  # type: ignore[union-attr]
        if k.kpi_id == "brand.learning_growth.design_feedback_volume":
            assert k.value < 200 and k.band is None and any("none of the declared bands" in n for n in k.notes)
        elif spec.bands is not None and k.value is not None:
            from kpigov.specs.kpi import parse_band

            assert parse_band(getattr(spec.bands, k.band)).matches(k.value), k.kpi_id


def test_a_period_without_any_mention_is_no_data_not_zero(loaded_duckdb: Store, example: Project,
                                                          example_order: list[str]) -> None:
    run = evaluate(loaded_duckdb, example, example_order, "0" * 64, AS_OF + timedelta(weeks=2), gates=no_gates)
    volume = next(k for k in run.kpis if k.kpi_id == "brand.customer.mention_volume")
    assert volume.status is Status.NO_DATA and volume.value is None
    assert "no mentions" in (volume.reason or "")
    share = next(k for k in run.kpis if k.kpi_id == "brand.customer.positive_share")
    assert share.status is Status.NO_DATA and share.reason.startswith("input brand.customer.positive_volume")
