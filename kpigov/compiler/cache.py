"""Incremental compilation: ``compile_repo`` with a cache keyed by file content (sha256).

The cache is two files in ``.kpigov/cache/``:

- ``compile.pickle``, the *base*: one pickle of a successful compile (a :class:`Snapshot`): every
  file's content hash and (size, mtime_ns) stamp, every compiled node, the warnings of each file,
  and the compiled graph itself (edges, parents, evaluation order, data and metadata hashes,
  fingerprint). It is read with a single ``pickle.loads``: thousands of small per-file payloads
  cost twice as much to decode, and a recompile's fixed cost is what bounds the one-file target.
- ``compile.journal``: one record per later recompile, appended, holding only what that recompile
  changed (a :class:`Delta`: the file states, nodes, warnings, edges and hashes that differ, the
  new fingerprint). Re-pickling the whole snapshot was most of a one-file recompile; a record is a
  few kilobytes. Reading replays the records over the base. When the journal would pass
  :data:`JOURNAL_LIMIT` of the base, or cannot be appended to safely, the recompile *compacts*:
  it writes a new base and drops the journal.

When files change, only they and the documents that reference what they define are re-loaded and
re-checked (with the documents *they* reference as context); every other node and warning is reused.
If no re-checked document changed its edges, its pattern attachments or the data classes it holds,
the graph and evaluation order are reused and only the changed nodes and their descendants are
re-fingerprinted (:func:`~kpigov.compiler.stages.refingerprint`); otherwise the graph is rebuilt.
When nothing changed, nothing is recomputed and the cache is not written.

Trust rules: a cache from another kpigov version, another ``kpigov.yaml`` or that cannot be read
is ignored and rebuilt. Only an error-free compile is cached, and any error found on the
incremental path (a duplicate id, a broken reference, a cycle) falls back to a full compile, so
reported errors always come from a complete validation: a cache can make kpigov faster, never
more lenient. Writes never leave a cache that is trusted but wrong:

- the base and every record are framed (magic, CRC-32 and length of the pickle): a truncated or
  corrupt one is detected before it is unpickled, and the base is replaced atomically (temporary
  file + rename);
- the base carries a random id, and each record names the base and the byte offset it extends: a
  journal left over from an older base (a crash between writing a base and dropping the journal),
  or a record appended by a second recompile running at the same time, is not replayed;
- the journal is replayed up to its first damaged or foreign record; what that record described is
  redone (its files' hashes are not in the replayed state), and the next write compacts rather than
  append after bytes that cannot be read.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import struct
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

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
JOURNAL_FILE = "compile.journal"
_CACHE_FORMAT = 4

#: The journal may grow to this fraction of the base before a recompile compacts it: replaying it
#: then costs at most an eighth more than reading the base, and a one-file record (a few KB) fits
#: hundreds of times in a large repository's journal before the base is rewritten.
JOURNAL_LIMIT = 0.125

#: Every frame (the base, each journal record): magic, CRC-32 of the payload, payload length.
_FRAME = struct.Struct("<4sIQ")
_BASE_MAGIC, _RECORD_MAGIC = b"KGCB", b"KGCJ"

#: What is known of one file on disk: its content hash and its (size, mtime_ns) stamp. A file whose
#: stamp is unchanged is not re-read, as Git's index does; any other stamp means it is hashed again.
FileState = tuple[str, tuple[int, int]]


@dataclass(frozen=True)
class Snapshot:
    """Everything the cache holds; ``key`` names the kpigov version, cache format and config content,
    ``ident`` the base file it was read from (journal records name it).

    ``files`` covers every spec file of the compile; ``warnings`` every file a diagnostic is located
    in (kpigov.yaml holds warnings but no node). The other fields are the compiled graph, as
    :class:`~kpigov.compiler.stages.CompileState` holds it.
    """

    key: tuple[str, int, str]
    ident: str
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
    def of(cls, key: tuple[str, int, str], ident: str, files: dict[str, FileState], compiled: Compiled,
           diagnostics: Iterable[Diagnostic]) -> "Snapshot":
        """The snapshot of ``compiled``; its dicts are shared, not copied (neither side changes them)."""
        warnings: dict[str, list[Diagnostic]] = {}
        for diagnostic in diagnostics:
            warnings.setdefault(diagnostic.location.path, []).append(diagnostic)
        return cls(key, ident, files, {path: tuple(found) for path, found in warnings.items()}, _dict(compiled.nodes),
                   _dict(compiled.edges), _dict(compiled.parents), compiled.order, _dict(compiled.data_hash),
                   _dict(compiled.metadata_hash), compiled.fingerprint)


def _dict(mapping: Any) -> dict[Any, Any]:
    return mapping if type(mapping) is dict else dict(mapping)


#: The fields of :class:`Snapshot` that a :class:`Delta` changes entry by entry.
_DICT_FIELDS = ("files", "warnings", "nodes", "edges", "parents", "data_hash", "metadata_hash")


@dataclass(frozen=True)
class Delta:
    """What one recompile changed in the snapshot it started from (one journal record).

    ``changes`` maps a dict field of :class:`Snapshot` to (its added or changed entries, its removed
    keys); ``order`` replaces ``order[start:stop]`` with ``middle`` (a document added or removed
    moves a few references, not the whole order), None when the order is unchanged.
    """

    changes: dict[str, tuple[dict[Any, Any], tuple[Any, ...]]]
    order: tuple[int, int, list[str]] | None
    fingerprint: str

    @classmethod
    def between(cls, old: Snapshot, new: Snapshot) -> "Delta":
        """Entries are compared by identity first: what a recompile reused is the very same object,
        so only what it rebuilt is compared by value."""
        changes: dict[str, tuple[dict[Any, Any], tuple[Any, ...]]] = {}
        for name in _DICT_FIELDS:
            before, after = getattr(old, name), getattr(new, name)
            if before is after:
                continue
            missing = object()
            upserts = {k: v for k, v in after.items() if (b := before.get(k, missing)) is not v and b != v}
            removed = tuple(before.keys() - after.keys())
            if upserts or removed:
                changes[name] = (upserts, removed)
        return cls(changes, _splice(old.order, new.order), new.fingerprint)

    def apply(self, snapshot: Snapshot) -> Snapshot:
        """``snapshot`` with this change made (its dicts and order are updated in place)."""
        for name, (upserts, removed) in self.changes.items():
            if name not in _DICT_FIELDS:
                raise ValueError(f"a delta cannot change {name!r}")
            target = getattr(snapshot, name)
            for key in removed:
                del target[key]
            target.update(upserts)
        if self.order is not None:
            start, stop, middle = self.order
            snapshot.order[start:stop] = middle
        return replace(snapshot, fingerprint=self.fingerprint)


def _splice(old: list[str], new: list[str]) -> tuple[int, int, list[str]] | None:
    """(start, stop, middle) such that ``old[:start] + middle + old[stop:] == new``; None if equal."""
    if old is new or old == new:
        return None
    start, limit = 0, min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    tail, limit = 0, limit - start
    while tail < limit and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return start, len(old) - tail, new[start:len(new) - tail]


@dataclass(frozen=True)
class _Loaded:
    """A cache as read: the base with the journal replayed, and how far the journal could be trusted.

    ``journal_end`` is the byte length of the replayed records; ``journal_clean`` says the journal
    file holds exactly them, so a record may be appended after them.
    """

    snapshot: Snapshot
    base_size: int
    journal_end: int
    journal_clean: bool


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _cache_key(root: Path) -> tuple[str, int, str] | None:
    """kpigov version, cache format, hash of ``kpigov.yaml``; None if it cannot be read (the full
    load reports why)."""
    config = root / CONFIG_FILE
    try:
        return __version__, _CACHE_FORMAT, _sha256(config.read_bytes()) if config.is_file() else ""
    except OSError:
        return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Garbage collection off for a while (the caller's setting is restored afterwards)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _frame(magic: bytes, payload: bytes) -> bytes:
    return _FRAME.pack(magic, zlib.crc32(payload), len(payload)) + payload


def _unframe(data: bytes, offset: int, magic: bytes) -> tuple[memoryview, int] | None:
    """The payload of the frame at ``offset`` and the offset after it; None if cut short or corrupt."""
    start = offset + _FRAME.size
    if start > len(data):
        return None
    found, crc, length = _FRAME.unpack_from(data, offset)
    end = start + length
    if found != magic or end > len(data):
        return None
    payload = memoryview(data)[start:end]
    if zlib.crc32(payload) != crc:
        return None
    return payload, end


def _read_cache(folder: Path, key: tuple[str, int, str]) -> _Loaded | None:
    """The cached snapshot (base + journal), or None when there is no base that can be trusted."""
    try:
        data = (folder / CACHE_FILE).read_bytes()
    except OSError:
        return None
    framed = _unframe(data, 0, _BASE_MAGIC)
    if framed is None or framed[1] != len(data):
        return None
    try:
        snapshot = pickle.loads(framed[0])
    except Exception:  # written by incompatible code: rebuild, never trust
        return None
    if not isinstance(snapshot, Snapshot) or snapshot.key != key:
        return None
    return _replay(folder / JOURNAL_FILE, snapshot, len(data))


def _replay(path: Path, snapshot: Snapshot, base_size: int) -> _Loaded | None:
    """Apply the journal's records to ``snapshot`` up to the first one that is damaged, written for
    another base or not at the offset it was written for (everything from there on is ignored)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _Loaded(snapshot, base_size, 0, True)
    except OSError:
        return _Loaded(snapshot, base_size, 0, False)
    offset = 0
    while offset < len(data):
        framed = _unframe(data, offset, _RECORD_MAGIC)
        if framed is None:
            break
        try:
            ident, at, delta = pickle.loads(framed[0])
        except Exception:
            break
        if ident != snapshot.ident or at != offset or not isinstance(delta, Delta):
            break
        try:
            snapshot = delta.apply(snapshot)
        except Exception:  # half applied: nothing read can be trusted
            return None
        offset = framed[1]
    return _Loaded(snapshot, base_size, offset, offset == len(data))


