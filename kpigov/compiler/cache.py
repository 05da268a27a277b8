"""Incremental compilation: ``compile_repo`` with a cache keyed by file content (sha256).

The cache (``.kpigov/cache/compile.pickle``) keeps, for every file of the last successful compile,
its content hash, its compiled nodes and the warnings located in it. When files change, only they
and the documents that reference what they define are re-loaded and re-checked (with the
documents *they* reference as context); every other file's nodes and diagnostics are reused.
The graph, fingerprints and manifest are then rebuilt over all nodes (cheap).

Each file's nodes and warnings are stored as their own pickle (``FileEntry.payload``): a recompile
re-serialises only the files it re-checked and copies every other payload as it is, so writing the
cache costs what changed, not what the repository holds.

Trust rules: a cache from another kpigov version, another ``kpigov.yaml`` or that cannot be read
is ignored and rebuilt. Only an error-free compile is cached, and any error found on the
incremental path (a duplicate id, a broken reference, a cycle) falls back to a full compile, so
reported errors always come from a complete validation: a cache can make kpigov faster, never
more lenient.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple

from kpigov import __version__
from kpigov.compiler.compiled import Compiled, compile_project
from kpigov.compiler.gitrepo import git_state
from kpigov.compiler.manifest import write_atomic
from kpigov.compiler.nodes import CompiledNode
from kpigov.compiler.resolve import resolve
from kpigov.compiler.stages import CompileError, CompileState, run_stages
from kpigov.diagnostics import Diagnostic, Diagnostics, Severity
from kpigov.loader import SPEC_SUFFIXES, TEST_SUFFIXES
from kpigov.project import CONFIG_FILE, SPEC_FOLDERS, Project, load

CACHE_DIR = Path(".kpigov") / "cache"
CACHE_FILE = "compile.pickle"
_CACHE_FORMAT = 2


@dataclass(frozen=True)
class FileEntry:
    """One file of the last compile. ``stamp`` (size, mtime_ns) lets an untouched file skip re-hashing,
    as Git's index does; any other stamp means the content is read and hashed again."""

    sha256: str
    stamp: tuple[int, int]
    #: ``pickle`` of (nodes, diagnostics): see :func:`_encode` and :func:`_decode`
    payload: bytes


class _Cached(NamedTuple):
    """What one file compiled to (a decoded payload): its nodes and the warnings located in it."""

    nodes: tuple[CompiledNode, ...]
    diagnostics: tuple[Diagnostic, ...]


def _encode(nodes: tuple[CompiledNode, ...], diagnostics: tuple[Diagnostic, ...]) -> bytes:
    return pickle.dumps((nodes, diagnostics), protocol=pickle.HIGHEST_PROTOCOL)


def _decode(entry: FileEntry) -> _Cached:
    return _Cached(*pickle.loads(entry.payload))


@dataclass(frozen=True)
class Snapshot:
    """Everything the cache holds; ``key`` names the kpigov version, cache format and config content."""

    key: tuple[str, int, str]
    files: dict[str, FileEntry]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _cache_key(root: Path) -> tuple[str, int, str]:
    config = root / CONFIG_FILE
    return __version__, _CACHE_FORMAT, _sha256(config.read_bytes()) if config.is_file() else ""


def _read_snapshot(path: Path, key: tuple[str, int, str]) -> Snapshot | None:
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


#: What is known of one file on disk: its content hash and its (size, mtime_ns) stamp.
FileState = tuple[str, tuple[int, int]]


def _entries(files: dict[str, FileState], nodes: Iterable[CompiledNode],
             diagnostics: Iterable[Diagnostic]) -> dict[str, FileEntry]:
    """An entry for every file of ``files`` and every file a node or a diagnostic is located in
    (kpigov.yaml holds diagnostics but no node)."""
    by_file: dict[str, list[CompiledNode]] = {path: [] for path in files}
    for node in nodes:
        by_file.setdefault(node.file, []).append(node)
    located: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        located.setdefault(diagnostic.location.path, []).append(diagnostic)
    entries = {}
    for path in set(by_file) | set(located):
        digest, stamp = files.get(path, ("", (-1, -1)))
        entries[path] = FileEntry(digest, stamp, _encode(tuple(by_file.get(path, ())), tuple(located.get(path, ()))))
    return entries


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
            entry = known.get(rel)
            if entry is not None and entry.stamp == stamp:
                states[rel] = (entry.sha256, stamp)
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
    compiled, project, entries = result
    _write_snapshot(cache_file, Snapshot(key, entries))
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
        _write_snapshot(cache_file, Snapshot(_cache_key(root), _entries(loaded, compiled.nodes.values(), project.diagnostics)))
    return compiled, project


def _incremental(root: Path, snapshot: Snapshot,
                 files: dict[str, FileState]) -> tuple[Compiled, Project, dict[str, FileEntry]] | None:
    """Recompile what changed since ``snapshot``, with the cache entries that describe the result;
    None when only a full compile can be trusted."""
    cached = {p: _decode(e) for p, e in snapshot.files.items()}
    changed = {p for p, (digest, _) in files.items() if p not in cached or snapshot.files[p].sha256 != digest}
    removed = {p for p in cached if p not in files and cached[p].nodes}
    kept = {p: e for p, e in cached.items() if p not in changed and p not in removed}
    file_of = {node.ref: path for path, entry in kept.items() for node in entry.nodes}

    first = load(root, files=[root / p for p in sorted(changed)], checks=False)
    if first.diagnostics.has_errors or any(ref in file_of for ref in first.specs):
        return None  # a broken file or a duplicate id: report it from a full validation
    affected = {n.ref for p in changed | removed if p in cached for n in cached[p].nodes} | set(first.specs)
    recheck = set(changed)
    for path, entry in kept.items():
        if any(ref in affected for node in entry.nodes for ref in node.references):
            recheck.add(path)
    referenced = {ref for p in recheck if p in kept for node in kept[p].nodes for ref in node.references}
    for spec in first.specs.values():
        referenced.update(resolve(spec, "").references)
    context = {file_of[ref] for ref in referenced if ref in file_of}
    if any(node.kind == "RetentionRule" for p in recheck if p in kept for node in kept[p].nodes) or any(
            spec.KIND == "RetentionRule" for spec in first.specs.values()):
        context |= {p for p, e in kept.items() if any(n.kind == "RetentionRule" for n in e.nodes)}

    project = load(root, files=[root / p for p in sorted(recheck | context)])
    fresh = Diagnostics()
    for path, entry in kept.items():
        if path not in recheck:
            fresh.extend(entry.diagnostics)
    for diagnostic in project.diagnostics:
        if diagnostic.location.path in recheck:
            if diagnostic.severity is Severity.ERROR:
                return None
            fresh.add(diagnostic)
    project.diagnostics = fresh
    state = CompileState(project, git_state(root),
                         nodes={node.ref: node for p, e in kept.items() if p not in recheck for node in e.nodes})
    try:
        run_stages(state)
    except CompileError:
        return None
    # files not re-checked keep their payload; only the re-checked ones are serialised again
    entries = {p: FileEntry(files[p][0], files[p][1], e.payload) if p in files else e
               for p, e in snapshot.files.items() if p in kept and p not in recheck}
    rechecked = {p: files.get(p, ("", (-1, -1))) for p in recheck}
    entries.update(_entries(rechecked, (state.nodes[ref] for ref in project.specs if project.sources[ref].path in recheck),
                            (d for d in fresh if d.location.path in recheck)))
    return Compiled.from_state(state), project, entries


__all__ = ["compile_repo", "CACHE_DIR", "CACHE_FILE"]
