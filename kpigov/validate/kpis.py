"""Consistency rules for KPIs: measure fields, bands vs polarity, expressions, derived formulas,
and lifecycle (deprecated/retired KPIs and who still depends on them)."""

from __future__ import annotations

from datetime import date

import networkx as nx

from kpigov import expr
from kpigov.diagnostics import Code, Location
from kpigov.project import Project
from kpigov.specs import KPI, Dataset, RetirementDecision
from kpigov.specs.kpi import DerivedMeasure, NetSentimentMeasure, SentimentAdjustedVolumeMeasure, ShareOfVoiceMeasure, parse_band

#: Column types of a Dataset spec, in the expression language's type names.
EXPR_TYPES = {"string": "string", "integer": "integer", "float": "float", "boolean": "boolean",
              "timestamp": "timestamp", "date": "date"}


def check_kpi_fields(project: Project) -> None:
    for kpi in project.kpis:
        ref, s, d = kpi.ref, kpi.spec, project.diagnostics
        derived = isinstance(s.measure, DerivedMeasure)
        if derived:
            for name in ("source", "filter", "dedup", "sentiment"):
                if getattr(s, name) is not None:
                    d.error(Code.MEASURE_FIELDS, f"a derived KPI computes from other KPIs; '{name}' has no meaning here",
                            project.locate(ref, ["spec", name], key=True))
        elif s.source is None:
            d.error(Code.MEASURE_FIELDS, f"measure '{s.measure.type}' needs 'source' (the mention dataset)",
                    project.locate(ref, ["spec"]))
        if isinstance(s.measure, (NetSentimentMeasure, SentimentAdjustedVolumeMeasure)) and s.sentiment is None:
            d.error(Code.MEASURE_FIELDS, f"measure '{s.measure.type}' needs 'sentiment' (lexicon and thresholds)",
                    project.locate(ref, ["spec", "measure"]))
        if isinstance(s.measure, ShareOfVoiceMeasure):
            panel = s.measure.panel
            where = ["spec", "measure", "panel"]
            if not panel.locked:
                d.error(Code.SHARE_OF_VOICE_PANEL, "the competitor panel must be locked (locked: true) so the "
                        "benchmark cannot drift silently", project.locate(ref, [*where, "locked"]))
            if panel.brand in panel.competitors:
                d.error(Code.SHARE_OF_VOICE_PANEL, f"'{panel.brand}' is both the brand and a competitor",
                        project.locate(ref, [*where, "competitors"]))
            if len(set(panel.competitors)) != len(panel.competitors):
                d.error(Code.SHARE_OF_VOICE_PANEL, "competitors are listed more than once",
                        project.locate(ref, [*where, "competitors"]))
            if panel.timeframe.end < panel.timeframe.start:
                d.error(Code.SHARE_OF_VOICE_PANEL, "the panel timeframe ends before it starts",
                        project.locate(ref, [*where, "timeframe", "end"]))
            if s.measure.basis == "weighted_score" and s.measure.weights is None:
                d.error(Code.MEASURE_FIELDS, "basis 'weighted_score' needs 'weights'", project.locate(ref, ["spec", "measure", "basis"]))
        if s.sentiment and s.sentiment.negative_at >= s.sentiment.positive_at:
            d.error(Code.SENTIMENT_THRESHOLDS, f"negative_at ({s.sentiment.negative_at}) must be below positive_at "
                    f"({s.sentiment.positive_at})", project.locate(ref, ["spec", "sentiment", "negative_at"]))
        if s.publication == "public" and s.privacy is None:
            d.error(Code.PUBLIC_WITHOUT_PRIVACY, "a public KPI must declare its privacy treatment ('privacy')",
                    project.locate(ref, ["spec", "publication"]))
        if s.polarity == "target_range" and s.target_range is None:
            d.error(Code.BANDS_POLARITY, "polarity 'target_range' needs 'target_range' (low, high)",
                    project.locate(ref, ["spec", "polarity"]))
        if s.target_range and s.target_range.low > s.target_range.high:
            d.error(Code.BANDS_POLARITY, "target_range.low is above target_range.high", project.locate(ref, ["spec", "target_range"]))


