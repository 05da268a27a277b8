"""``kpigov lineage ID``: where a KPI, dataset or run comes from and what depends on it.

The answer is one tree of :class:`LineageNode` built from three sources, each optional past the
first: the compiled graph (upstream datasets and the columns read, dedup / lexicon / calendar
policies with their data fingerprints, expectation suites, downstream KPIs and escalations), Git
(the commits that changed the KPI's file and the spec version each one left), and the store (the
last quality results of each suite, and the runs that produced each stored value). A retired KPI is
answered like any other: its compiled logic and its value history stay queryable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import ColumnClause

from kpigov.compiler import Compiled
from kpigov.compiler.explain import impact
from kpigov.evaluate.measures import CompiledMeasure, MeasureCompileError, compile_kpi
from kpigov.lifecycle.errors import UnknownSubjectError
from kpigov.lineage.history import spec_history
from kpigov.project import Project
from kpigov.specs import KPI
from kpigov.store import schema

#: Kinds shown as "policies" upstream of a KPI: they change what is counted without being data.
POLICY_KINDS = ("DedupPolicy", "Lexicon", "EventCalendar")
#: Stored values listed per KPI (newest first); older ones stay in ``kpi_results``.
RUNS_SHOWN = 12


@dataclass
class LineageNode:
    """One thing in the lineage tree: ``kind`` says what it is, ``detail`` holds its facts."""

    label: str
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)
    children: list[LineageNode] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "detail": self.detail,
                "children": [c.as_dict() for c in self.children]}

    def walk(self) -> Iterator[tuple[LineageNode | None, LineageNode]]:
        """(parent, node) for every node, depth first; the root's parent is None."""
        stack: list[tuple[LineageNode | None, LineageNode]] = [(None, self)]
        while stack:
            parent, node = stack.pop()
            yield parent, node
            stack.extend((node, child) for child in reversed(node.children))


def lineage(project: Project, compiled: Compiled, subject: str, conn: Connection | None = None) -> LineageNode:
    """The lineage of ``subject``: a KPI id, a dataset id or ref, or a stored run id."""
    if f"kpi/{subject}" in compiled.nodes:
        return _kpi_lineage(project, compiled, f"kpi/{subject}", conn)
    dataset_ref = subject if subject.startswith("dataset/") else f"dataset/{subject}"
    if dataset_ref in compiled.nodes:
        return _dataset_lineage(compiled, dataset_ref, conn)
    if conn is not None:
        run = conn.execute(sa.select(schema.runs).where(schema.runs.c.run_id == subject)).first()
        if run is not None:
            return _run_lineage(conn, run)
    hint = ", nor a run of the store" if conn is not None else " (pass --store to look up run ids)"
    raise UnknownSubjectError(f"{subject!r} is not a KPI or dataset of the repository{hint}")


# -- KPI --------------------------------------------------------------------------------------


def _kpi_lineage(project: Project, compiled: Compiled, ref: str, conn: Connection | None) -> LineageNode:
    node, kpi = compiled.node(ref), project.get(ref)
    assert isinstance(kpi, KPI)
    root = LineageNode(node.id, "KPI", {"version": node.version, "status": kpi.spec.status, "file": node.file,
                                        "fingerprint": compiled.data_hash[ref]})
    ancestors = _ancestors(compiled, ref)
    columns = _columns_read(kpi, project)
    upstream = LineageNode("upstream", "group")
    last_quality = _last_quality(conn) if conn is not None else {}
    for parent in ancestors:
        kind, parent_node = compiled.nodes[parent].kind, compiled.nodes[parent]
        fingerprint = {"version": parent_node.version, "fingerprint": compiled.data_hash[parent]}
        if kind == "Dataset":
            read = sorted(columns.get(parent, ()))
            upstream.children.append(LineageNode(parent, "dataset", {**fingerprint, "columns": read}))
        elif kind in POLICY_KINDS:
            upstream.children.append(LineageNode(parent, "policy", {**fingerprint, "kind": kind}))
        elif kind == "ExpectationSuite":
            upstream.children.append(LineageNode(parent, "suite", {**fingerprint, "last_result": last_quality.get(parent)}))
        elif kind == "KPI":
            upstream.children.append(LineageNode(parent, "kpi", fingerprint))
    root.children.append(upstream)
    root.children.append(_versions(project, node.file, node.id))
    if conn is not None:
        root.children.append(_runs(conn, node.id))
    root.children.append(_downstream(compiled, ref))
    return root


