"""The executive summary: facts picked from the stored results, then worded by Jinja2 templates.

Templates only phrase; :func:`summary_facts` decides what is said, and every figure in the text is a
stored value (value, baseline, change, spike score, count of baseline periods) run through
:func:`fmt`. Nothing is estimated, rounded up into a claim, or invented.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpigov.report.data import KPIReport, ReportData
from kpigov.report.templating import environment

#: Bands that count as "beyond the band" for the summary.
BREACH_BANDS = ("red", "amber")


def fmt(value: float | None) -> str:
    """The one way a figure is written in the summary (4 significant digits), so tests can match it."""
    return "n/a" if value is None else f"{value:.4g}"


@dataclass(frozen=True)
class Movement:
    """A KPI whose latest value sits in a breach band, with what it was compared to and what coincided."""

    kpi: KPIReport
    events: tuple[str, ...]
    spikes: tuple[tuple[str, float | None], ...]

    @property
    def point(self):  # noqa: ANN201 - the latest Point, never None for a movement
        return self.kpi.latest


@dataclass(frozen=True)
class SummaryFacts:
    as_of: str
    kpi_count: int
    on_track: tuple[KPIReport, ...]
    movements: tuple[Movement, ...]
    held: tuple[KPIReport, ...]  # withheld, not comparable, no data, error: each with its stored reason
    missing: tuple[KPIReport, ...]  # never evaluated up to as-of


def summary_facts(data: ReportData) -> SummaryFacts:
    movements, held, on_track, missing = [], [], [], []
    for k in data.kpis:
        p = k.latest
        if p is None:
            missing.append(k)
        elif p.status != "ok":
            held.append(k)
        elif p.band in BREACH_BANDS:
            events = tuple(f"{e.name} ({e.type}, {e.start} – {e.end})" for e in data.events_in(p.period_start, p.period_end))
            spikes = tuple((s["detector"], s.get("score")) for s in p.fired_spikes)
            movements.append(Movement(k, events, spikes))
        else:
            on_track.append(k)
    movements.sort(key=lambda m: (BREACH_BANDS.index(m.point.band), m.kpi.id))
    return SummaryFacts(data.as_of.isoformat(), len(data.kpis), tuple(on_track), tuple(movements), tuple(held),
                        tuple(missing))


def summary_markdown(data: ReportData) -> str:
    return environment().get_template("summary.md.j2").render(f=summary_facts(data), fmt=fmt)


def summary_html(data: ReportData) -> str:
    """The same facts and wording as :func:`summary_markdown`, as an HTML fragment."""
    return environment().get_template("summary_fragment.html.j2").render(f=summary_facts(data), fmt=fmt)