def check_bands(project: Project) -> None:
    """Bands must agree with polarity and leave neither gaps nor overlaps between amber and red."""
    for kpi in project.kpis:
        s = kpi.spec
        if s.bands is None:
            continue
        ref, d = kpi.ref, project.diagnostics
        green, amber, red = (parse_band(b) for b in (s.bands.green, s.bands.amber, s.bands.red))
        where = ["spec", "bands"]
        if s.polarity == "target_range":
            if green.op != "between" or amber.op != "between":
                d.error(Code.BANDS_POLARITY, "with polarity 'target_range', green and amber must be 'between A and B'",
                        project.locate(ref, [*where, "green"]))
            elif not (amber.value <= green.value and (green.high or 0) <= (amber.high or 0)):
                d.error(Code.BANDS_POLARITY, "the amber range must contain the green range", project.locate(ref, [*where, "amber"]))
            continue
        lower_bounds, upper_bounds = (">=", ">"), ("<=", "<")
        good, bad = (lower_bounds, upper_bounds) if s.polarity == "higher_is_better" else (upper_bounds, lower_bounds)
        for name, band in (("green", green), ("amber", amber)):
            if band.op not in good:
                d.error(Code.BANDS_POLARITY, f"polarity '{s.polarity}' needs the {name} band as '{good[0]} X' "
                        f"(got '{getattr(s.bands, name)}')", project.locate(ref, [*where, name]))
        if red.op not in bad:
            d.error(Code.BANDS_POLARITY, f"polarity '{s.polarity}' needs the red band as '{bad[1]} X' "
                    f"(got '{s.bands.red}')", project.locate(ref, [*where, "red"]))
            continue
        if green.op in good and amber.op in good:
            better = green.value > amber.value if s.polarity == "higher_is_better" else green.value < amber.value
            if not better:
                d.error(Code.BANDS_POLARITY, f"the green threshold ({green.value:g}) must be "
                        f"{'above' if s.polarity == 'higher_is_better' else 'below'} the amber threshold ({amber.value:g})",
                        project.locate(ref, [*where, "green"]))
            if amber.op in good and (red.value != amber.value or _covers(amber.op, red.op) is False):
                d.error(Code.BANDS_POLARITY, f"red '{s.bands.red}' must be the complement of amber '{s.bands.amber}' "
                        "(no gap, no overlap)", project.locate(ref, [*where, "red"]))
        if s.target is not None and green.op in good and not green.matches(s.target):
            d.warning(Code.BANDS_POLARITY, f"the target {s.target:g} is not in the green band '{s.bands.green}'",
                      project.locate(ref, ["spec", "target"]))


def _covers(amber_op: str, red_op: str) -> bool:
    """Amber '>= a' pairs with red '< a'; '> a' with '<= a' (and mirrored)."""
    return {(">=", "<"), (">", "<="), ("<=", ">"), ("<", ">=")}.__contains__((amber_op, red_op))


def dataset_columns(dataset: Dataset) -> dict[str, str]:
    return {column.name: EXPR_TYPES[column.type] for column in dataset.spec.columns}


def report_expression(project: Project, ref: str, path: list[str | int], text: str, allowed: dict[str, str],
                      *, expect: str, noun: str) -> expr.Expr | None:
    """Parse and check one expression, reporting problems at their place inside the YAML scalar."""
    try:
        tree = expr.parse(text)
    except expr.ExprError as error:
        project.diagnostics.error(Code.EXPRESSION, error.message, project.locate_in(ref, path, error.offset))
        return None
    for error in expr.check(tree, allowed, expect=expect, noun=noun):
        code = {expr.ErrorCode.UNKNOWN_NAME: Code.EXPRESSION_NAME, expr.ErrorCode.TYPE: Code.EXPRESSION_TYPE}.get(
            error.code, Code.EXPRESSION)
        project.diagnostics.error(code, error.message, project.locate_in(ref, path, error.offset))
    return tree


def check_expressions(project: Project) -> None:
    for kpi in project.kpis:
        s = kpi.spec
        if s.filter is None or s.source is None:
            continue
        dataset = project.get(s.source)
        if isinstance(dataset, Dataset):
            report_expression(project, kpi.ref, ["spec", "filter"], s.filter, dataset_columns(dataset),
                              expect="boolean", noun="column")


