"""Incremental compilation: ``compile_repo`` with a cache keyed by file content (sha256).

The cache (``.kpigov/cache/compile.pickle``) is one pickle of the last successful compile: every
file's content hash and (size, mtime_ns) stamp, every compiled node, the warnings of each file, and
the compiled graph itself (edges, parents, evaluation order, data and metadata hashes, fingerprint).
It is read with a single ``pickle.loads``: thousands of small per-file payloads cost twice as much
to decode, and a recompile's fixed cost is what bounds the one-file target.

When files change, only they and the documents that reference what they define are re-loaded and
re-checked (with the documents *they* reference as context); every other node and warning is reused.
If no re-checked document changed its edges, its pattern attachments or the data classes it holds,
the graph and evaluation order are reused and only the changed nodes and their descendants are
re-fingerprinted (:func:`~kpigov.compiler.stages.refingerprint`); otherwise the graph is rebuilt.
When nothing changed, nothing is recomputed and the cache is not rewritten.

Trust rules: a cache from another kpigov version, another ``kpigov.yaml`` or that cannot be read
is ignored and rebuilt. Only an error-free compile is cached, and any error found on the
incremental path (a duplicate id, a broken reference, a cycle) falls back to a full compile, so
reported errors always come from a complete validation: a cache can make kpigov faster, never
more lenient.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kpigov import __version__
from kpigov.compiler.compiled import Compiled, compile_project
from kpigov.compiler.gitrepo import git_state
from kpigov.compiler.manifest import write_atomic
from kpigov.compiler.nodes import CompiledNode, Edge
from kpigov.compiler.resolve import resolve
from kpigov.compiler.stages import (
    CompileError,
    CompileState,
    refingerprint,
    stage_conventions,
    stage_cycles,
    stage_fingerprint,
    stage_graph,
    stage_manifest,
    stage_resolve,
)
from kpigov.diagnostics import Diagnostic, Diagnostics, Severity
from kpigov.loader import SPEC_SUFFIXES, TEST_SUFFIXES
from kpigov.project import CONFIG_FILE, SPEC_FOLDERS, Project, load

CACHE_DIR = Path(".kpigov") / "cache"
CACHE_FILE = "compile.pickle"
_CACHE_FORMAT = 3

#: What is known of one file on disk: its content hash and its (size, mtime_ns) stamp. A file whose
#: stamp is unchanged is not re-read, as Git's index does; any other stamp means it is hashed again.
FileState = tuple[str, tuple[int, int]]


@dataclass(frozen=True)
class Snapshot:
    """Everything the cache holds; ``key`` names the kpigov version, cache format and config content.

    ``files`` covers every spec file of the compile; ``warnings`` every file a diagnostic is located
    in (kpigov.yaml holds warnings but no node). The other fields are the compiled graph, as
    :class:`~kpigov.compiler.stages.CompileState` holds it.
    """

    key: tuple[str, int, str]
    files: dict[str, FileState]
    warnings: dict[str, tuple[Diagnostic, ...]]
    nodes: dict[str, CompiledNode]
    edges: dict[tuple[str, str], list[Edge]]
    parents: dict[str, list[str]]
    order: list[str]
    data_hash: dict[str, str]
    metadata_hash: dict[str, str]
    fingerprint: str

    @classmethod
    def of(cls, key: tuple[str, int, str], files: dict[str, FileState], compiled: Compiled,
           diagnostics: Iterable[Diagnostic]) -> "Snapshot":
        warnings: dict[str, list[Diagnostic]] = {}
        for diagnostic in diagnostics:
            warnings.setdefault(diagnostic.location.path, []).append(diagnostic)
        return cls(key, files, {path: tuple(found) for path, found in warnings.items()}, dict(compiled.nodes),
                   dict(compiled.edges), dict(compiled.parents), compiled.order, dict(compiled.data_hash),
                   dict(compiled.metadata_hash), compiled.fingerprint)

    def nodes_by_file(self) -> dict[str, list[CompiledNode]]:
        by_file: dict[str, list[CompiledNode]] = {}
        for node in self.nodes.values():
            by_file.setdefault(node.file, []).append(node)
        return by_file


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _cache_key(root: Path) -> tuple[str, int, str]:
    config = root / CONFIG_FILE
    return __version__, _CACHE_FORMAT, _sha256(config.read_bytes()) if config.is_file() else ""


def _read_snapshot(path: Path, key: tuple[str, int, str]) -> Snapshot | None:
    collecting = gc.isenabled()
    gc.disable()  # loading creates ~10 objects per node, all kept: collections during it are pure cost
    try:
        snapshot = pickle.loads(path.read_bytes())
    except Exception:  # unreadable, truncated, or written by incompatible code: rebuild, never trust
        return None
    if not isinstance(snapshot, Snapshot) or snapshot.key != key:
        return None
    return snapshot


def _write_snapshot(path: Path, snapshot: Snapshot) -> None:
    try:
        write_atomic(path, pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a read-only checkout still compiles; it only loses the speed-up


def spec_files(root: Path) -> list[str]:
    """The repository-relative paths :func:`kpigov.loader.discover` finds, walked with plain strings
    (``discover`` builds a Path per file: a second per 10,000 files, too slow for every recompile)."""
    found: list[str] = []
    for folder in SPEC_FOLDERS:
        stack = [folder]
        while stack:
            rel = stack.pop()
            try:
                entries = list(os.scandir(os.path.join(root, rel)))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    if not entry.is_symlink():  # like os.walk: a linked folder is listed, not entered
                        stack.append(f"{rel}/{entry.name}")
                elif entry.name.endswith(SPEC_SUFFIXES) and not entry.name.endswith(TEST_SUFFIXES):
                    found.append(f"{rel}/{entry.name}")
    return sorted(found)


def _stamp(path: str) -> tuple[int, int]:
    """(size, mtime_ns), or (-1, -1) when the file cannot be stat'ed (it is then re-hashed next time)."""
    try:
        info = os.stat(path)
    except OSError:
        return (-1, -1)
    return info.st_size, info.st_mtime_ns


