"""Stage "resolve": each typed spec becomes a :class:`CompiledNode` (meaning, metadata, edges).

Meaning is what changes a number or a decision; metadata is what only describes it. Both are put
in canonical form before hashing so that formatting never looks like a change:

- expressions go through :func:`kpigov.expr.to_text` (``a=1`` and ``A = (1)`` are one filter),
- band thresholds are re-rendered from their parsed form (``>= 0.30`` is ``>= 0.3``),
- lists of plain values are sorted: in every kpigov kind they are sets (competitors, platforms,
  roles, quality gates...), so their order carries no meaning; lists of mappings keep their order
  (escalation tiers are ordered),
- defaults are written out, so spelling a default explicitly is not a change.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, Iterator

from kpigov import expr
from kpigov.compiler.nodes import Attachment, CompiledNode, DocPath, Edge
from kpigov.specs import (
    KPI,
    AccessPolicy,
    Dataset,
    Envelope,
    ExpectationSuite,
    EscalationPolicy,
    RetentionRule,
    RetirementDecision,
    Role,
)
from kpigov.specs.kpi import DerivedMeasure, parse_band
from kpigov.validate.references import references


#: Built once: ``json.dumps`` with options builds a new encoder per call (twice per document).
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The one serialisation every hash is taken over (sorted keys, no whitespace)."""
    return _CANONICAL_ENCODER.encode(value)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_CONTAINERS = (dict, list)


def _scalar_order(value: Any) -> tuple[str, Any]:
    return type(value).__name__, value


def _canonical(value: Any) -> Any:
    """Sort every list of plain values, in place (``value`` is a fresh ``model_dump``)."""
    if type(value) is dict:
        for key, item in value.items():
            if type(item) in _CONTAINERS:
                value[key] = _canonical(item)
        return value
    if all(type(item) not in _CONTAINERS for item in value):
        return sorted(value, key=_scalar_order)
    return [_canonical(item) if type(item) in _CONTAINERS else item for item in value]


@lru_cache(maxsize=4096)
def canonical_expression(text: str) -> str:
    """The canonical text of an expression; unparseable text (never in a validated project) stays as is."""
    try:
        return expr.to_text(expr.parse(text))
    except expr.ExprError:
        return text


@lru_cache(maxsize=4096)  # a few band texts recur across thousands of KPIs
def _band(text: str) -> str:
    band = parse_band(text)
    if band.op == "between":
        return f"between {band.value!r} and {band.high!r}"
    return f"{band.op} {band.value!r}"


# -- meaning and metadata per kind --------------------------------------------------------------


def _kpi_meaning(spec: KPI, data: dict[str, Any]) -> dict[str, Any]:
    data.pop("footnotes", None)
    if data.get("filter") is not None:
        data["filter"] = canonical_expression(data["filter"])
    if isinstance(spec.spec.measure, DerivedMeasure):
        data["measure"]["formula"] = canonical_expression(spec.spec.measure.formula)
    if data.get("bands"):
        data["bands"] = {name: _band(text) for name, text in data["bands"].items()}
    return data


def _access_meaning(spec: AccessPolicy, data: dict[str, Any]) -> dict[str, Any]:
    for rule in data["rules"]:
        if rule.get("condition") is not None:
            rule["condition"] = canonical_expression(rule["condition"])
    return data


def _without_descriptions(items: list[dict[str, Any]]) -> dict[str, str]:
    """Drop ``description`` from each item (it is metadata) and return them by the item's name/id."""
    moved = {}
    for item in items:
        text = item.pop("description", None)
        if text:
            moved[str(item.get("name", item.get("id")))] = text
    return moved


def _meaning_and_extra_metadata(spec: Envelope) -> tuple[dict[str, Any], dict[str, Any]]:
    data = spec.spec.model_dump(mode="json")  # type: ignore[attr-defined]
    extra: dict[str, Any] = {}
    if isinstance(spec, KPI):
        extra["footnotes"] = list(spec.spec.footnotes)
        data = _kpi_meaning(spec, data)
    elif isinstance(spec, AccessPolicy):
        data = _access_meaning(spec, data)
    elif isinstance(spec, Dataset):
        extra["column_descriptions"] = _without_descriptions(data["columns"])
    elif isinstance(spec, ExpectationSuite):
        extra["expectation_descriptions"] = _without_descriptions(data["expectations"])
    elif isinstance(spec, Role):
        extra["role_description"] = data.pop("description", None)
    return _canonical(data), extra


def _metadata(spec: Envelope, extra: dict[str, Any]) -> dict[str, Any]:
    meta = spec.metadata
    return {
        "version": meta.version, "description": meta.description, "owner": meta.owner,
        "tags": sorted(meta.tags), "labels": dict(meta.labels),
        "approvals": [a.model_dump(mode="json") for a in meta.approvals], **extra,
    }


# -- edges --------------------------------------------------------------------------------------