def _ancestors(compiled: Compiled, ref: str) -> list[str]:
    """Every document ``ref`` depends on, transitively, in the compiler's order."""
    found: set[str] = set()
    pending = [ref]
    while pending:
        for parent in compiled.parents.get(pending.pop(), ()):
            if parent not in found:
                found.add(parent)
                pending.append(parent)
    return [r for r in compiled.order if r in found]


def _columns_read(kpi: KPI, project: Project) -> dict[str, set[str]]:
    """Dataset ref → columns the KPI's compiled measure reads (filter and components)."""
    try:
        measure = compile_kpi(kpi, project)
    except MeasureCompileError:
        return {}
    if not isinstance(measure, CompiledMeasure):
        return {}
    parts = [measure.filter, *(p for c in measure.components for p in (c.condition, c.weight))]
    names = {c.name for part in parts if part is not None for c in visitors.iterate(part)
             if isinstance(c, ColumnClause) and c.table is not None}
    return {measure.source: names}


def _versions(project: Project, file: str, kpi_id: str) -> LineageNode:
    """The commits that changed the KPI's file, newest first, with the version each one left."""
    history = LineageNode("spec versions", "group")
    found = spec_history(project.root, file, kpi_id)
    if found.note:
        history.detail["note"] = found.note
    for revision in found.revisions:
        history.children.append(LineageNode(revision.commit[:12], "commit", {
            "commit": revision.commit, "date": revision.date, "subject": revision.subject,
            "version": revision.version}))
    return history


def _runs(conn: Connection, kpi_id: str) -> LineageNode:
    """The stored values of the KPI, newest run first, each with the run that produced it."""
    r, k = schema.runs, schema.kpi_results
    rows = conn.execute(
        sa.select(k.c.period_start, k.c.status, k.c.value, k.c.band, r.c.run_id, r.c.as_of, r.c.git_commit,
                  r.c.manifest_fingerprint)
        .join(r, r.c.run_id == k.c.run_id)
        .where(k.c.kpi_id == kpi_id)
        .order_by(r.c.finished_at.desc(), r.c.run_id)
        .limit(RUNS_SHOWN)
    ).all()
    total = conn.execute(sa.select(sa.func.count()).select_from(k).where(k.c.kpi_id == kpi_id)).scalar_one()
    runs = LineageNode("runs", "group", {"stored_values": total, "shown": len(rows)})
    for row in rows:
        runs.children.append(LineageNode(row.run_id, "run", {
            "period_start": row.period_start.isoformat(), "status": row.status, "value": row.value, "band": row.band,
            "as_of": row.as_of.isoformat(), "git_commit": row.git_commit, "manifest": row.manifest_fingerprint}))
    return runs


def _downstream(compiled: Compiled, ref: str) -> LineageNode:
    """KPIs computed from this one and the escalation policies that route its alerts."""
    downstream = LineageNode("downstream", "group")
    for hit in impact(compiled, ref):
        kind = compiled.nodes[hit.ref].kind
        if kind in ("KPI", "EscalationPolicy"):
            why = " ; ".join(step[2] for step in hit.path)
            downstream.children.append(LineageNode(hit.ref, kind.lower() if kind == "KPI" else "escalation", {"why": why}))
    return downstream


# -- dataset and run ----------------------------------------------------------------------------


def _dataset_lineage(compiled: Compiled, ref: str, conn: Connection | None) -> LineageNode:
    node = compiled.node(ref)
    root = LineageNode(node.id, "Dataset", {"version": node.version, "file": node.file,
                                            "fingerprint": compiled.data_hash[ref]})
    last_quality = _last_quality(conn) if conn is not None else {}
    downstream = LineageNode("downstream", "group")
    for hit in impact(compiled, ref):
        kind = compiled.nodes[hit.ref].kind
        detail = {"why": " ; ".join(step[2] for step in hit.path)}
        if kind == "ExpectationSuite":
            detail["last_result"] = last_quality.get(hit.ref)
        downstream.children.append(LineageNode(hit.ref, kind.lower(), detail))
    root.children.append(downstream)
    return root


