"""Differential privacy for public counts, through OpenDP's integer mechanisms.

A public KPI's count is released through a discrete (integer-valued) mechanism built by OpenDP, so
no floating-point noise is ever added by hand (a known source of privacy leaks). The unit of
privacy is one mention: adding or removing a mention changes a count by 1 (``d_in = 1``).
``discrete_gaussian`` is calibrated to (ε, δ) with :data:`GAUSSIAN_DELTA`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kpigov.specs.kpi import PrivacyTreatment

#: δ of the approximate-DP guarantee of discrete Gaussian releases.
GAUSSIAN_DELTA = 1e-9
#: Sensitivity of a mention count: one mention more or less.
COUNT_SENSITIVITY = 1


@dataclass(frozen=True)
class CountMechanism:
    """An OpenDP measurement over 64-bit integer counts, with the privacy loss it guarantees."""

    name: str
    epsilon: float
    measurement: Any  # opendp.mod.Measurement (OpenDP ships no type stubs)

    def release(self, true_count: int) -> int:
        """A noisy count; each call spends ``epsilon`` (the caller records it against the budget)."""
        return int(self.measurement(int(true_count)))


def mechanism(treatment: PrivacyTreatment) -> CountMechanism:
    """The measurement declared by ``treatment``; the same treatment is built once per process."""
    return _build(treatment.mechanism, treatment.epsilon)


@lru_cache(maxsize=64)
def _build(name: str, epsilon: float) -> CountMechanism:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    domain, metric = dp.atom_domain(T="i64"), dp.absolute_distance(T="i64")
    if name == "discrete_laplace":
        # Discrete Laplace of scale b is (d_in / b)-DP: exact, no search needed.
        measurement = dp.m.make_laplace(domain, metric, scale=COUNT_SENSITIVITY / epsilon)
    else:
        def gaussian(scale: float) -> Any:
            zcdp = dp.m.make_gaussian(domain, metric, scale=scale)
            return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(zcdp), GAUSSIAN_DELTA)

        measurement = gaussian(dp.binary_search_param(gaussian, d_in=COUNT_SENSITIVITY,
                                                      d_out=(epsilon, GAUSSIAN_DELTA)))
    return CountMechanism(name, epsilon, measurement)


def epsilon_spent(measurement: Any) -> float:
    """The ε a measurement guarantees for one mention (OpenDP's own privacy map, not our arithmetic)."""
    loss = measurement.map(COUNT_SENSITIVITY)
    return float(loss[0] if isinstance(loss, tuple) else loss)


__all__ = ["COUNT_SENSITIVITY", "GAUSSIAN_DELTA", "CountMechanism", "epsilon_spent", "mechanism"]
