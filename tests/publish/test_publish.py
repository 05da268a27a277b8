"""Public scorecard: OpenDP integer noise, budget ledger in the store, crisis withholding."""

from __future__ import annotations

import json
import statistics
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

import kpigov
from kpigov.publish import budget_period_start, mechanism, publish, spent
from kpigov.specs.kpi import PrivacyTreatment
from kpigov.store import Store, schema
from tests.publish.conftest import PUBLIC, TRUE_COUNT

AFTER_CRISIS = date(2026, 11, 25)
IN_CRISIS = date(2026, 8, 20)  # sole-recall crisis: 2026-08-18 .. 2026-09-08


def test_public_count_is_noised_budget_charged_and_internal_value_exact(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "public" / "scorecard.json"
    card = publish(kpigov.load("."), store, AFTER_CRISIS, out)
    (value,) = card.values
    assert value.status == "published" and isinstance(value.value, int) and value.epsilon == pytest.approx(0.5)
    written = json.loads(out.read_text())
    assert written["kpis"][0]["value"] == value.value and written["manifest_fingerprint"] == card.fingerprint
    assert str(TRUE_COUNT) not in out.read_text().replace(str(value.value), "")  # the exact count never leaks
    assert [p.name for p in out.parent.iterdir()] == ["scorecard.json"]  # no temporary file left
    with store.transaction() as conn:
        assert conn.execute(select(schema.kpi_results.c.value)).scalar_one() == TRUE_COUNT
        assert spent(conn, PUBLIC, date(2026, 11, 1)) == pytest.approx(0.5)


def test_budget_exhaustion_is_refused_and_recorded_nowhere(store: Store) -> None:
    project = kpigov.load(".")
    first, second, third = (publish(project, store, AFTER_CRISIS).values[0] for _ in range(3))
    assert first.status == second.status == "published"  # 2 × ε 0.5 = budget 1.0
    assert third.status == "withheld" and third.budget_refused and third.value is None
    with store.transaction() as conn:
        assert spent(conn, PUBLIC, date(2026, 11, 1)) == pytest.approx(1.0)
    december = publish(project, store, date(2026, 12, 2)).values[0]
    assert december.status == "published"  # a new period, a new budget


def test_crisis_related_kpi_is_withheld_while_a_crisis_is_open(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "scorecard.json"
    value = publish(kpigov.load("."), store, IN_CRISIS, out).values[0]
    assert value.status == "withheld" and "sole-recall" in (value.reason or "") and value.value is None
    with store.transaction() as conn:
        assert spent(conn, PUBLIC, date(2026, 8, 1)) == 0.0  # withholding spends nothing
    assert json.loads(out.read_text())["kpis"][0]["status"] == "withheld"


@pytest.mark.parametrize("name", ["discrete_laplace", "discrete_gaussian"])
def test_mechanism_is_opendp_integer_with_declared_epsilon(name: str) -> None:
    counted = mechanism(PrivacyTreatment(mechanism=name, epsilon=0.5, budget_per_period=1.0))
    assert str(counted.measurement.input_domain) == "AtomDomain(T=i64)"
    loss = counted.measurement.map(1)
    assert (loss[0] if isinstance(loss, tuple) else loss) <= 0.5 + 1e-9
    assert all(type(counted.release(10)) is int for _ in range(50))


def test_noise_is_centred_on_the_true_count() -> None:
    # Discrete Laplace with ε = 0.5: scale 2, variance < 2·2² = 8; the mean of 4,000 draws has a
    # standard error < 0.045, so a bound of 0.5 (> 11 standard errors) fails with negligible probability.
    counted = mechanism(PrivacyTreatment(mechanism="discrete_laplace", epsilon=0.5, budget_per_period=1.0))
    draws = [counted.release(1_000) for _ in range(4_000)]
    assert abs(statistics.fmean(draws) - 1_000) < 0.5
    assert 2.0 < statistics.pstdev(draws) < 3.5  # noise is really there, at the declared scale
    assert len(set(draws)) > 10


@pytest.mark.parametrize(("as_of", "period", "start"), [
    (date(2026, 11, 25), "P1M", date(2026, 11, 1)), (date(2026, 11, 25), "P3M", date(2026, 10, 1)),
    (date(2026, 11, 25), "P1Y", date(2026, 1, 1)), (date(1970, 1, 9), "P7D", date(1970, 1, 8))])
def test_budget_periods(as_of: date, period: str, start: date) -> None:
    assert budget_period_start(as_of, period) == start
