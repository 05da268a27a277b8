"""What the compiler produces: frozen node and edge records, never the pydantic specs.

A :class:`CompiledNode` is one document reduced to what later stages need: its *meaning* (the
fields that change what a KPI computes or what a policy decides, in canonical form) apart from its
*metadata* (description, tags, owner, labels, version, approvals, footnotes), and the edges it
declares.

Both are kept as their canonical JSON text (the very text that is hashed): a string pickles into
the incremental cache a hundred times faster than a nested dict, and is decoded only when asked.
No ``slots`` on the dataclasses: pickle restores a ``__dict__`` in C, while slotted dataclasses
go through Python-level ``__getstate__``; edges, the most numerous records, are named tuples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

#: A path inside a document, as the source map understands it (``("spec", "quality_gates", 0)``).
DocPath = tuple[str | int, ...]


class Edge(NamedTuple):
    """``parent`` must be compiled (and evaluated) before ``child``; ``why`` says it in words.

    ``declared_in`` is the document that wrote the dependency and ``path`` where, so a cycle can
    point at the exact line of every edge it goes through.
    """

    parent: str
    child: str
    why: str
    declared_in: str
    path: DocPath


@dataclass(frozen=True)
class Attachment:
    """A dependency on every node matching a pattern, resolved once all nodes are known.

    ``kpi/*`` in an access rule, or a retention rule that governs a data class in every dataset:
    which nodes match depends on the whole repository, so the graph stage expands it.
    """

    pattern: str
    why: str
    path: DocPath
    data_class: str | None = None


@dataclass(frozen=True)
class CompiledNode:
    """One governance document, compiled."""

    ref: str
    kind: str
    version: str
    file: str
    meaning_json: str
    metadata_json: str
    meaning_hash: str
    metadata_own_hash: str
    edges: tuple[Edge, ...]
    attachments: tuple[Attachment, ...] = ()
    #: Every reference the document makes (resolved or not): what must be re-checked when they change.
    references: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.ref.split("/", 1)[1]

    @property
    def meaning(self) -> dict[str, Any]:
        """The canonical meaning fields (a fresh dict: the node itself never changes)."""
        return json.loads(self.meaning_json)  # type: ignore[no-any-return]

    @property
    def metadata(self) -> dict[str, Any]:
        return json.loads(self.metadata_json)  # type: ignore[no-any-return]


__all__ = ["Attachment", "CompiledNode", "DocPath", "Edge"]
