"""Charts as inline SVG: no script, no network, readable without colour.

Altair (Vega-Lite) is installed with Great Expectations, but the vega / vega-lite / vega-embed
JavaScript it needs is not shipped with it: a page using it would fetch them from a CDN. Plain SVG
written here opens from disk anywhere, prints, and costs microseconds per chart (the 50 KPI × 2 years
bench). Colours are the Okabe–Ito palette (distinguishable with colour-vision deficiencies), and every
band is also told by a shape and a word, never by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from kpigov.report.data import Point
from kpigov.specs.data import Event
from kpigov.specs.kpi import Bands, parse_band


@dataclass(frozen=True)
class BandStyle:
    colour: str
    shape: str  # a symbol shown beside the band's name, so the band reads in greyscale too
    label: str


BAND_STYLES = {"green": BandStyle("#009E73", "●", "on track"), "amber": BandStyle("#E69F00", "▲", "watch"),
               "red": BandStyle("#D55E00", "■", "off track")}
LINE, BASELINE, MUTED = "#0072B2", "#56B4E9", "#6b6b6b"
EVENT_FILL = {"crisis": "url(#hatch-crisis)", "launch": "url(#hatch-launch)"}

_DEFS = ('<defs><pattern id="hatch-crisis" width="6" height="6" patternUnits="userSpaceOnUse" '
         'patternTransform="rotate(45)"><rect width="6" height="6" fill="#D55E00" fill-opacity="0.08"/>'
         '<line x1="0" y1="0" x2="0" y2="6" stroke="#D55E00" stroke-opacity="0.45" stroke-width="2"/></pattern>'
         '<pattern id="hatch-launch" width="6" height="6" patternUnits="userSpaceOnUse">'
         '<rect width="6" height="6" fill="#0072B2" fill-opacity="0.06"/>'
         '<circle cx="3" cy="3" r="1" fill="#0072B2" fill-opacity="0.5"/></pattern></defs>')


def _scale(lo: float, hi: float, a: float, b: float):  # noqa: ANN202 - a tiny closure
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def _points(history: Sequence[Point]) -> list[tuple[date, float]]:
    return [(p.period_end, p.value) for p in history if p.value is not None]


def sparkline(history: Sequence[Point], width: int = 120, height: int = 28) -> str:
    """A small line of the KPI's values; the last value is marked with its band's shape colour."""
    pts = _points(history)
    if len(pts) < 2:
        return f'<svg class="spark empty" width="{width}" height="{height}" role="img" aria-label="not enough values"></svg>'
    xs = _scale(0, len(pts) - 1, 2, width - 4)
    ys = _scale(min(v for _, v in pts), max(v for _, v in pts), height - 3, 3)
    path = " ".join(f"{xs(i):.1f},{ys(v):.1f}" for i, (_, v) in enumerate(pts))
    last = history[-1]
    colour = BAND_STYLES[last.band].colour if last.band in BAND_STYLES else MUTED
    x, y = xs(len(pts) - 1), ys(pts[-1][1])
    return (f'<svg class="spark" width="{width}" height="{height}" role="img" '
            f'aria-label="{len(pts)} periods, last {pts[-1][1]:.4g}"><polyline fill="none" stroke="{LINE}" '
            f'stroke-width="1.5" points="{path}"/><circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/></svg>')


def time_series(history: Sequence[Point], bands: Bands | None, events: Sequence[Event],
                width: int = 760, height: int = 280) -> str:
    """Values over time with the baseline, the band thresholds, declared events and fired spikes."""
    pts = _points(history)
    if not pts:
        return '<p class="muted">No value was computed for any period yet.</p>'
    left, right, top, bottom = 60, width - 110, 20, height - 40
    thresholds = [(name, parse_band(text)) for name, text in (bands.model_dump().items() if bands else [])]
    baselines = [(p.period_end, p.baseline) for p in history if p.baseline is not None]
    values = [v for _, v in pts] + [v for _, v in baselines] + [t.value for _, t in thresholds]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    y = _scale(lo - pad, hi + pad, bottom, top)
    first, last = history[0].period_start, history[-1].period_end
    x = _scale(first.toordinal(), last.toordinal(), left, right)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="time series of {len(pts)} values">', _DEFS]
    for event in events:
        x0, x1 = x(max(event.start, first).toordinal()), x(min(event.end, last).toordinal())
        parts.append(f'<g class="event"><rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 2):.1f}" height="{bottom - top}" '
                     f'fill="{EVENT_FILL.get(event.type, "#999999")}" fill-opacity="{1 if event.type in EVENT_FILL else 0.12}">'
                     f'<title>{escape(event.name)} ({event.type}, {event.start} – {event.end})</title></rect>'
                     f'<text x="{x0 + 2:.1f}" y="{top + 10}" font-size="9">{escape(event.type)}: {escape(event.id)}</text></g>')
    for name, cond in thresholds:
        style = BAND_STYLES[name]
        parts.append(f'<g class="threshold"><line x1="{left}" x2="{right}" y1="{y(cond.value):.1f}" y2="{y(cond.value):.1f}" '
                     f'stroke="{style.colour}" stroke-dasharray="2 3"/><text x="{right + 4}" y="{y(cond.value) + 3:.1f}" '
                     f'font-size="10">{style.shape} {name} {escape(bands.model_dump()[name]) if bands else ""}</text></g>')
    if len(baselines) > 1:
        line = " ".join(f"{x(d.toordinal()):.1f},{y(v):.1f}" for d, v in baselines)
        parts.append(f'<polyline class="baseline" fill="none" stroke="{BASELINE}" stroke-width="6" stroke-opacity="0.35" '
                     f'points="{line}"><title>baseline</title></polyline>')
    line = " ".join(f"{x(d.toordinal()):.1f},{y(v):.1f}" for d, v in pts)
    parts.append(f'<polyline class="values" fill="none" stroke="{LINE}" stroke-width="2" points="{line}"/>')
    for p in history:
        if p.value is None:
            continue
        cx, cy = x(p.period_end.toordinal()), y(p.value)
        style = BAND_STYLES.get(p.band or "")
        tip = f"{p.period_start} – {p.period_end}: {p.value:.4g} ({p.status}{', ' + p.band if p.band else ''})"
        if p.fired_spikes:
            parts.append(f'<path class="spike" d="M{cx:.1f},{cy - 9:.1f} l7,12 h-14 z" fill="#CC79A7" stroke="black">'
                         f'<title>spike: {escape(", ".join(s["detector"] for s in p.fired_spikes))}; {escape(tip)}</title></path>')
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{style.colour if style else "white"}" '
                     f'stroke="{LINE}"><title>{escape(tip)}</title></circle>')
    parts += [f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="{MUTED}"/>',
              f'<text x="{left}" y="{bottom + 16}" font-size="10">{first}</text>',
              f'<text x="{right}" y="{bottom + 16}" font-size="10" text-anchor="end">{last}</text>',
              f'<text x="{left - 6}" y="{y(hi):.1f}" font-size="10" text-anchor="end">{hi:.4g}</text>',
              f'<text x="{left - 6}" y="{y(lo):.1f}" font-size="10" text-anchor="end">{lo:.4g}</text>',
              f'<text x="{left}" y="{height - 6}" font-size="10">— value   ▬ baseline   ▲ spike   '
              'hatched: crisis (diagonal) / launch (dotted)</text>', "</svg>"]
    return "".join(parts)


def flow(nodes_left: Sequence[str], centre: str, nodes_right: Sequence[str] = (), width: int = 760) -> str:
    """A left-to-right picture: inputs → centre → outputs (lineage of a KPI, tiers of an escalation)."""
    rows = max(len(nodes_left), len(nodes_right), 1)
    height = 30 + rows * 34
    parts = [f'<svg class="flow" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(centre)}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>']
    cy = height / 2
    box = (width // 3) - 30

    def node(x: float, y: float, label: str, cls: str) -> str:
        return (f'<g class="{cls}"><rect x="{x:.1f}" y="{y - 12:.1f}" width="{box}" height="24" rx="4" fill="white" '
                f'stroke="{LINE}"/><text x="{x + 6:.1f}" y="{y + 4:.1f}" font-size="11">{escape(label)}</text></g>')

    parts.append(node(width / 3 + 15, cy, centre, "centre"))
    for side, labels in ((0, nodes_left), (2, nodes_right)):
        for i, label in enumerate(labels):
            ny = 27 + i * 34
            nx = 10 + side * width / 3
            x1, x2 = (nx + box, width / 3 + 15) if side == 0 else (width / 3 + 15 + box, nx)
            y1, y2 = (ny, cy) if side == 0 else (cy, ny)
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{MUTED}" marker-end="url(#arrow)"/>')
            parts.append(node(nx, ny, label, "input" if side == 0 else "output"))
    parts.append("</svg>")
    return "".join(parts)