def check_derived(project: Project) -> None:
    """Formulas name known KPIs only, form no cycle, and never mix net-sentiment variants."""
    kpis = {kpi.id: kpi for kpi in project.kpis}
    graph: nx.DiGraph = nx.DiGraph()
    for kpi in kpis.values():
        measure = kpi.spec.measure
        if not isinstance(measure, DerivedMeasure):
            continue
        path: list[str | int] = ["spec", "measure", "formula"]
        tree = report_expression(project, kpi.ref, path, measure.formula, {k: "number" for k in kpis},
                                 expect="number", noun="KPI")
        if tree is None:
            continue
        for name in expr.names(tree):
            if name.name in kpis:
                graph.add_edge(kpi.id, name.name, offset=name.start)
        variants = {v: n for n, v in ((n.name, _variant(kpis.get(n.name))) for n in expr.names(tree)) if v}
        if len(variants) > 1:
            project.diagnostics.error(Code.MIXED_SENTIMENT_VARIANTS, "the formula combines net-sentiment variants "
                                      f"{', '.join(sorted(variants))} (from {', '.join(sorted(variants.values()))}), "
                                      "which are not comparable", project.locate(kpi.ref, path))
    for cycle in nx.simple_cycles(graph):
        start = cycle.index(min(cycle))  # report every cycle from the same place, whatever the file order
        cycle = cycle[start:] + cycle[:start]
        ids = [*cycle, cycle[0]]
        steps = []
        for a, b in zip(ids, ids[1:]):
            where = project.locate_in(kpis[a].ref, ["spec", "measure", "formula"], graph.edges[a, b]["offset"])
            steps.append(f"{a} -> {b} ({where})")
        first = kpis[min(cycle)]
        project.diagnostics.error(Code.DERIVED_CYCLE, "derived KPIs form a cycle: " + "; ".join(steps),
                                  project.locate(first.ref, ["spec", "measure", "formula"]))


def _variant(kpi: KPI | None) -> str | None:
    if kpi is not None and isinstance(kpi.spec.measure, NetSentimentMeasure):
        return kpi.spec.measure.variant
    return None


def check_lifecycle(project: Project, today: date | None = None) -> None:
    """Deprecated/retired KPIs carry their dates; active KPIs do not depend on retired ones."""
    kpis = {kpi.id: kpi for kpi in project.kpis}
    today = today or date.today()
    retiring = {d.spec.kpi for d in project.of_kind(RetirementDecision) if d.spec.decision == "retire"}
    for kpi in kpis.values():
        s, ref = kpi.spec, kpi.ref
        if s.status in ("deprecated", "retired") and s.deprecation_date is None:
            project.diagnostics.error(Code.STATUS_FIELDS, f"a {s.status} KPI needs 'deprecation_date'",
                                      project.locate(ref, ["spec", "status"]))
        if s.status == "deprecated" and s.replacement is None and kpi.id not in retiring:
            project.diagnostics.error(Code.STATUS_FIELDS, "a deprecated KPI needs 'replacement' (the KPI to use instead)",
                                      project.locate(ref, ["spec", "status"]))
        if s.status != "active":
            continue
        dependencies: list[tuple[str, list[str | int], int]] = []
        if isinstance(s.measure, DerivedMeasure):
            try:
                tree = expr.parse(s.measure.formula)
            except expr.ExprError:
                continue
            dependencies = [(n.name, ["spec", "measure", "formula"], n.start) for n in expr.names(tree)]
        for dep_id, path, offset in dependencies:
            dep = kpis.get(dep_id)
            if dep is None:
                continue
            retired = dep.spec.status == "retired" or (
                dep.spec.status == "deprecated" and dep.spec.deprecation_date is not None and dep.spec.deprecation_date <= today)
            if retired:
                project.diagnostics.error(Code.RETIRED_REFERENCED, f"active KPI '{kpi.id}' depends on '{dep_id}', which "
                                          f"is {dep.spec.status}" + (f" since {dep.spec.deprecation_date}" if dep.spec.deprecation_date else ""),
                                          project.locate_in(ref, path, offset))


__all__ = ["check_kpi_fields", "check_bands", "check_expressions", "check_derived", "check_lifecycle",
           "report_expression", "dataset_columns", "Location"]
