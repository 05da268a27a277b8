"""The result of compiling: the dependency graph, the evaluation order and the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping

import networkx as nx

from kpigov.compiler.gitrepo import GitState, git_state
from kpigov.compiler.nodes import CompiledNode, Edge
from kpigov.compiler.manifest import build_manifest
from kpigov.compiler.stages import CompileState, run_stages, why
from kpigov.project import Project


@dataclass(frozen=True)
class Compiled:
    """A compiled governance repository.

    ``graph`` has one node per document reference (attribute ``kind``) and an edge parent -> child
    (attributes ``why``, ``declared_in``, ``path``) for every dependency. ``order`` is an
    evaluation order of every node, ``kpi_order`` its KPIs (a derived KPI after its inputs). The
    networkx graph and the manifest dict are built on first use and kept.
    """

    nodes: Mapping[str, CompiledNode]
    edges: Mapping[tuple[str, str], list[Edge]]
    parents: Mapping[str, list[str]]
    order: list[str]
    data_hash: Mapping[str, str]
    metadata_hash: Mapping[str, str]
    header: dict[str, Any]
    fingerprint: str

    def node(self, ref: str) -> CompiledNode:
        try:
            return self.nodes[ref]
        except KeyError:
            raise KeyError(f"'{ref}' is not a compiled document") from None

    @cached_property
    def graph(self) -> nx.DiGraph:
        graph: nx.DiGraph = nx.DiGraph()
        graph.add_nodes_from((ref, {"kind": self.nodes[ref].kind}) for ref in self.order)
        graph.add_edges_from((parent, child, {"why": why(reasons), "declared_in": reasons[0].declared_in,
                                              "path": reasons[0].path})
                             for (parent, child), reasons in sorted(self.edges.items()))
        return graph

    @cached_property
    def kpi_order(self) -> list[str]:
        return [ref for ref in self.order if self.nodes[ref].kind == "KPI"]

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return build_manifest(self)

    @classmethod
    def from_state(cls, state: CompileState) -> "Compiled":
        return cls(dict(state.nodes), state.edges, state.parents, state.order, state.data_hash, state.metadata_hash,
                   state.header, state.fingerprint)


def compile_project(project: Project, *, git: GitState | None = None) -> Compiled:
    """Compile a validated project through :data:`~kpigov.compiler.stages.STAGES`.

    Raises :class:`~kpigov.compiler.stages.CompileError` when the project has errors or a stage
    finds one (a cycle); the reasons are diagnostics in ``project.diagnostics``.
    """
    state = CompileState(project, git if git is not None else git_state(project.root))
    run_stages(state)
    return Compiled.from_state(state)


__all__ = ["Compiled", "compile_project"]
