"""KPI specs compiled into measures: what the database aggregates, and how totals become a value.

Every measure kpigov knows is a function of a few *additive* totals over the mentions that pass
the KPI's filter (and are not duplicates): a count, a count of positive / negative mentions, a sum
of engagement weights, the brand's and the panel's counts. So a measure compiles to a list of
:class:`Component` aggregates plus a pure :func:`CompiledMeasure.value` over their totals. Totals of
any period are sums of daily totals, which lets one pushed-down scan per table serve every KPI,
every period and every baseline (see :mod:`kpigov.evaluate.aggregate`).

Derived KPIs compile to a :class:`CompiledFormula` over upstream values; specs are never evaluated
directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import TableClause

from kpigov import expr
from kpigov.evaluate.periods import Frequency, Period
from kpigov.project import Project
from kpigov.specs import KPI, Dataset
from kpigov.specs.kpi import (
    CountMeasure,
    DerivedMeasure,
    EngagementWeights,
    NetSentimentMeasure,
    SentimentAdjustedVolumeMeasure,
    ShareOfVoiceMeasure,
    WeightedScoreMeasure,
)
from kpigov.store.functions import filtered_count, filtered_sum
from kpigov.validate.kpis import dataset_columns

#: Column types a dataset may declare, as SQLAlchemy types (floats are 64-bit: DuckDB's FLOAT is not).
_SQL_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "string": sa.String(), "integer": sa.BigInteger(), "float": sa.Double(), "boolean": sa.Boolean(),
    "timestamp": sa.DateTime(), "date": sa.Date(),
}
_ENGAGEMENT = ("likes", "shares", "comments", "views")
#: Default thresholds when a KPI declares no sentiment rule (the SentimentRule defaults).
_POSITIVE_AT, _NEGATIVE_AT = 0.05, -0.05


class MeasureCompileError(ValueError):
    """The KPI cannot be computed on its dataset (a column it needs is not declared, bad filter)."""


@dataclass(frozen=True, slots=True)
class Missing:
    """No value, and why: zero denominators and empty periods are explicit, never NaN or 0."""

    reason: str


Computed = float | Missing


@dataclass(frozen=True, slots=True)
class Component:
    """One additive aggregate: ``count(*)`` or ``sum(weight)`` over the KPI's mentions meeting ``condition``."""

    name: str
    condition: ColumnElement[bool] | None = None
    weight: ColumnElement[float] | None = None

    def aggregate(self, kpi_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        where = kpi_filter if self.condition is None else sa.and_(kpi_filter, self.condition)
        if self.weight is None:
            return filtered_count(where)
        return filtered_sum(self.weight, where)


@dataclass(frozen=True)
class CompiledMeasure:
    """A mention KPI ready to run: its relation, its filter, its components, and how they combine."""

    kpi_id: str
    frequency: Frequency
    source: str
    relation: TableClause
    filter: ColumnElement[bool]
    components: tuple[Component, ...]
    combine: Callable[[Mapping[str, float]], Computed] = field(repr=False)
    #: Why values are never comparable (e.g. a benchmark panel its dataset cannot cover), checked per period.
    comparability: Callable[[Mapping[str, float], Period], str | None] | None = field(default=None, repr=False)
    #: Thresholds that make a mention positive / negative for this KPI (they are part of its meaning).
    positive_at: float = _POSITIVE_AT
    negative_at: float = _NEGATIVE_AT

    def value(self, totals: Mapping[str, float]) -> Computed:
        return self.combine(totals)


@dataclass(frozen=True)
class CompiledFormula:
    """A derived KPI: arithmetic over the values of the KPIs it names."""

    kpi_id: str
    frequency: Frequency
    text: str
    tree: expr.Expr
    inputs: tuple[str, ...]
    evaluate: Callable[[Mapping[str, Any]], Any] = field(repr=False)


Compiled = CompiledMeasure | CompiledFormula


def relation_of(dataset: Dataset) -> TableClause:
    """The dataset's table as declared in its spec (so any SQLAlchemy warehouse table works)."""
    return sa.table(dataset.spec.table, *(sa.column(c.name, _SQL_TYPES[c.type]) for c in dataset.spec.columns))


def compile_kpi(kpi: KPI, project: Project, relations: dict[str, TableClause] | None = None) -> Compiled:
    """Compile one KPI; raises :class:`MeasureCompileError` with a reason fit for its result row.

    ``relations`` (dataset ref → table) is shared by the KPIs of one run, so that KPIs on the same
    dataset reference the very same table object and can share one scan.
    """
    s = kpi.spec
    if isinstance(s.measure, DerivedMeasure):
        tree = expr.parse(s.measure.formula)
        inputs = tuple(dict.fromkeys(n.name for n in expr.names(tree)))
        return CompiledFormula(kpi.id, s.frequency, s.measure.formula, tree, inputs, expr.compile_python(tree))
    dataset = project.get(s.source) if s.source else None
    if not isinstance(dataset, Dataset):
        raise MeasureCompileError(f"source {s.source!r} is not a Dataset")
    relations = {} if relations is None else relations
    relation = relations.setdefault(dataset.ref, relation_of(dataset))
    needed = {"created_at", "duplicate_of", *_needed_columns(kpi)}
    missing = sorted(needed - set(relation.c.keys()))
    if missing:
        raise MeasureCompileError(f"dataset {dataset.ref} declares no column(s) {', '.join(missing)} needed by this KPI")
    kpi_filter = relation.c.duplicate_of.is_(None)
    if s.filter:
        tree = expr.parse(s.filter)
        problems = expr.check(tree, dataset_columns(dataset), expect="boolean")
        if problems:
            raise MeasureCompileError(f"filter: {problems[0].message}")
        kpi_filter = sa.and_(kpi_filter, expr.to_sqlalchemy(tree, relation.c))
    positive_at = s.sentiment.positive_at if s.sentiment else _POSITIVE_AT
    negative_at = s.sentiment.negative_at if s.sentiment else _NEGATIVE_AT
    components, combine, comparability = _measure(kpi, relation, dataset, positive_at, negative_at)
    return CompiledMeasure(kpi.id, s.frequency, dataset.ref, relation, kpi_filter, components, combine, comparability,
                           positive_at, negative_at)


def _needed_columns(kpi: KPI) -> set[str]:
    m, spikes = kpi.spec.measure, kpi.spec.spikes
    needed: set[str] = set()
    if isinstance(m, (SentimentAdjustedVolumeMeasure, NetSentimentMeasure)) or any(d.on != "volume" for d in spikes):
        needed.add("sentiment_score")
    if isinstance(m, WeightedScoreMeasure) or (isinstance(m, ShareOfVoiceMeasure) and m.basis == "weighted_score"):
        weights = m.weights or EngagementWeights()
        needed.update(name for name in _ENGAGEMENT if getattr(weights, name))
    if isinstance(m, ShareOfVoiceMeasure):
        needed.update({"entity", "platform"})
    return needed


def sentiment_conditions(score: ColumnElement[float], positive_at: float, negative_at: float) -> dict[str, ColumnElement[bool]]:
    """Positive / negative / neutral by the KPI's own thresholds (unscored mentions are none of them)."""
    pos, neg = sa.literal(positive_at, sa.Double), sa.literal(negative_at, sa.Double)
    return {"positive": score >= pos, "negative": score <= neg, "neutral": sa.and_(score > neg, score < pos)}


def engagement_weight(relation: TableClause, weights: EngagementWeights) -> ColumnElement[float]:
    """``mention + Σ weight × count`` per mention; a count the platform does not report counts 0."""
    total: ColumnElement[float] = sa.literal(weights.mention, sa.Double)
    for name in _ENGAGEMENT:
        w = getattr(weights, name)
        if w:
            total = total + sa.literal(w, sa.Double) * sa.func.coalesce(relation.c[name], 0)
    return total


def _ratio(numerator: float, denominator: float, what: str) -> Computed:
    if denominator == 0:
        return Missing(f"zero denominator ({what} = 0)")
    return numerator / denominator


def _measure(kpi: KPI, relation: TableClause, dataset: Dataset, positive_at: float, negative_at: float) -> tuple[
        tuple[Component, ...], Callable[[Mapping[str, float]], Computed], Callable[[Mapping[str, float], Period], str | None] | None]:
    m = kpi.spec.measure
    labels = sentiment_conditions(relation.c.sentiment_score, positive_at, negative_at) if "sentiment_score" in relation.c else {}
    if isinstance(m, CountMeasure):
        return (Component("n"),), lambda t: t["n"], None
    if isinstance(m, SentimentAdjustedVolumeMeasure):
        return (Component(m.label, labels[m.label]),), lambda t: t[m.label], None
    if isinstance(m, WeightedScoreMeasure):
        parts = (Component("n"), Component("weighted", weight=engagement_weight(relation, m.weights)))
        if m.aggregate == "sum":
            return parts, lambda t: t["weighted"], None
        return parts, lambda t: _ratio(t["weighted"], t["n"], "mentions"), None
    if isinstance(m, NetSentimentMeasure):
        parts = (Component("n"), Component("positive", labels["positive"]), Component("negative", labels["negative"]))
        variants: dict[str, Callable[[Mapping[str, float]], Computed]] = {
            "talkwalker": lambda t: _ratio(t["positive"] - t["negative"], t["positive"] + t["negative"], "positive + negative"),
            "pct_diff": lambda t: _ratio(t["positive"] - t["negative"], t["n"], "mentions"),
            "brand_health": lambda t: _ratio(t["positive"], t["positive"] + t["negative"], "positive + negative"),
        }
        return parts, variants[m.variant], None
    if isinstance(m, ShareOfVoiceMeasure):
        return _share_of_voice(m, relation, dataset)
    raise MeasureCompileError(f"measure type {m.type!r} is not evaluable on mentions")


def _share_of_voice(m: ShareOfVoiceMeasure, relation: TableClause, dataset: Dataset) -> tuple[
        tuple[Component, ...], Callable[[Mapping[str, float]], Computed], Callable[[Mapping[str, float], Period], str | None]]:
    """Brand / panel, plus one coverage count per (entity, declared platform) to prove the benchmark is whole."""
    panel = m.panel
    entities = [panel.brand, *panel.competitors]
    weight = engagement_weight(relation, m.weights or EngagementWeights()) if m.basis == "weighted_score" else None
    entity, platform = relation.c.entity, relation.c.platform
    parts = [Component("brand", entity == sa.literal(panel.brand, sa.String), weight),
             Component("panel", entity.in_([sa.literal(e, sa.String) for e in entities]), weight)]
    coverage = {f"covers:{e}:{p}": (e, p) for e in entities for p in panel.platforms}
    parts += [Component(name, sa.and_(entity == sa.literal(e, sa.String), platform == sa.literal(p, sa.String)))
              for name, (e, p) in coverage.items()]
    collected = set(dataset.spec.provenance.platforms)

    def comparability(totals: Mapping[str, float], period: Period) -> str | None:
        uncollected = [p for p in panel.platforms if collected and p not in collected]
        if uncollected:
            return f"{dataset.ref} does not collect the panel's platform(s) {', '.join(uncollected)}"
        if period.start < panel.timeframe.start or period.end > panel.timeframe.end:
            return f"period {period} is outside the panel's timeframe {panel.timeframe.start}..{panel.timeframe.end}"
        gaps = [f"{e} on {p}" for name, (e, p) in coverage.items() if not totals.get(name)]
        return f"the benchmark has no mentions of {', '.join(gaps)} in the period" if gaps else None

    return tuple(parts), lambda t: _ratio(t["brand"], t["panel"], "panel mentions"), comparability
