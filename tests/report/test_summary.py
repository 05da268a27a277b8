"""The executive summary cites only stored figures, and says what moved, against what, and why."""

from __future__ import annotations

import re

from kpigov.report import ReportData, summary_facts, summary_markdown
from kpigov.report.summary import BREACH_BANDS, fmt

NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w-])")


def _stored_figures(data: ReportData) -> set[str]:
    """Every figure the summary may cite, formatted the summary's one way, plus counts it states."""
    figures: set[str] = set()
    for k in data.kpis:
        for p in k.history:
            figures |= {fmt(p.value), fmt(p.baseline), fmt(p.change), str(p.baseline_periods)}
            figures |= {fmt(s.get("score")) for s in p.fired_spikes}
    facts = summary_facts(data)
    figures |= {str(n) for n in (facts.kpi_count, len(facts.on_track), len(facts.movements), len(facts.held), len(facts.missing))}
    return figures


def test_every_number_in_the_summary_is_a_stored_figure(report_data: ReportData) -> None:
    text = summary_markdown(report_data)
    # dates and KPI ids carry digits that are not figures: take them out first
    prose = re.sub(r"\d{4}-\d{2}-\d{2}", "", text)
    cited = NUMBER.findall(prose)
    assert cited, text
    unknown = set(cited) - _stored_figures(report_data)
    assert not unknown, f"figures not in the results: {unknown}\n{text}"


def test_movements_are_exactly_the_kpis_beyond_their_bands(report_data: ReportData) -> None:
    text = summary_markdown(report_data)
    beyond = {k.id for k in report_data.kpis if k.latest and k.latest.status == "ok" and k.latest.band in BREACH_BANDS}
    assert beyond, "the demo data should put some KPI beyond its band"
    section = text.split("## Beyond their bands")[1].split("## Withheld")[0]
    assert set(re.findall(r"\*\*([\w.]+)\*\*", section)) == beyond
    for k in report_data.kpis:
        if k.id in beyond:
            p = k.latest
            line = next(line for line in section.splitlines() if f"**{k.id}**" in line)
            assert f"is {p.band} at {fmt(p.value)}" in line
            if p.baseline is not None:
                assert f"baseline of {fmt(p.baseline)} over {p.baseline_periods} periods" in line


def test_coinciding_events_are_the_declared_ones_overlapping_the_period(report_data: ReportData) -> None:
    for m in summary_facts(report_data).movements:
        p = m.point
        expected = {e.name for e in report_data.events if e.start <= p.period_end and e.end >= p.period_start}
        assert {text.split(" (")[0] for text in m.events} == expected


def test_spikes_are_cited_with_their_stored_score(report_data: ReportData) -> None:
    text = summary_markdown(report_data)
    fired = [(k.id, s) for k in report_data.kpis if k.latest and k.latest.band in BREACH_BANDS
             for s in k.latest.fired_spikes]
    for kpi_id, spike in fired:
        assert f"Spike detector {spike['detector']} fired (score {fmt(spike['score'])})" in text, kpi_id
