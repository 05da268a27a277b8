"""The static site: scorecard, one page per KPI, governance, executive summary (HTML and Markdown).

Every page is self-contained: CSS inline, charts inline SVG, links relative. It opens from disk with
no server and requests nothing from the network.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from kpigov.compiler import Compiled, compile_project
from kpigov.compiler.explain import explain
from kpigov.lineage.query import lineage
from kpigov.report import charts
from kpigov.report.data import PERSPECTIVE_TITLES, KPIReport, ReportData
from kpigov.lineage.history import spec_history
from kpigov.report.lineage_picture import lineage_svg
from kpigov.report.public import RELEASE_LABEL
from kpigov.report.summary import fmt, summary_html, summary_markdown
from kpigov.report.templating import environment
from kpigov.specs import AccessPolicy, EscalationPolicy, RetentionRule
from kpigov.specs.org import RetirementDecision

#: Periods listed in a KPI page's table (newest first); the chart above it shows every period.
TABLE_PERIODS = 53


@dataclass(frozen=True)
class Site:
    """Where the pages were written; ``pages`` relative to ``root``."""

    root: Path
    pages: tuple[str, ...]


def build_site(data: ReportData, out: Path, *, public: bool = False, compiled: Compiled | None = None) -> Site:
    """Write the site under ``out`` (created); return the pages written.

    ``public`` labels every value as a release; ``data`` must then come from
    :func:`kpigov.report.public.public_report_data`, which holds no exact value.
    """
    compiled = compiled or compile_project(data.project)
    env = environment()
    common = {"public": public, "release_label": RELEASE_LABEL, "as_of": data.as_of, "fmt": fmt,
              "styles": charts.BAND_STYLES, "titles": PERSPECTIVE_TITLES}
    pages: dict[str, str] = {
        "index.html": env.get_template("scorecard.html.j2").render(
            **common, root="", groups=data.by_perspective(), spark=charts.sparkline),
        "summary.html": env.get_template("page.html.j2").render(**common, root="", title="Executive summary",
                                                                 body=summary_html(data)),
        "governance.html": env.get_template("governance.html.j2").render(**common, root="", **_governance(data)),
    }
    decisions = _retirements(data)
    for k in data.kpis:
        pages[f"kpi/{k.id}.html"] = env.get_template("kpi.html.j2").render(
            **common, root="../", k=k, definition=explain(compiled, f"kpi/{k.id}"),
            chart=charts.time_series(k.history, k.kpi.spec.bands, data.events),
            lineage=lineage_svg(lineage(data.project, compiled, k.id)),
            history=spec_history(data.project.root, data.project.sources[f"kpi/{k.id}"].path, k.id),
            gates=_gates(data, k), decisions=decisions.get(k.id, []),
            recent=k.history[-TABLE_PERIODS:][::-1], table_periods=TABLE_PERIODS)
    out.mkdir(parents=True, exist_ok=True)
    (out / "kpi").mkdir(exist_ok=True)
    for name, html in pages.items():
        (out / name).write_text(html, encoding="utf-8")
    (out / "summary.md").write_text(summary_markdown(data), encoding="utf-8")
    return Site(out, tuple(sorted(pages)) + ("summary.md",))


def _gates(data: ReportData, k: KPIReport) -> list[dict]:
    """The latest run's outcomes of the KPI's own quality gates."""
    return [{"suite": ref, **outcome} for ref in k.kpi.spec.quality_gates
            for outcome in data.quality.get(ref, {}).get("results", [])]


def _retirements(data: ReportData) -> dict[str, list[RetirementDecision]]:
    found: dict[str, list[RetirementDecision]] = defaultdict(list)
    for decision in data.project.of_kind(RetirementDecision):
        found[decision.spec.kpi].append(decision)
    return found


def _governance(data: ReportData) -> dict[str, object]:
    project = data.project
    escalations = [(p, charts.flow([t.type + (f" ({', '.join(t.bands)})" if t.bands else "") for t in p.spec.triggers],
                                   p.metadata.id, [f"tier {t.level}: {t.team} via {t.channel}, +{t.escalate_after}"
                                                   for t in p.spec.tiers]))
                   for p in project.of_kind(EscalationPolicy)]
    matrix: dict[tuple[str, str], list[str]] = defaultdict(list)
    for policy in project.of_kind(AccessPolicy):
        for rule in policy.spec.rules:
            for role in rule.roles:
                for resource in rule.resources:
                    matrix[(role, resource)].append(f"{rule.effect} {', '.join(rule.actions)}")
    roles = sorted({r for r, _ in matrix})
    resources = sorted({r for _, r in matrix})
    return {"escalations": escalations, "roles": roles, "resources": resources, "matrix": matrix,
            "retention": sorted(project.of_kind(RetentionRule), key=lambda r: r.metadata.id),
            "alerts": data.alerts, "overrides": data.overrides}
