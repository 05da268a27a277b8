"""The dependency graph for people (Mermaid, Graphviz DOT) and programs (JSON node-link)."""

from __future__ import annotations

import json
import re

from kpigov.compiler.compiled import Compiled
from kpigov.compiler.stages import why

GRAPH_FORMATS = ("mermaid", "dot", "json")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _mermaid_id(ref: str) -> str:
    return "n_" + _UNSAFE.sub("_", ref)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_mermaid(compiled: Compiled) -> str:
    lines = ["flowchart LR"]
    for ref in compiled.order:
        lines.append(f'  {_mermaid_id(ref)}["{_quote(ref)}"]')
    for (parent, child), reasons in sorted(compiled.edges.items()):
        label = why(reasons).replace('"', "'").replace("|", "/")
        lines.append(f'  {_mermaid_id(parent)} -->|"{label}"| {_mermaid_id(child)}')
    return "\n".join(lines)


def to_dot(compiled: Compiled) -> str:
    lines = ["digraph kpigov {", "  rankdir=LR;", "  node [shape=box];"]
    for ref in compiled.order:
        lines.append(f'  "{_quote(ref)}" [label="{_quote(ref)}", kind="{compiled.nodes[ref].kind}"];')
    for (parent, child), reasons in sorted(compiled.edges.items()):
        lines.append(f'  "{_quote(parent)}" -> "{_quote(child)}" [label="{_quote(why(reasons))}"];')
    lines.append("}")
    return "\n".join(lines)


def to_json(compiled: Compiled) -> str:
    return json.dumps({
        "nodes": [{"ref": ref, "kind": compiled.nodes[ref].kind, "version": compiled.nodes[ref].version} for ref in compiled.order],
        "edges": [{"parent": p, "child": c, "why": why(reasons)} for (p, c), reasons in sorted(compiled.edges.items())],
        "kpi_order": compiled.kpi_order,
    }, indent=2)


def render_graph(compiled: Compiled, fmt: str) -> str:
    return {"mermaid": to_mermaid, "dot": to_dot, "json": to_json}[fmt](compiled)


__all__ = ["GRAPH_FORMATS", "render_graph", "to_mermaid", "to_dot", "to_json"]
