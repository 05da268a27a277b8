"""The manifest: the compiled repository as one JSON document (like dbt's ``manifest.json``).

Its shape is :data:`MANIFEST_SCHEMA` (JSON Schema 2020-12, published in docs/compiler.md) at
:data:`MANIFEST_VERSION`; a reader refuses a manifest of another major version. ``generated_at``
is the only field that changes when nothing else does: it is outside every fingerprint.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from kpigov import __version__
from kpigov.compiler.nodes import CompiledNode
from kpigov.compiler.stages import why

if TYPE_CHECKING:
    from kpigov.compiler.compiled import Compiled
    from kpigov.compiler.stages import CompileState

MANIFEST_VERSION = "1.0.0"
MANIFEST_FILE = "manifest.json"

_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_REF = {"type": "string", "pattern": "^[a-z]+/[^\\s/]+$"}

MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://kpigov.dev/schemas/v1/manifest.json",
    "title": "kpigov manifest",
    "type": "object",
    "required": ["manifest_version", "kpigov_version", "generated_at", "fingerprint", "git", "policy", "nodes", "kpi_order"],
    "additionalProperties": False,
    "properties": {
        "manifest_version": {"type": "string", "pattern": "^1\\.\\d+\\.\\d+$",
                             "description": "Version of this schema; readers refuse another major version."},
        "kpigov_version": {"type": "string", "description": "Version of kpigov that compiled the repository."},
        "generated_at": {"type": "string", "format": "date-time", "description": "UTC; not part of any fingerprint."},
        "fingerprint": {**_HASH, "description": "Hash of every node's data and metadata hash: equal fingerprints, equal repositories."},
        "git": {
            "type": "object", "additionalProperties": False, "required": ["commit", "dirty"],
            "properties": {"commit": {"type": ["string", "null"], "description": "HEAD of the governance repository (null outside Git)."},
                           "dirty": {"type": ["boolean", "null"], "description": "Governance files differ from HEAD."}},
        },
        "policy": {
            "type": "object", "additionalProperties": False, "required": ["approvers", "retention_limits"],
            "description": "What change control reads from kpigov.yaml: who may approve what, and legal retention limits.",
            "properties": {"approvers": {"type": "object", "additionalProperties": {"type": "array", "items": _REF}},
                           "retention_limits": {"type": "array", "items": {"type": "object"}}},
        },
        "nodes": {
            "type": "object", "propertyNames": _REF,
            "additionalProperties": {
                "type": "object", "additionalProperties": False,
                "required": ["kind", "version", "file", "data_hash", "metadata_hash", "meaning_hash", "parents", "children",
                             "meaning", "metadata"],
                "properties": {
                    "kind": {"type": "string"},
                    "version": {"type": "string", "description": "metadata.version of the document."},
                    "file": {"type": "string", "description": "Repository-relative path of the defining file."},
                    "data_hash": {**_HASH, "description": "Meaning, folded with the parents' data hashes."},
                    "metadata_hash": {**_HASH, "description": "Metadata, folded with the parents' metadata hashes."},
                    "meaning_hash": {**_HASH, "description": "The node's own meaning only (not folded)."},
                    "parents": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                           "required": ["ref", "why"],
                                                           "properties": {"ref": _REF, "why": {"type": "string"}}}},
                    "children": {"type": "array", "items": _REF},
                    "meaning": {"type": "object", "description": "Canonical meaning fields (what data_hash covers)."},
                    "metadata": {"type": "object", "description": "Description, owner, tags, labels, version, approvals..."},
                },
            },
        },
        "kpi_order": {"type": "array", "items": _REF, "description": "KPIs in evaluation order (derived after their inputs)."},
    },
}


def manifest_header(state: CompileState) -> dict[str, Any]:
    """Every manifest field except ``nodes``."""
    config = state.project.config.spec
    return {
        "manifest_version": MANIFEST_VERSION,
        "kpigov_version": __version__,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "fingerprint": state.fingerprint,
        "git": state.git.as_dict(),
        "policy": {"approvers": {scope: list(teams) for scope, teams in sorted(config.approvers.items())},
                   "retention_limits": [limit.model_dump(mode="json") for limit in config.retention_limits]},
        "kpi_order": [ref for ref in state.order if state.nodes[ref].kind == "KPI"],
    }


def _entries(compiled: Compiled) -> Iterator[tuple[str, dict[str, Any], CompiledNode]]:
    """(ref, entry without meaning/metadata, node), sorted by ref."""
    children: dict[str, list[str]] = {ref: [] for ref in compiled.nodes}
    for parent, child in compiled.edges:
        children[parent].append(child)
    for ref in sorted(compiled.nodes):
        node = compiled.nodes[ref]
        yield ref, {
            "kind": node.kind, "version": node.version, "file": node.file,
            "data_hash": compiled.data_hash[ref], "metadata_hash": compiled.metadata_hash[ref],
            "meaning_hash": node.meaning_hash,
            "parents": [{"ref": p, "why": why(compiled.edges[p, ref])} for p in sorted(compiled.parents[ref])],
            "children": sorted(children[ref]),
        }, node


def build_manifest(compiled: Compiled) -> dict[str, Any]:
    """The manifest as a dict (node meaning and metadata decoded)."""
    nodes = {ref: {**entry, "meaning": node.meaning, "metadata": node.metadata} for ref, entry, node in _entries(compiled)}
    return {**compiled.header, "nodes": nodes}


def manifest_text(compiled: Compiled) -> str:
    """The manifest as JSON text, equal to ``json.dumps(build_manifest(...))`` in content.

    Each node's meaning and metadata are spliced in as the canonical JSON they were hashed from,
    never decoded and re-encoded: writing a 10,000-node manifest costs what its bookkeeping costs.
    """
    parts = []
    for ref, entry, node in _entries(compiled):
        body = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))[:-1]
        parts.append(f'{json.dumps(ref)}:{body},"meaning":{node.meaning_json},"metadata":{node.metadata_json}}}')
    head = json.dumps(compiled.header, ensure_ascii=False, separators=(",", ":"))[:-1]
    return f'{head},"nodes":{{{",".join(parts)}}}}}'


def write_atomic(path: Path, content: bytes) -> None:
    """Write through a temporary file in the same folder and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the manifest from CI steps running as another user
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_manifest(path: Path, compiled: Compiled) -> None:
    write_atomic(path, manifest_text(compiled).encode("utf-8"))


class ManifestError(ValueError):
    """A manifest file that is unreadable, not JSON, or of an unsupported manifest version."""


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc}") from exc
    version = manifest.get("manifest_version") if isinstance(manifest, dict) else None
    if not isinstance(version, str) or version.split(".")[0] != MANIFEST_VERSION.split(".")[0]:
        raise ManifestError(f"{path}: manifest_version {version!r} is not supported (this kpigov reads {MANIFEST_VERSION})")
    return manifest


__all__ = ["MANIFEST_VERSION", "MANIFEST_SCHEMA", "MANIFEST_FILE", "manifest_header", "build_manifest", "manifest_text",
           "write_manifest", "read_manifest", "write_atomic", "ManifestError"]