def _save(folder: Path, loaded: _Loaded | None, snapshot: Snapshot) -> None:
    """Record ``snapshot``: as a journal record when it extends a cache that was read (``loaded``),
    else as a new base."""
    try:
        if loaded is None or not loaded.journal_clean or not _append(folder, loaded, snapshot):
            _write_base(folder, snapshot)
    except OSError:
        pass  # a read-only checkout still compiles; it only loses the speed-up


def _append(folder: Path, loaded: _Loaded, snapshot: Snapshot) -> bool:
    """Append the change from ``loaded`` to ``snapshot`` to the journal; False when the journal
    should be compacted instead (it would grow past :data:`JOURNAL_LIMIT` of the base)."""
    delta = Delta.between(loaded.snapshot, snapshot)
    payload = pickle.dumps((loaded.snapshot.ident, loaded.journal_end, delta), protocol=pickle.HIGHEST_PROTOCOL)
    record = _frame(_RECORD_MAGIC, payload)
    if loaded.journal_end + len(record) > loaded.base_size * JOURNAL_LIMIT:
        return False
    fd = os.open(folder / JOURNAL_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # Another recompile wrote the cache since it was read: keep its state rather than append a
        # record that names an offset it is not at (it would be ignored, and so would all after it).
        if os.fstat(fd).st_size == loaded.journal_end:
            os.write(fd, record)
    finally:
        os.close(fd)
    return True


def _write_base(folder: Path, snapshot: Snapshot) -> None:
    """Write ``snapshot`` as a new base (a fresh id) and drop the journal of the old one."""
    snapshot = replace(snapshot, ident=os.urandom(16).hex())
    write_atomic(folder / CACHE_FILE, _frame(_BASE_MAGIC, pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)))
    # A crash before this line leaves the old journal: its records name the old base, so are ignored.
    (folder / JOURNAL_FILE).unlink(missing_ok=True)


