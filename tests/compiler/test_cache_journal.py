"""The compile cache's journal: recompiles append what they changed, and a replayed journal gives
exactly what a cold compile gives; a damaged, foreign or misplaced record is never trusted."""

from __future__ import annotations

import gc
import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

import kpigov
from kpigov.compiler import CACHE_DIR, Compiled, compile_project, compile_repo
from kpigov.compiler import cache as cache_module
from kpigov.compiler.cache import (
    _FRAME,
    _RECORD_MAGIC,
    CACHE_FILE,
    JOURNAL_FILE,
    Snapshot,
    _append,
    _cache_key,
    _Loaded,
    _read_cache,
    _splice,
    _unframe,
)
from kpigov.compiler.manifest import manifest_text
from kpigov.diagnostics import Code
from tests.compiler.helpers import edit

NS = "kpi_specs/customer/net_sentiment.yaml"
PV = "kpi_specs/customer/positive_volume.yaml"
MENTIONS = "policies/datasets/mentions.yaml"


@pytest.fixture(autouse=True)
def _appending(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example's base is ~70 KB: at the default limit two records would already compact it.
    Tests that mean to compact set the limit to 0."""
    monkeypatch.setattr(cache_module, "JOURNAL_LIMIT", 100.0)


def _text(compiled: Compiled) -> str:
    """The manifest as ``kpigov compile`` writes it, but for the time it was generated."""
    return manifest_text(replace(compiled, header={**compiled.header, "generated_at": "-"}))


def _same_as_cold(repo: Path) -> kpigov.Project:
    """Recompile through the cache; the manifest must be byte-for-byte a cold compile's, and the
    diagnostics the same."""
    compiled, project = compile_repo(repo)
    assert compiled is not None, [str(d) for d in project.diagnostics]
    cold_project = kpigov.load(repo)
    assert _text(compiled) == _text(compile_project(cold_project))
    assert [str(d) for d in project.diagnostics] == [str(d) for d in cold_project.diagnostics]
    return project


def _loaded(repo: Path) -> _Loaded:
    loaded = _read_cache(repo / CACHE_DIR, _cache_key(repo))
    assert loaded is not None
    return loaded


def _assert_replay_is_cold(repo: Path) -> None:
    """The cache as the next compile reads it (base + journal) holds what a cold compile holds."""
    snapshot = _loaded(repo).snapshot
    project = kpigov.load(repo)
    cold = compile_project(project)
    assert snapshot.nodes == dict(cold.nodes)
    assert snapshot.edges == dict(cold.edges)
    assert {r: sorted(ps) for r, ps in snapshot.parents.items()} == {r: sorted(ps) for r, ps in cold.parents.items()}
    assert snapshot.order == cold.order
    assert (snapshot.data_hash, snapshot.metadata_hash) == (dict(cold.data_hash), dict(cold.metadata_hash))
    assert snapshot.fingerprint == cold.fingerprint
    hashes = {f.path: cache_module._sha256(f.content) for f in project.files}
    assert {path: state[0] for path, state in snapshot.files.items()} == hashes


def _files(repo: Path) -> tuple[bytes, bytes | None]:
    folder = repo / CACHE_DIR
    journal = folder / JOURNAL_FILE
    return (folder / CACHE_FILE).read_bytes(), journal.read_bytes() if journal.exists() else None


def _records(journal: bytes) -> list[tuple[int, int]]:
    """(start, end) of every well-framed record."""
    spans, offset = [], 0
    while (framed := _unframe(journal, offset, _RECORD_MAGIC)) is not None:
        spans.append((offset, framed[1]))
        offset = framed[1]
    return spans


def _add_kpi(repo: Path, name: str, new_id: str, folder: str = "kpi_specs/customer") -> Path:
    text = (repo / NS).read_text(encoding="utf-8").replace("id: brand.customer.net_sentiment", f"id: {new_id}")
    target = repo / folder / name
    target.write_text(text, encoding="utf-8")
    return target


def test_a_chain_of_edits_is_journalled_and_equals_a_cold_compile(example_repo: Path) -> None:
    """Every kind of incremental change, one after the other: each recompile appends one record and
    leaves the base alone, and each result (built on the records before it) is a cold compile's."""
    _same_as_cold(example_repo)
    base, journal = _files(example_repo)
    assert journal is None
    steps = [
        lambda: edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster"),  # meaning
        lambda: edit(example_repo, PV, "(sentiment-adjusted volume)", "(adjusted)"),  # metadata only
        lambda: edit(example_repo, MENTIONS, "is_spam, type: boolean, data_class: internal",  # edges change
                     "is_spam, type: boolean, data_class: aggregate"),
        lambda: _add_kpi(example_repo, "net_sentiment_copy.yaml", "brand.customer.net_sentiment_copy"),  # a new node
        lambda: (example_repo / "kpi_specs/customer/engagement_score.yaml").unlink(),  # a node removed
        lambda: edit(example_repo, "policies/dedup.yaml", "max_followers: 25", "max_followers: 40"),  # many dependents
        lambda: edit(example_repo, NS, "and cib_cluster", "and not is_employee and cib_cluster"),  # back again
        lambda: os.utime(example_repo / NS, ns=(1_000_000_000, 1_000_000_000)),  # a new stamp, same content
    ]
    sizes = [0]
    for step in steps:
        step()
        _same_as_cold(example_repo)
        now_base, journal = _files(example_repo)
        assert now_base == base, "a recompile rewrote the base instead of appending"
        assert journal is not None and len(journal) > sizes[-1]
        sizes.append(len(journal))
        _assert_replay_is_cold(example_repo)
    assert len(_records(journal)) == len(steps)
    assert _loaded(example_repo).journal_end == len(journal)
    project = _same_as_cold(example_repo)  # nothing changed since: everything from base + journal
    assert project.specs == {} and _files(example_repo)[1] == journal


def test_a_journal_that_passes_its_limit_is_compacted(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compile_repo(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    _same_as_cold(example_repo)
    first_ident = _loaded(example_repo).snapshot.ident
    assert _files(example_repo)[1] is not None
    monkeypatch.setattr(cache_module, "JOURNAL_LIMIT", 0.0)
    edit(example_repo, PV, "(sentiment-adjusted volume)", "(adjusted)")
    _same_as_cold(example_repo)
    loaded = _loaded(example_repo)
    assert _files(example_repo)[1] is None and loaded.snapshot.ident != first_ident  # a new base, no journal
    _assert_replay_is_cold(example_repo)


def test_a_truncated_record_is_ignored_and_the_next_write_compacts(example_repo: Path) -> None:
    """A crash in the middle of an append: the records before it are replayed, the torn one is not
    (its file is hashed and recompiled again), and nothing is appended after the torn bytes."""
    compile_repo(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    compile_repo(example_repo)
    edit(example_repo, PV, "(sentiment-adjusted volume)", "(adjusted)")
    compile_repo(example_repo)
    journal = example_repo / CACHE_DIR / JOURNAL_FILE
    content = journal.read_bytes()
    (_, first_end), (second, _) = _records(content)
    for cut in (len(content) - 1, second + _FRAME.size + 3, second + 2):  # inside the payload, the header
        journal.write_bytes(content[:cut])
        loaded = _loaded(example_repo)
        assert (loaded.journal_end, loaded.journal_clean) == (first_end, False)
    ident = loaded.snapshot.ident
    project = _same_as_cold(example_repo)
    assert "kpi/brand.customer.positive_volume" in project.specs  # the torn record's change, redone
    assert not journal.exists() and _loaded(example_repo).snapshot.ident != ident  # compacted
    _assert_replay_is_cold(example_repo)


def test_a_corrupt_record_is_not_trusted_even_when_it_still_unpickles(example_repo: Path) -> None:
    """A flipped byte inside the record's text still unpickles; the checksum is what rejects it."""
    compile_repo(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    compile_repo(example_repo)
    journal = example_repo / CACHE_DIR / JOURNAL_FILE
    content = journal.read_bytes()
    at = content.index(b"stridewell")
    corrupt = content[:at] + b"S" + content[at + 1:]
    (start, end), = _records(content)
    pickle.loads(corrupt[start + _FRAME.size:end])  # the damage is invisible to pickle
    journal.write_bytes(corrupt)
    assert _loaded(example_repo).journal_end == 0
    project = _same_as_cold(example_repo)
    assert "kpi/brand.customer.net_sentiment" in project.specs  # recompiled, not taken from the record
    _assert_replay_is_cold(example_repo)


def test_a_journal_of_another_base_is_ignored(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after writing a new base but before dropping the old journal: the old records name the
    old base, so they are not replayed over the new one."""
    compile_repo(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    compile_repo(example_repo)
    journal = example_repo / CACHE_DIR / JOURNAL_FILE
    old_journal = journal.read_bytes()
    monkeypatch.setattr(cache_module, "JOURNAL_LIMIT", 0.0)
    edit(example_repo, NS, "and cib_cluster", "and not is_employee and cib_cluster")  # back: as the old base had it
    compile_repo(example_repo)  # compacts
    assert not journal.exists()
    journal.write_bytes(old_journal)
    loaded = _loaded(example_repo)
    assert (loaded.journal_end, loaded.journal_clean) == (0, False)
    monkeypatch.setattr(cache_module, "JOURNAL_LIMIT", 100.0)
    _same_as_cold(example_repo)
    edit(example_repo, PV, "(sentiment-adjusted volume)", "(adjusted)")
    _same_as_cold(example_repo)
    assert not journal.exists()  # compacted: nothing is ever appended after bytes that were not replayed
    assert _loaded(example_repo).snapshot.ident != loaded.snapshot.ident
    _assert_replay_is_cold(example_repo)


def test_a_record_out_of_place_is_ignored(example_repo: Path) -> None:
    """A record is replayed only at the offset it was written for: a copy of an older record at the
    end (what a second, concurrent recompile's append would look like) ends the journal."""
    compile_repo(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    compile_repo(example_repo)
    edit(example_repo, NS, "and cib_cluster", "and not is_spam and cib_cluster")
    compile_repo(example_repo)
    journal = example_repo / CACHE_DIR / JOURNAL_FILE
    content = journal.read_bytes()
    (start, end), _ = _records(content)
    journal.write_bytes(content + content[start:end])
    assert _loaded(example_repo).journal_end == len(content)
    _same_as_cold(example_repo)
    _assert_replay_is_cold(example_repo)


def test_an_append_after_another_writer_is_skipped(example_repo: Path) -> None:
    """Two recompiles read the same cache; the second to append finds the journal moved on and
    leaves the first one's record as the last word."""
    compile_repo(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    compile_repo(example_repo)
    folder = example_repo / CACHE_DIR
    stale = _loaded(example_repo)
    edit(example_repo, PV, "(sentiment-adjusted volume)", "(adjusted)")
    compile_repo(example_repo)  # the first writer
    written = (folder / JOURNAL_FILE).read_bytes()
    other = replace(stale.snapshot, fingerprint="0" * 64)
    assert _append(folder, stale, other) is True
    assert (folder / JOURNAL_FILE).read_bytes() == written
    _same_as_cold(example_repo)


def test_warnings_of_a_deleted_file_go_with_it(example_repo: Path) -> None:
    compile_repo(example_repo)
    misplaced = _add_kpi(example_repo, "misplaced_kpi.yaml", "brand.customer.misplaced", folder="policies")
    project = _same_as_cold(example_repo)
    placed = [d.location.path for d in project.diagnostics if d.code is Code.FILE_PLACEMENT]
    assert placed == ["policies/misplaced_kpi.yaml"]
    misplaced.unlink()
    project = _same_as_cold(example_repo)  # the incremental path used to keep the deleted file's warning
    assert not any(d.code is Code.FILE_PLACEMENT for d in project.diagnostics)


def test_an_unreadable_config_is_reported_not_raised(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compile_repo(example_repo)
    config, read_bytes = (example_repo / "kpigov.yaml").resolve(), Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.resolve() == config:
            raise PermissionError(13, "Permission denied")
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    compiled, project = compile_repo(example_repo)
    assert compiled is None
    assert [d.location.path for d in project.diagnostics if d.code is Code.FILE_UNREADABLE] == ["kpigov.yaml"]


def test_the_callers_garbage_collection_setting_is_kept(example_repo: Path) -> None:
    compile_repo(example_repo)
    assert gc.isenabled()
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    gc.disable()
    try:
        compile_repo(example_repo)
        assert not gc.isenabled()
    finally:
        gc.enable()
    compile_repo(example_repo)
    assert gc.isenabled()


@pytest.mark.parametrize(("old", "new"), [
    ([], []), (["a"], ["a"]), ([], ["a"]), (["a"], []), (["a", "b", "c"], ["a", "x", "c"]),
    (["a", "b", "c"], ["a", "b", "x", "c"]), (["a", "b", "c"], ["a", "c"]), (["a", "a", "a"], ["a", "a"]),
    (["a", "b"], ["b", "a"]), (["a", "b", "c", "d"], ["x", "y"]), (["a", "b"], ["a", "b", "a", "b"]),
])
def test_an_order_splice_rebuilds_the_new_order(old: list[str], new: list[str]) -> None:
    splice = _splice(old, new)
    if old == new:
        assert splice is None
    else:
        assert splice is not None
        start, stop, middle = splice
        assert old[:start] + middle + old[stop:] == new and 0 <= start <= stop <= len(old)


def test_snapshot_fields_a_delta_changes_are_its_dict_fields() -> None:
    """A new dict field of Snapshot must be journalled too (or it would keep the base's value)."""
    annotations = {name: str(kind) for name, kind in Snapshot.__annotations__.items()}
    dicts = {name for name, kind in annotations.items() if kind.startswith("dict[")}
    assert dicts == set(cache_module._DICT_FIELDS)
    assert set(annotations) - dicts == {"key", "ident", "order", "fingerprint"}
