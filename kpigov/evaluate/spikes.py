"""Spike and anomaly detectors: the last ``recent`` span against the trailing ``window``.

The span just before the as-of instant (the end of the as-of day) is compared with the equal
spans of the trailing window (24 h against the 7 days before: 7 reference values), counted in one
pushed-down scan per (recent, window) grid. Two declared methods:

- ``sigma``: z = (x − mean) / σ (sample standard deviation), a spike when z ≥ k;
- ``mad``: robust z = 0.6745 · (x − median) / MAD, a spike when it is ≥ the threshold.

Volume and negative volume spike upwards; sentiment spikes *downwards* (a collapse), so its score
is taken with the sign flipped. A span with fewer than ``min_volume`` mentions never fires, and
a flat reference (σ or MAD of 0) fires on any change in the bad direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean, median, stdev

from kpigov.evaluate.aggregate import Grid
from kpigov.evaluate.measures import Component, CompiledMeasure, Computed, Missing, sentiment_conditions
from kpigov.specs.base import to_timedelta
from kpigov.specs.kpi import SpikeDetector

#: MAD of a normal distribution is 0.6745 σ: this factor puts the robust z on the σ scale.
MAD_TO_SIGMA = 0.6745


@dataclass(frozen=True, slots=True)
class SpikeResult:
    """What one detector saw; ``action`` says what the run did about it."""

    detector: str
    on: str
    method: str
    recent: float | None
    center: float | None
    scale: float | None
    score: float | None
    volume: float
    fired: bool
    reason: str
    crisis: str | None = None
    action: str | None = None


def grid_for(detector: SpikeDetector, instant: datetime) -> Grid:
    """Edges ``instant``, ``instant − recent``, … back over the window (whole spans only)."""
    recent, window = to_timedelta(detector.recent), to_timedelta(detector.window)
    spans = max(int(window / recent), 1)
    edges = tuple(instant - recent * i for i in range(spans + 2))
    return Grid(lower=edges[-1], upper=instant, edges=edges)


def spike_components(measure: CompiledMeasure) -> tuple[Component, ...]:
    labels = sentiment_conditions(measure.relation.c.sentiment_score, measure.positive_at, measure.negative_at) \
        if "sentiment_score" in measure.relation.c else {}
    return (Component("n"), *(Component(name, labels[name]) for name in ("positive", "negative") if name in labels))


def _series_value(on: str, totals: Mapping[str, float], sentiment: str) -> Computed:
    if on == "volume":
        return totals.get("n", 0.0)
    if on == "negative_volume":
        return totals.get("negative", 0.0)
    pos, neg, n = totals.get("positive", 0.0), totals.get("negative", 0.0), totals.get("n", 0.0)
    denominator = n if sentiment == "pct_diff" else pos + neg
    if denominator == 0:
        return Missing("no scored mentions")
    return (pos if sentiment == "brand_health" else pos - neg) / denominator


def detect(detector: SpikeDetector, per_bucket: Mapping[int, Mapping[str, float]], grid: Grid,
           sentiment_variant: str = "talkwalker") -> SpikeResult:
    """Score bucket 0 (the recent span) against buckets 1.. (the trailing window)."""
    assert grid.edges is not None
    spans = len(grid.edges) - 2
    recent_totals = per_bucket.get(0, {})
    recent = _series_value(detector.on, recent_totals, sentiment_variant)
    volume = recent_totals.get("negative" if detector.on == "negative_volume" else "n", 0.0)
    reference = [v for i in range(1, spans + 1)
                 if not isinstance(v := _series_value(detector.on, per_bucket.get(i, {}), sentiment_variant), Missing)]

    def result(fired: bool, reason: str, center: float | None = None, scale: float | None = None,
               score: float | None = None) -> SpikeResult:
        value = None if isinstance(recent, Missing) else recent
        return SpikeResult(detector.id, detector.on, detector.method, value, center, scale, score, volume, fired, reason)

    if isinstance(recent, Missing):
        return result(False, f"recent span: {recent.reason}")
    if len(reference) < 2:
        return result(False, "fewer than 2 reference spans with a value")
    if detector.method == "sigma":
        center, scale = fmean(reference), stdev(reference)
    else:
        center = median(reference)
        scale = median(abs(v - center) for v in reference) / MAD_TO_SIGMA
    deviation = (center - recent) if detector.on == "sentiment" else (recent - center)
    if volume < detector.min_volume:
        return result(False, f"volume {volume:g} below min_volume {detector.min_volume}", center, scale)
    if scale == 0:
        return result(deviation > 0, "flat reference" + (", changed in the bad direction" if deviation > 0 else ""),
                      center, scale)
    score = deviation / scale
    fired = score >= detector.threshold
    return result(fired, f"score {score:.2f} {'≥' if fired else '<'} threshold {detector.threshold:g}", center, scale, score)