def _walk(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(repository-relative path, directory entry) of every file :func:`kpigov.loader.discover` finds."""
    for folder in SPEC_FOLDERS:
        stack = [folder]
        while stack:
            rel = stack.pop()
            try:
                entries = list(os.scandir(os.path.join(root, rel)))
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir():
                    if not entry.is_symlink():  # like os.walk: a linked folder is listed, not entered
                        stack.append(f"{rel}/{name}")
                elif name.endswith(SPEC_SUFFIXES) and not name.endswith(TEST_SUFFIXES):
                    yield f"{rel}/{name}", entry


def spec_files(root: Path) -> list[str]:
    """The repository-relative paths :func:`kpigov.loader.discover` finds, walked with plain strings
    (``discover`` builds a Path per file: a second per 10,000 files, too slow for every recompile)."""
    return sorted(rel for rel, _ in _walk(root))


def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every spec file that can be stat'ed."""
    stamps: dict[str, tuple[int, int]] = {}
    for rel, entry in _walk(root):
        try:
            info = entry.stat()
        except OSError:
            continue
        stamps[rel] = (info.st_size, info.st_mtime_ns)
    return stamps


def _file_states(root: Path, previous: Snapshot) -> tuple[dict[str, FileState], list[str]] | None:
    """Every spec file's state, hashing only those whose stamp differs from the previous compile's,
    and the paths that were hashed; None if a file cannot be read (the full load reports it).

    Each file is stat'ed before it is read: a file written in between gets a stamp older than its
    content, so it is hashed again next time rather than trusted."""
    known = previous.files
    states: dict[str, FileState] = {}
    hashed: list[str] = []
    for rel, entry in _walk(root):
        try:
            info = entry.stat()
            stamp = (info.st_size, info.st_mtime_ns)
            state = known.get(rel)
            if state is not None and state[1] == stamp:
                states[rel] = state
                continue
            with open(entry.path, "rb") as handle:
                states[rel] = (_sha256(handle.read()), stamp)
            hashed.append(rel)
        except OSError:
            return None
    return states, hashed


def compile_repo(path: str | Path, *, cache: bool = True) -> tuple[Compiled | None, Project]:
    """Load, validate and compile the repository at ``path``; ``(None, project)`` when it has errors.

    With ``cache=True`` an unchanged or slightly changed repository is recompiled incrementally.
    On that path ``project.diagnostics`` is complete but ``project.specs`` holds only the documents
    that were re-loaded: use :func:`kpigov.load` and :func:`compile_project` to get every spec.
    """
    root = Path(path).resolve()
    if not cache or not root.is_dir():
        return _full(root, None)
    folder = root / CACHE_DIR
    key = _cache_key(root)
    if key is None:
        return _full(root, None)
    # Nearly everything made on the incremental path is kept (the cached snapshot becomes the result):
    # collections during it would only traverse it again and again (a third of a one-file recompile).
    with _gc_paused():
        loaded = _read_cache(folder, key)
        scanned = _file_states(root, loaded.snapshot) if loaded is not None else None
        result = _incremental(root, loaded.snapshot, *scanned) if loaded is not None and scanned is not None else None
        if loaded is not None and scanned is not None and result is not None:
            compiled, project = result
            files, previous = scanned[0], loaded.snapshot
            if files != previous.files or compiled.fingerprint != previous.fingerprint:  # else nothing to write
                _save(folder, loaded, Snapshot.of(key, previous.ident, files, compiled, project.diagnostics))
            return compiled, project
    return _full(root, (folder, key))


def _full(root: Path, cache: tuple[Path, tuple[str, int, str]] | None) -> tuple[Compiled | None, Project]:
    """Compile everything; with ``cache`` (its folder, and the key of ``kpigov.yaml`` as it was
    before loading: a config edited meanwhile then misses the cache, never hits it), write a new base."""
    stamps = _stamps(root) if cache is not None else {}  # before reading: see _file_states
    project = load(root)
    if not project.ok:
        return None, project
    try:
        compiled = compile_project(project)
    except CompileError:
        return None, project
    if cache is not None:
        folder, key = cache
        # hash what was loaded, not the disk again: the cache describes exactly what was compiled
        loaded = {f.path: (_sha256(f.content), stamps.get(f.path, (-1, -1))) for f in project.files}
        _save(folder, None, Snapshot.of(key, "", loaded, compiled, project.diagnostics))
    return compiled, project


def _incremental(root: Path, snapshot: Snapshot, files: dict[str, FileState],
                 hashed: list[str]) -> tuple[Compiled, Project] | None:
    """Recompile what changed since ``snapshot``; None when only a full compile can be trusted.

    Every pass over the repository here is one plain loop over the cached nodes: the work that
    grows with the repository is what bounds a one-file recompile."""
    known = snapshot.files
    changed = {p for p in hashed if known.get(p, ("",))[0] != files[p][0]}
    removed = known.keys() - files.keys()
    if not changed and not removed:
        return _unchanged(root, snapshot)
    gone = changed | removed
    nodes = snapshot.nodes

    first = load(root, files=[root / p for p in sorted(changed)], checks=False)
    if first.diagnostics.has_errors or any(ref in nodes and nodes[ref].file not in gone for ref in first.specs):
        return None  # a broken file or a duplicate id: report it from a full validation
    affected = {n.ref for n in nodes.values() if n.file in gone} | set(first.specs)
    recheck = set(changed)
    for node in nodes.values():
        if not affected.isdisjoint(node.references) and node.file not in gone:
            recheck.add(node.file)
    kept_in_recheck = [n for n in nodes.values() if n.file in recheck and n.file not in gone]
    referenced = {ref for node in kept_in_recheck for ref in node.references}
    for spec in first.specs.values():
        referenced.update(resolve(spec, "").references)
    context = {nodes[ref].file for ref in referenced if ref in nodes and nodes[ref].file not in gone}
    if any(node.kind == "RetentionRule" for node in kept_in_recheck) or any(
            spec.KIND == "RetentionRule" for spec in first.specs.values()):
        context |= {n.file for n in nodes.values() if n.kind == "RetentionRule" and n.file not in gone}

    project = load(root, files=[root / p for p in sorted(recheck | context)])
    fresh = Diagnostics()
    for path, found in snapshot.warnings.items():
        if path not in recheck and path not in removed:
            fresh.extend(found)
    for diagnostic in project.diagnostics:
        if diagnostic.location.path in recheck:
            if diagnostic.severity is Severity.ERROR:
                return None
            fresh.add(diagnostic)
    project.diagnostics = fresh
    reloaded = gone | recheck
    state = CompileState(project, git_state(root), nodes={ref: n for ref, n in nodes.items() if n.file not in reloaded})
    stage_resolve(state)
    stage_conventions(state)
    if _same_structure(nodes, state.nodes, project.specs.keys()):
        state.edges, state.parents, state.order = snapshot.edges, snapshot.parents, snapshot.order
        # copies: refingerprint updates them, and the snapshot's must stay as they were (the journal
        # record is the difference between the two)
        state.data_hash, state.metadata_hash = dict(snapshot.data_hash), dict(snapshot.metadata_hash)
        refingerprint(state, {ref for ref in project.specs if _hashes(state.nodes[ref]) != _hashes(nodes[ref])})
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


__all__ = ["compile_repo", "CACHE_DIR", "CACHE_FILE", "JOURNAL_FILE", "JOURNAL_LIMIT"]