def _file_states(root: Path, previous: Snapshot | None) -> dict[str, FileState] | None:
    """Hash every spec file whose stamp differs from the previous compile's; None if one is unreadable."""
    known = previous.files if previous is not None else {}
    states: dict[str, FileState] = {}
    for rel in spec_files(root):
        path = os.path.join(root, rel)
        try:
            info = os.stat(path)
            stamp = (info.st_size, info.st_mtime_ns)
            state = known.get(rel)
            if state is not None and state[1] == stamp:
                states[rel] = state
                continue
            with open(path, "rb") as handle:
                states[rel] = (_sha256(handle.read()), stamp)
        except OSError:
            return None  # let the full load report it, with its location
    return states


def compile_repo(path: str | Path, *, cache: bool = True) -> tuple[Compiled | None, Project]:
    """Load, validate and compile the repository at ``path``; ``(None, project)`` when it has errors.

    With ``cache=True`` an unchanged or slightly changed repository is recompiled incrementally.
    On that path ``project.diagnostics`` is complete but ``project.specs`` holds only the documents
    that were re-loaded: use :func:`kpigov.load` and :func:`compile_project` to get every spec.
    """
    root = Path(path).resolve()
    if not cache or not root.is_dir():
        return _full(root, None)
    cache_file = root / CACHE_DIR / CACHE_FILE
    key = _cache_key(root)
    snapshot = _read_snapshot(cache_file, key)
    files = _file_states(root, snapshot) if snapshot is not None else None
    result = _incremental(root, snapshot, files) if snapshot is not None and files is not None else None
    if result is None:
        return _full(root, cache_file)
    compiled, project = result
    if files != snapshot.files or compiled.fingerprint != snapshot.fingerprint:  # nothing changed: nothing to write
        _write_snapshot(cache_file, Snapshot.of(key, files, compiled, project.diagnostics))
    return compiled, project


def _full(root: Path, cache_file: Path | None) -> tuple[Compiled | None, Project]:
    project = load(root)
    if not project.ok:
        return None, project
    try:
        compiled = compile_project(project)
    except CompileError:
        return None, project
    if cache_file is not None:
        # hash what was loaded, not the disk again: the cache describes exactly what was compiled
        loaded = {f.path: (_sha256(f.content), _stamp(os.path.join(root, f.path))) for f in project.files}
        _write_snapshot(cache_file, Snapshot.of(_cache_key(root), loaded, compiled, project.diagnostics))
    return compiled, project