def _run_lineage(conn: Connection, run: sa.Row[Any]) -> LineageNode:
    root = LineageNode(run.run_id, "Run", {"as_of": run.as_of.isoformat(), "status": run.status,
                                           "manifest": run.manifest_fingerprint, "git_commit": run.git_commit,
                                           "error": run.error})
    quality = LineageNode("quality gates", "group")
    for suite, result in sorted(_summarise_quality(run.quality).items()):
        quality.children.append(LineageNode(suite, "suite", {"last_result": result}))
    k = schema.kpi_results
    values = LineageNode("values", "group")
    for row in conn.execute(sa.select(k.c.kpi_id, k.c.period_start, k.c.status, k.c.value, k.c.band, k.c.reason)
                            .where(k.c.run_id == run.run_id).order_by(k.c.kpi_id)):
        values.children.append(LineageNode(f"kpi/{row.kpi_id}", "kpi", {
            "period_start": row.period_start.isoformat(), "status": row.status, "value": row.value,
            "band": row.band, "reason": row.reason}))
    root.children.extend([quality, values])
    return root


def _last_quality(conn: Connection) -> dict[str, dict[str, Any]]:
    """Each suite's result in the latest successful run that checked it."""
    r = schema.runs
    found: dict[str, dict[str, Any]] = {}
    rows = conn.execute(sa.select(r.c.run_id, r.c.quality).where(r.c.status == "ok", r.c.quality.is_not(None))
                        .order_by(r.c.finished_at.desc()))
    for row in rows:
        for suite, summary in _summarise_quality(row.quality).items():
            found.setdefault(suite, {**summary, "run_id": row.run_id})
    return found


def _summarise_quality(quality_json: str | None) -> dict[str, dict[str, Any]]:
    """Per suite: success and the failed rules (GX's full result stays in the runs table)."""
    suites = json.loads(quality_json) if quality_json else {}
    return {ref: {"success": suite.get("success"), "rules": len(suite.get("results", [])),
                  "failed": sorted(o["rule_id"] for o in suite.get("results", []) if not o.get("success"))}
            for ref, suite in suites.items()}


# -- rendering ------------------------------------------------------------------------------------


def to_text(root: LineageNode) -> str:
    """An indented tree, one node a line with its facts (hashes shortened to 12 characters)."""
    lines: list[str] = []

    def visit(node: LineageNode, prefix: str, connector: str) -> None:
        facts = ", ".join(f"{key}={_fact(value)}" for key, value in node.detail.items() if value not in (None, [], {}))
        kind = "" if node.kind == "group" else f" ({node.kind})"
        lines.append(f"{prefix}{connector}{node.label}{kind}" + (f"  {facts}" if facts else ""))
        inner = prefix + ("" if not connector else "    " if connector == "└── " else "│   ")
        for i, child in enumerate(node.children):
            visit(child, inner, "└── " if i == len(node.children) - 1 else "├── ")

    visit(root, "", "")
    return "\n".join(lines) + "\n"


def _fact(value: Any) -> str:
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:12]
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def to_mermaid(root: LineageNode) -> str:
    """A ``flowchart LR`` of the tree: grouping nodes become subgraph-free labels, edges keep direction."""
    ids: dict[int, str] = {}
    lines = ["flowchart LR"]
    for parent, node in root.walk():
        ids[id(node)] = f"n{len(ids)}"
        label = node.label if node.kind == "group" else f"{node.kind}: {node.label}"
        lines.append(f'  {ids[id(node)]}["{_mermaid_text(label)}"]')
        if parent is not None:
            lines.append(f"  {ids[id(parent)]} --> {ids[id(node)]}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


__all__ = ["LineageNode", "lineage", "to_mermaid", "to_text"]
