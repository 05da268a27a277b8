"""The scorecard site: every KPI with its stored band, plain statuses, self-contained pages."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa

from kpigov.report import ReportData, build_site
from kpigov.store import Store, schema
from tests.evaluate.synthetic import AS_OF

EXTERNAL = re.compile(r"""(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


class _Rows(HTMLParser):
    """Collects the scorecard's KPI rows: data-kpi → data-band."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-kpi"):
            self.rows[found["data-kpi"] or ""] = found.get("data-band") or ""


def _latest_bands(store: Store) -> dict[str, str]:
    """The band of each KPI's latest period, read straight from the store (not through the report)."""
    k, r = schema.kpi_results, schema.runs
    rows = store.engine.connect().execute(
        sa.select(k.c.kpi_id, k.c.period_start, k.c.band).join(r, r.c.run_id == k.c.run_id)
        .where(r.c.as_of <= AS_OF).order_by(r.c.as_of))
    latest: dict[str, tuple] = {}
    for row in rows:
        if row.kpi_id not in latest or row.period_start >= latest[row.kpi_id][0]:
            latest[row.kpi_id] = (row.period_start, row.band or "")
    return {kpi: band for kpi, (_, band) in latest.items()}


def test_scorecard_lists_every_kpi_with_its_stored_band(site_dir: Path, report_store: Store, report_data: ReportData) -> None:
    parser = _Rows()
    parser.feed((site_dir / "index.html").read_text())
    assert set(parser.rows) == {k.id for k in report_data.kpis}
    assert parser.rows == _latest_bands(report_store)
    assert any(parser.rows.values())


def test_scorecard_groups_by_perspective_in_scorecard_order(site_dir: Path) -> None:
    html = (site_dir / "index.html").read_text()
    headings = re.findall(r"<h2>([^<]+)</h2>", html)
    assert headings == ["Financial", "Customer", "Internal Process", "Learning &amp; Growth"]


def test_every_kpi_has_a_page_with_chart_definition_and_lineage(site_dir: Path, report_data: ReportData) -> None:
    for k in report_data.kpis:
        page = (site_dir / "kpi" / f"{k.id}.html").read_text()
        assert 'class="values"' in page and 'class="lineage"' in page
        assert "What it counts:" in page  # kpigov.compiler.explain's plain words
        assert k.kpi.metadata.version in page


def test_withheld_and_not_comparable_are_shown_with_their_reason(report_data: ReportData, tmp_path: Path) -> None:
    first, second, *rest = report_data.kpis
    held = replace(first, history=first.history[:-1] + (replace(
        first.history[-1], status="withheld", band=None, reason="quality gate failed: not-null-text"),))
    odd = replace(second, history=second.history[:-1] + (replace(
        second.history[-1], status="not_comparable", value=None, band=None, reason="panel entity volta has no vk mention"),))
    build_site(replace(report_data, kpis=(held, odd, *rest)), tmp_path)
    html = (tmp_path / "index.html").read_text()
    assert "withheld</span>: quality gate failed: not-null-text" in html
    assert "not comparable</span>: panel entity volta has no vk mention" in html
    summary = (tmp_path / "summary.md").read_text()
    assert f"**{held.id}**: withheld for" in summary and "quality gate failed: not-null-text" in summary


def test_no_page_references_the_network(site_dir: Path) -> None:
    for page in site_dir.rglob("*.html"):
        text = page.read_text()
        assert not EXTERNAL.search(text), page
        assert "<script" not in text and "<link" not in text, page


def test_governance_page_shows_escalation_access_and_retention(site_dir: Path, project) -> None:
    from kpigov.specs import AccessPolicy, EscalationPolicy, RetentionRule

    html = (site_dir / "governance.html").read_text()
    for policy in project.of_kind(EscalationPolicy):
        assert policy.metadata.id in html
    for rule in project.of_kind(RetentionRule):
        assert rule.metadata.id in html
    roles = {role for p in project.of_kind(AccessPolicy) for rule in p.spec.rules for role in rule.roles}
    assert all(f"<th>{role}</th>" in html for role in roles)
