"""A KPI's lineage as inline SVG: everything upstream (transitively) → the KPI → everything downstream.

Drawn from :func:`kpigov.lineage.query.lineage`, the same tree ``kpigov lineage ID`` prints, so the
page and the command never disagree. Upstream is ordered as a reader traces a figure back: the
datasets (with the columns the measure reads), then the policies that change what is counted
(dedup, lexicon, calendar), the expectation suites gating the data, and the KPIs a derived KPI is
computed from. Downstream are the KPIs computed from this one and the escalations routing its alerts.
Every kind has its own border dash and a word, so the picture reads without colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from kpigov.lineage.query import LineageNode
from kpigov.report.charts import LINE, MUTED

#: Upstream kinds in reading order; anything else upstream comes last.
UPSTREAM_ORDER = ("dataset", "policy", "suite", "kpi")
#: Border dash per kind (None: solid), so kinds differ in greyscale.
DASH = {"dataset": None, "policy": "6 3", "suite": "2 2", "kpi": None, "escalation": "8 2 2 2"}
FILL = {"kpi": "#e8f1f8", "escalation": "#fbeee6"}
#: Characters of the second line (columns read, why) before it is cut; the full text is in the tooltip.
CAPTION_CHARS = 44

_ROW, _BOX_H, _TOP = 46, 36, 14


@dataclass(frozen=True, slots=True)
class Box:
    """One node of the picture: ``ref`` on the first line, ``caption`` (what it is, what is read or
    why it depends) on the second; ``kind`` is the lineage kind (dataset, policy, suite, kpi, escalation)."""

    ref: str
    kind: str
    caption: str


def lineage_boxes(root: LineageNode) -> tuple[list[Box], list[Box]]:
    """(upstream, downstream) boxes of a KPI's lineage tree; commits and runs are not pictured."""
    groups = {child.label: child.children for child in root.children if child.kind == "group"}
    rank = {kind: i for i, kind in enumerate(UPSTREAM_ORDER)}
    upstream = sorted(groups.get("upstream", []), key=lambda n: rank.get(n.kind, len(rank)))
    return ([_upstream_box(n) for n in upstream],
            [Box(n.label, n.kind, _caption(n.kind, n.detail.get("why"))) for n in groups.get("downstream", [])])


def _upstream_box(node: LineageNode) -> Box:
    columns = node.detail.get("columns")
    if columns:
        return Box(node.label, node.kind, _caption("reads", ", ".join(columns)))
    return Box(node.label, node.kind, node.detail.get("kind", node.kind))  # policies name their kind


def _caption(word: str, detail: str | None) -> str:
    return f"{word}: {detail}" if detail else word


def lineage_svg(root: LineageNode, width: int = 900) -> str:
    """The picture of a KPI's lineage tree (from :func:`kpigov.lineage.query.lineage`)."""
    upstream, downstream = lineage_boxes(root)
    rows = max(len(upstream), len(downstream), 1)
    height = _TOP * 2 + rows * _ROW
    box_w = width // 3 - 30
    centre_x, right_x, cy = width / 3 + 15, 2 * width / 3 + 20, height / 2
    parts = [f'<svg class="lineage" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="lineage of {escape(root.label)}: {len(upstream)} upstream, {len(downstream)} downstream">'
             '<defs><marker id="lineage-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
             'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>']
    for i, box in enumerate(upstream):
        y = _TOP + i * _ROW + _BOX_H / 2
        parts.append(_edge(10 + box_w, y, centre_x, cy))
        parts.append(_box(10, y, box_w, box, "upstream"))
    for i, box in enumerate(downstream):
        y = _TOP + i * _ROW + _BOX_H / 2
        parts.append(_edge(centre_x + box_w, cy, right_x, y))
        parts.append(_box(right_x, y, box_w, box, "downstream"))
    version = root.detail.get("version")
    parts.append(_box(centre_x, cy, box_w, Box(root.label, "kpi", _caption("KPI, version", version)), "subject"))
    if not upstream and not downstream:
        parts.append(f'<text x="10" y="{cy + 4:.1f}" font-size="11" fill="{MUTED}">no upstream or downstream</text>')
    parts.append("</svg>")
    return "".join(parts)


def _edge(x1: float, y1: float, x2: float, y2: float) -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{MUTED}" '
            'marker-end="url(#lineage-arrow)"/>')


def _box(x: float, y: float, w: int, box: Box, side: str) -> str:
    dash = DASH.get(box.kind)
    shown = box.caption if len(box.caption) <= CAPTION_CHARS else box.caption[:CAPTION_CHARS - 1] + "…"
    return (f'<g class="lineage-node {escape(side)} {escape(box.kind)}" data-ref="{escape(box.ref)}">'
            f'<title>{escape(box.ref)} — {escape(box.caption)}</title>'
            f'<rect x="{x:.1f}" y="{y - _BOX_H / 2:.1f}" width="{w}" height="{_BOX_H}" rx="4" '
            f'fill="{FILL.get(box.kind, "white")}" stroke="{LINE}"' + (f' stroke-dasharray="{dash}"' if dash else "")
            + f'/><text x="{x + 6:.1f}" y="{y - 3:.1f}" font-size="11">{escape(box.ref)}</text>'
            f'<text x="{x + 6:.1f}" y="{y + 12:.1f}" font-size="9" fill="{MUTED}">{escape(shown)}</text></g>')