def _incremental(root: Path, snapshot: Snapshot, files: dict[str, FileState]) -> tuple[Compiled, Project] | None:
    """Recompile what changed since ``snapshot``; None when only a full compile can be trusted."""
    by_file = snapshot.nodes_by_file()
    changed = {p for p, (digest, _) in files.items() if snapshot.files.get(p, ("",))[0] != digest}
    removed = {p for p in by_file if p not in files}
    if not changed and not removed:
        return _unchanged(root, snapshot)
    kept = {p: ns for p, ns in by_file.items() if p not in changed and p not in removed}
    file_of = {node.ref: path for path, ns in kept.items() for node in ns}

    first = load(root, files=[root / p for p in sorted(changed)], checks=False)
    if first.diagnostics.has_errors or any(ref in file_of for ref in first.specs):
        return None  # a broken file or a duplicate id: report it from a full validation
    affected = {n.ref for p in changed | removed for n in by_file.get(p, ())} | set(first.specs)
    recheck = set(changed)
    for path, ns in kept.items():
        if any(ref in affected for node in ns for ref in node.references):
            recheck.add(path)
    referenced = {ref for p in recheck for node in kept.get(p, ()) for ref in node.references}
    for spec in first.specs.values():
        referenced.update(resolve(spec, "").references)
    context = {file_of[ref] for ref in referenced if ref in file_of}
    if any(node.kind == "RetentionRule" for p in recheck for node in kept.get(p, ())) or any(
            spec.KIND == "RetentionRule" for spec in first.specs.values()):
        context |= {p for p, ns in kept.items() if any(n.kind == "RetentionRule" for n in ns)}

    project = load(root, files=[root / p for p in sorted(recheck | context)])
    fresh = Diagnostics()
    for path, found in snapshot.warnings.items():
        if path not in recheck:
            fresh.extend(found)
    for diagnostic in project.diagnostics:
        if diagnostic.location.path in recheck:
            if diagnostic.severity is Severity.ERROR:
                return None
            fresh.add(diagnostic)
    project.diagnostics = fresh
    state = CompileState(project, git_state(root),
                         nodes={node.ref: node for p, ns in kept.items() if p not in recheck for node in ns})
    stage_resolve(state)
    stage_conventions(state)
    if _same_structure(snapshot.nodes, state.nodes, project.specs.keys()):
        state.edges, state.parents, state.order = snapshot.edges, snapshot.parents, snapshot.order
        state.data_hash, state.metadata_hash = snapshot.data_hash, snapshot.metadata_hash
        refingerprint(state, {ref for ref in project.specs if _hashes(state.nodes[ref]) != _hashes(snapshot.nodes[ref])})
    else:
        for stage in (stage_graph, stage_cycles, stage_fingerprint):
            stage(state)
            if state.stopped:
                return None  # a new cycle: reported by the full compile
    stage_manifest(state)
    return Compiled.from_state(state), project


def _unchanged(root: Path, snapshot: Snapshot) -> tuple[Compiled, Project]:
    """No spec file changed: the previous graph and hashes as they are, with a fresh manifest header
    (Git state and time); ``kpigov.yaml`` is part of the cache key, so it did not change either."""
    project = load(root, files=[])
    project.diagnostics = Diagnostics()
    for found in snapshot.warnings.values():
        project.diagnostics.extend(found)
    state = CompileState(project, git_state(root), nodes=snapshot.nodes, parents=snapshot.parents,
                         edges=snapshot.edges, order=snapshot.order, data_hash=snapshot.data_hash,
                         metadata_hash=snapshot.metadata_hash, fingerprint=snapshot.fingerprint)
    stage_manifest(state)
    return Compiled.from_state(state), project


def _data_classes(node: CompiledNode) -> set[object]:
    """What a data-class attachment matches a node by (see ``kpigov.compiler.stages._attached``)."""
    return {column.get("data_class") for column in node.meaning.get("columns", [])}


def _same_structure(before: dict[str, CompiledNode], after: dict[str, CompiledNode], rechecked: Iterable[str]) -> bool:
    """True when the graph of ``after`` is the graph of ``before``: the same references, and no
    re-checked node changed what makes edges (its declared edges, its pattern attachments, or the
    data classes a retention attachment matches it by)."""
    if before.keys() != after.keys():
        return False
    for ref in rechecked:
        old, new = before[ref], after[ref]
        if old.edges != new.edges or old.attachments != new.attachments or (
                old.meaning_hash != new.meaning_hash and _data_classes(old) != _data_classes(new)):
            return False
    return True


def _hashes(node: CompiledNode) -> tuple[str, str]:
    return node.meaning_hash, node.metadata_own_hash


__all__ = ["compile_repo", "CACHE_DIR", "CACHE_FILE"]
