"""Baselines, RAG bands and change: what a KPI value is compared with, and how it reads.

The baseline is the mean of the KPI's values over the complete periods in ``baseline.window``
before the evaluated one (periods without a value are skipped, never counted as zero).

- ``seasonality: weekly`` compares like with like: a daily KPI is compared with the same weekday
  only. Weekly and longer periods hold every weekday equally, so they need no adjustment.
- ``exclude_events`` names an EventCalendar. In ``event_mode: exclude`` periods overlapping one of
  its events are left out of the reference; in ``separate`` they form their own reference, used
  when the evaluated period itself overlaps an event (a launch week is compared with launch weeks).
- A crisis spike in ``recalibrate`` mode resets the reference to the periods of that crisis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean

from kpigov.evaluate.measures import Computed, Missing
from kpigov.evaluate.periods import Frequency, Period, reference_periods
from kpigov.specs.data import Event
from kpigov.specs.kpi import Bands, Baseline, parse_band


@dataclass(frozen=True, slots=True)
class BaselineResult:
    """The reference value and exactly which periods made it (and which were left out, why)."""

    value: float | None
    mode: str
    periods: tuple[Period, ...]
    excluded: tuple[tuple[Period, str], ...] = ()
    note: str | None = None


def _events_in(period: Period, events: Sequence[Event]) -> list[Event]:
    return [e for e in events if period.overlaps(e.start, e.end)]


def compute_baseline(
    spec: Baseline,
    frequency: Frequency,
    period: Period,
    value_of: Callable[[Period], Computed],
    events: Sequence[Event],
    recalibrate_to: Event | None = None,
) -> BaselineResult:
    candidates = reference_periods(frequency, period, spec.window)
    if spec.seasonality == "weekly" and period.days < 7:
        candidates = [p for p in candidates if p.start.weekday() == period.start.weekday()]
    excluded: list[tuple[Period, str]] = []
    if recalibrate_to is not None:
        crisis = recalibrate_to
        kept = [p for p in candidates if p.overlaps(crisis.start, crisis.end)]
        excluded = [(p, f"before crisis {crisis.id}") for p in candidates if p not in kept]
        mode = "recalibrated"
    elif spec.exclude_events is None:
        kept, mode = candidates, "rolling"
    else:
        separate = spec.event_mode == "separate" and bool(_events_in(period, events))
        kept = []
        for p in candidates:
            overlapping = _events_in(p, events)
            if bool(overlapping) == separate:
                kept.append(p)
            else:
                excluded.append((p, ", ".join(e.id for e in overlapping) or "outside events"))
        mode = "event-separate" if separate else "events-excluded"
    values = [(p, v) for p in kept if not isinstance(v := value_of(p), Missing)]
    if not values:
        return BaselineResult(None, mode, (), tuple(excluded), note="no reference period with a value")
    return BaselineResult(fmean(v for _, v in values), mode, tuple(p for p, _ in values), tuple(excluded))


def band_of(value: float, bands: Bands) -> str | None:
    """The first of green, amber, red whose condition holds (validation keeps them consistent)."""
    for name in ("green", "amber", "red"):
        if parse_band(getattr(bands, name)).matches(value):
            return name
    return None
