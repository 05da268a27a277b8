"""The compiler: an ordered table of named stages over one mutable :class:`CompileState`.

    resolve -> conventions -> graph -> cycles -> fingerprint -> manifest

Loading, typed parsing and the semantic checks (references resolve, naming and metadata
conventions, consistency rules) are :func:`kpigov.load`; the compiler starts from a validated
project. A stage that finds an error adds a located diagnostic to ``project.diagnostics`` and stops
the pipeline (a graph with a cycle has no evaluation order to fingerprint).
"""

from __future__ import annotations

import fnmatch
import hashlib
import heapq
from dataclasses import dataclass, field
from typing import Callable, Iterable

import networkx as nx

from kpigov.compiler.gitrepo import GitState
from kpigov.compiler.nodes import CompiledNode, Edge
from kpigov.compiler.resolve import resolve
from kpigov.diagnostics import Code, Location
from kpigov.project import Project


class CompileError(Exception):
    """The project cannot be compiled; the reasons are diagnostics in ``project.diagnostics``."""


def why(reasons: list[Edge]) -> str:
    """Every distinct reason for one parent -> child edge, in the order they were declared."""
    return "; ".join(dict.fromkeys(edge.why for edge in reasons))


@dataclass
class CompileState:
    """What the stages share. ``nodes`` may arrive pre-filled from the incremental cache.

    The graph is kept as plain dicts on the hot path (``parents``, ``edges``); the networkx view is
    built from them on demand (:attr:`kpigov.compiler.Compiled.graph`).
    """

    project: Project
    git: GitState
    nodes: dict[str, CompiledNode] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)
    #: parent -> child: every declared reason (several access rules may govern one dataset)
    edges: dict[tuple[str, str], list[Edge]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    data_hash: dict[str, str] = field(default_factory=dict)
    metadata_hash: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    header: dict[str, object] = field(default_factory=dict)
    stopped: bool = False


Stage = Callable[[CompileState], None]


def stage_resolve(state: CompileState) -> None:
    """Compile every spec of the project (cached nodes of files not re-loaded are kept as they are)."""
    project = state.project
    for ref, spec in project.specs.items():
        state.nodes[ref] = resolve(spec, project.sources[ref].path)


def stage_conventions(state: CompileState) -> None:
    """Graph-level conventions: a KPI's quality gates check the dataset it reads (a warning)."""
    project = state.project
    for kpi in project.kpis:
        source = kpi.spec.source
        for i, gate in enumerate(kpi.spec.quality_gates):
            suite = state.nodes.get(gate)
            if source is not None and suite is not None and suite.meaning["dataset"] != source:
                project.diagnostics.warning(
                    Code.QUALITY_GATE_DATASET, f"quality gate '{gate}' checks {suite.meaning['dataset']}, but this KPI "
                    f"reads {source}", project.locate(kpi.ref, ["spec", "quality_gates", i]))


def _attached(nodes: dict[str, CompiledNode], node: CompiledNode) -> Iterable[Edge]:
    """Expand a node's pattern attachments (``kpi/*``, every dataset holding a data class) into edges."""
    for attachment in node.attachments:
        prefix = attachment.pattern.split("/", 1)[0] + "/"
        for ref, target in nodes.items():
            if not ref.startswith(prefix) or not fnmatch.fnmatchcase(ref, attachment.pattern):
                continue
            if attachment.data_class is not None and not any(
                    column["data_class"] == attachment.data_class for column in target.meaning.get("columns", [])):
                continue
            yield Edge(ref, node.ref, attachment.why, node.ref, attachment.path)


def stage_graph(state: CompileState) -> None:
    """Edges parent -> child with all their reasons; unresolved ends are dropped (validation
    already reported them). Iteration order does not matter: every output is sorted later."""
    nodes = state.nodes
    edges: dict[tuple[str, str], list[Edge]] = {}
    for node in nodes.values():
        for edge in (*node.edges, *_attached(nodes, node)) if node.attachments else node.edges:
            if edge.parent in nodes and edge.child in nodes:
                reasons = edges.get((edge.parent, edge.child))
                if reasons is None:
                    edges[edge.parent, edge.child] = [edge]
                else:
                    reasons.append(edge)
    parents: dict[str, list[str]] = {ref: [] for ref in nodes}
    for parent, child in edges:
        parents[child].append(parent)
    state.edges, state.parents = edges, parents


def _edge_location(state: CompileState, parent: str, child: str) -> Location:
    edge = state.edges[parent, child][0]
    if edge.declared_in in state.project.sources:
        return state.project.locate(edge.declared_in, list(edge.path))
    return Location(state.nodes[edge.declared_in].file)


def _evaluation_order(parents: dict[str, list[str]]) -> tuple[list[str], set[str]]:
    """Kahn's algorithm, smallest ready reference first (a stable order whatever the file order).

    Returns the order and the nodes left over, which lie on or behind a cycle.
    """
    waiting = {ref: len(ps) for ref, ps in parents.items()}
    children: dict[str, list[str]] = {ref: [] for ref in parents}
    for child, ps in parents.items():
        for parent in ps:
            children[parent].append(child)
    ready = [ref for ref, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        ref = heapq.heappop(ready)
        order.append(ref)
        for child in children[ref]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    return order, {ref for ref, count in waiting.items() if count > 0}


def stage_cycles(state: CompileState) -> None:
    """The evaluation order; if there is none, one diagnostic per cycle, from its smallest node,
    with every edge and the place where that edge is written."""
    state.order, blocked = _evaluation_order(state.parents)
    if not blocked:
        return
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_edges_from((p, c) for (p, c) in state.edges if p in blocked and c in blocked)
    for component in sorted(sorted(c) for c in nx.strongly_connected_components(graph)):
        start = component[0]
        if len(component) == 1 and not graph.has_edge(start, start):
            continue  # behind a cycle, not on one
        cycle = nx.find_cycle(graph.subgraph(component), source=start)
        first = min(range(len(cycle)), key=lambda i: cycle[i][0])
        cycle = cycle[first:] + cycle[:first]
        steps = [f"{a} -> {b} ({why(state.edges[a, b])}, {_edge_location(state, a, b)})" for a, b in cycle]
        state.project.diagnostics.error(Code.DEPENDENCY_CYCLE, "dependency cycle: " + "; ".join(steps),
                                        _edge_location(state, *cycle[0]))
    state.stopped = True


def _fold(own: str, parents: list[str]) -> str:
    return hashlib.sha256("".join([own, *sorted(parents)]).encode("ascii")).hexdigest()


def _fingerprint_nodes(state: CompileState, refs: Iterable[str]) -> None:
    """Fold the data and metadata hashes of ``refs`` (in evaluation order) and the repository fingerprint."""
    nodes, parents = state.nodes, state.parents
    data, meta = state.data_hash, state.metadata_hash
    for ref in refs:
        node, ps = nodes[ref], parents[ref]
        data[ref] = _fold(node.meaning_hash, [data[p] for p in ps])
        meta[ref] = _fold(node.metadata_own_hash, [meta[p] for p in ps])
    state.fingerprint = hashlib.sha256("".join(
        f"{ref}\0{data[ref]}\0{meta[ref]}\n" for ref in sorted(nodes)).encode("utf-8")).hexdigest()


def stage_fingerprint(state: CompileState) -> None:
    """Data and metadata hashes, each folded with the parents' (sorted), in evaluation order."""
    _fingerprint_nodes(state, state.order)


def refingerprint(state: CompileState, changed: set[str]) -> None:
    """:func:`stage_fingerprint` for a graph whose structure did not change and whose hashes are
    those of the previous compile: only ``changed`` nodes and their descendants are folded again
    (a one-file change re-hashes its downstream, not the repository). One pass over the evaluation
    order finds the descendants: a node's parents come before it."""
    stale, parents = set(changed), state.parents
    refs: list[str] = []
    for ref in state.order if stale else ():
        if ref in stale or not stale.isdisjoint(parents[ref]):
            stale.add(ref)
            refs.append(ref)
    _fingerprint_nodes(state, refs)


def stage_manifest(state: CompileState) -> None:
    """Everything of the manifest but the node entries, which :class:`Compiled` renders on demand
    (decoding 10,000 nodes' meaning into dicts is most of a recompile otherwise)."""
    from kpigov.compiler.manifest import manifest_header

    state.header = manifest_header(state)


#: The compiler's stages, run in this order.
STAGES: dict[str, Stage] = {
    "resolve": stage_resolve,
    "conventions": stage_conventions,
    "graph": stage_graph,
    "cycles": stage_cycles,
    "fingerprint": stage_fingerprint,
    "manifest": stage_manifest,
}


def run_stages(state: CompileState) -> None:
    if state.project.diagnostics.has_errors:
        raise CompileError("the project does not validate; compile needs a valid project")
    for name, stage in STAGES.items():
        stage(state)
        if state.stopped:
            raise CompileError(f"stage '{name}' stopped the compilation")


__all__ = ["STAGES", "CompileState", "CompileError", "refingerprint", "run_stages", "why"]
