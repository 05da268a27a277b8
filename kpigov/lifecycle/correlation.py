"""Does a KPI lead (or track) an outcome? Lagged Spearman correlation with a bootstrap interval.

Spearman rather than Pearson because KPIs and outcomes are on unrelated scales and only a monotone
relation is claimed. The interval comes from a pairs bootstrap at a Bonferroni-corrected level over
the lags tried, so picking the best of ``max_lag + 1`` lags does not manufacture confidence out of
noise; a permutation test gives the p-value of the chosen lag. Pairs are resampled independently,
which ignores autocorrelation: the interval is optimistic for very smooth series, which is why the
decision uses the bound nearest zero rather than the point estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Fewer aligned (KPI, outcome) pairs than this and no correlation is reported at all.
MIN_PAIRS = 8
RESAMPLES = 2_000
FAMILY_ALPHA = 0.05


@dataclass(frozen=True)
class LagCorrelation:
    """Spearman's r between the KPI at period t and the outcome at period t + ``lag``."""

    lag: int
    r: float
    low: float
    high: float
    confidence: float
    p_value: float
    pairs: int

    @property
    def assured_strength(self) -> float:
        """The |r| the interval guarantees: its bound nearest zero, or 0 when it straddles zero."""
        if self.low > 0:
            return self.low
        if self.high < 0:
            return -self.high
        return 0.0


def _rank_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Spearman r of two (rows, n) arrays (ranks, then Pearson); constant rows give 0."""
    from scipy.stats import rankdata  # scipy costs a noticeable import: only reviews pay for it

    rx, ry = rankdata(x, axis=1), rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denominator = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (rx * ry).sum(axis=1) / denominator
    return np.nan_to_num(r, nan=0.0)


def _pairs(kpi: Sequence[float | None], outcome: Sequence[float | None], lag: int) -> tuple[np.ndarray, np.ndarray]:
    kept = [(k, o) for k, o in zip(kpi, outcome[lag:]) if k is not None and o is not None]
    return np.array([k for k, _ in kept], dtype=float), np.array([o for _, o in kept], dtype=float)


def lagged_correlation(
    kpi: Sequence[float | None], outcome: Sequence[float | None], max_lag: int, *, seed: int = 0
) -> LagCorrelation | None:
    """The lag in ``0 .. max_lag`` where |r| is largest, with its interval; None without enough pairs.

    ``kpi`` and ``outcome`` are aligned per period (None: no value that period). Seeded, so a
    review is reproducible.
    """
    candidates = []
    for lag in range(max_lag + 1):
        x, y = _pairs(kpi, outcome, lag)
        if len(x) >= MIN_PAIRS:
            candidates.append((abs(float(_rank_correlations(x[None], y[None])[0])), lag, x, y))
    if not candidates:
        return None
    _, lag, x, y = max(candidates, key=lambda c: (c[0], -c[1]))
    rng = np.random.default_rng(seed)
    r = float(_rank_correlations(x[None], y[None])[0])
    picks = rng.integers(0, len(x), size=(RESAMPLES, len(x)))
    boot = _rank_correlations(x[picks], y[picks])
    confidence = 1 - FAMILY_ALPHA / (max_lag + 1)
    tail = (1 - confidence) / 2
    low, high = (float(q) for q in np.quantile(boot, [tail, 1 - tail]))
    shuffled = np.array([rng.permutation(y) for _ in range(RESAMPLES)])
    null = _rank_correlations(np.broadcast_to(x, shuffled.shape), shuffled)
    p_value = (1 + int((np.abs(null) >= abs(r) - 1e-12).sum())) / (RESAMPLES + 1)
    return LagCorrelation(lag, r, low, high, confidence, p_value, len(x))