def _kpi_edges(kpi: KPI) -> Iterator[tuple[str, str, str, DocPath]]:
    """(parent, child, why, path) for every dependency a KPI document declares."""
    s, ref = kpi.spec, kpi.ref
    if s.source:
        yield s.source, ref, "source dataset", ("spec", "source")
    if s.dedup:
        yield s.dedup, ref, "dedup policy", ("spec", "dedup")
    if s.sentiment:
        yield s.sentiment.lexicon, ref, "sentiment lexicon", ("spec", "sentiment", "lexicon")
    if s.baseline and s.baseline.exclude_events:
        yield s.baseline.exclude_events, ref, "baseline excludes its events", ("spec", "baseline", "exclude_events")
    for i, suite in enumerate(s.quality_gates):
        yield suite, ref, "quality gate", ("spec", "quality_gates", i)
    for i, outcome in enumerate(s.outcomes):
        yield outcome, ref, "outcome series it is judged against", ("spec", "outcomes", i)
    for name in formula_inputs(kpi):
        yield f"kpi/{name}", ref, "formula input", ("spec", "measure", "formula")
    if s.escalation:
        yield ref, s.escalation, "routes this KPI's alerts", ("spec", "escalation")


def formula_inputs(kpi: KPI) -> list[str]:
    """Ids of the KPIs a derived KPI's formula names, in first-use order."""
    if not isinstance(kpi.spec.measure, DerivedMeasure):
        return []
    try:
        tree = expr.parse(kpi.spec.measure.formula)
    except expr.ExprError:
        return []
    return list(dict.fromkeys(name.name for name in expr.names(tree)))


def _access_edges(policy: AccessPolicy) -> Iterator[tuple[str, str, str, DocPath] | Attachment]:
    ref = policy.ref
    for i, rule in enumerate(policy.spec.rules):
        action = f"rule {rule.id}: {rule.effect} {', '.join(rule.actions)}"
        for j, role in enumerate(rule.roles):
            yield role, ref, f"{action} to this role", ("spec", "rules", i, "roles", j)
        for j, resource in enumerate(rule.resources):
            path: DocPath = ("spec", "rules", i, "resources", j)
            target, _, column = resource.partition(":")
            on = f"{action} on {'column ' + column if column else 'it'}"
            if "*" in target:
                yield Attachment(target, on, path)
            else:
                yield target, ref, on, path


def _declared(spec: Envelope) -> Iterator[tuple[str, str, str, DocPath] | Attachment]:
    ref = spec.ref
    if isinstance(spec, KPI):
        yield from _kpi_edges(spec)
    elif isinstance(spec, Dataset) and spec.spec.fallback:
        yield spec.spec.fallback, ref, "fallback during an outage", ("spec", "fallback")
    elif isinstance(spec, ExpectationSuite):
        yield spec.spec.dataset, ref, "checked by this suite", ("spec", "dataset")
    elif isinstance(spec, EscalationPolicy):
        for i, tier in enumerate(spec.spec.tiers):
            yield tier.team, ref, f"alerted at tier {tier.level} after {tier.escalate_after}", ("spec", "tiers", i, "team")
    elif isinstance(spec, RetentionRule):
        s = spec.spec
        why = f"{s.action} {s.data_class} data after {s.period} ({s.jurisdiction})"
        if s.datasets:
            for i, dataset in enumerate(s.datasets):
                yield dataset, ref, why, ("spec", "datasets", i)
        else:
            yield Attachment("dataset/*", why, ("spec", "data_class"), data_class=s.data_class)
    elif isinstance(spec, AccessPolicy):
        yield from _access_edges(spec)
    elif isinstance(spec, Role):
        for i, team in enumerate(spec.spec.teams):
            yield team, ref, "members hold this role", ("spec", "teams", i)
        for i, parent in enumerate(spec.spec.inherits):
            yield parent, ref, "inherited by this role", ("spec", "inherits", i)
    elif isinstance(spec, RetirementDecision):
        yield f"kpi/{spec.spec.kpi}", ref, "decided on by this review", ("spec", "kpi")


def resolve(spec: Envelope, file: str) -> CompiledNode:
    """Compile one spec (its references need not exist yet: the graph stage keeps only resolved edges)."""
    meaning, extra = _meaning_and_extra_metadata(spec)
    metadata = _metadata(spec, extra)
    ref = spec.ref
    edges: list[Edge] = []
    attachments: list[Attachment] = []
    for item in _declared(spec):
        if isinstance(item, Attachment):
            attachments.append(item)
        else:
            parent, child, why, path = item
            edges.append(Edge(parent, child, why, ref, path))
    referenced = {target for _, target in references(spec)}
    referenced.update(e.parent if e.child == ref else e.child for e in edges)
    meaning_json, metadata_json = canonical_json(meaning), canonical_json(metadata)
    return CompiledNode(
        ref=ref, kind=spec.KIND, version=spec.metadata.version, file=file, meaning_json=meaning_json,
        metadata_json=metadata_json, meaning_hash=digest(meaning_json), metadata_own_hash=digest(metadata_json),
        edges=tuple(edges), attachments=tuple(attachments), references=tuple(sorted(referenced)),
    )


__all__ = ["resolve", "canonical_json", "canonical_expression", "digest", "formula_inputs"]
