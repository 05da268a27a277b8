"""Incremental compilation: the cache makes recompiling faster, never different or more lenient."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import kpigov
from kpigov.compiler import CACHE_DIR, compile_project, compile_repo
from kpigov.compiler import cache as cache_module
from kpigov.compiler.cache import CACHE_FILE, JOURNAL_FILE, Snapshot, _cache_key, _read_cache, _write_base, spec_files
from kpigov.loader import discover
from kpigov.project import SPEC_FOLDERS
from tests.compiler.helpers import edit

NS = "kpi_specs/customer/net_sentiment.yaml"


def _without_time(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k != "generated_at"}


def _cold(repo: Path) -> tuple[dict[str, Any], list[str]]:
    project = kpigov.load(repo)
    return _without_time(compile_project(project).manifest), [str(d) for d in project.diagnostics]


def _assert_same_as_cold(repo: Path) -> kpigov.Project:
    compiled, project = compile_repo(repo)
    assert compiled is not None, [str(d) for d in project.diagnostics]
    manifest, diagnostics = _cold(repo)
    assert _without_time(compiled.manifest) == manifest
    assert [str(d) for d in project.diagnostics] == diagnostics
    return project


def test_spec_files_walk_finds_what_discover_finds(example_repo: Path) -> None:
    (example_repo / "policies" / ".hidden").mkdir()
    (example_repo / "policies" / ".hidden" / "x.yaml").write_text("a: 1\n")
    (example_repo / "kpi_specs" / "customer" / "x_test.yaml").write_text("a: 1\n")
    expected = [p.relative_to(example_repo).as_posix() for p in discover(example_repo, SPEC_FOLDERS)]
    assert spec_files(example_repo) == expected


def test_one_file_change_reloads_only_what_depends_on_it(example_repo: Path) -> None:
    first = _assert_same_as_cold(example_repo)
    assert len(first.specs) == len(kpigov.load(example_repo).specs)  # cold: everything
    assert (example_repo / CACHE_DIR / CACHE_FILE).is_file()
    unchanged = _assert_same_as_cold(example_repo)
    assert unchanged.specs == {}
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    changed = _assert_same_as_cold(example_repo)
    assert "kpi/brand.customer.net_sentiment" in changed.specs
    assert "kpi/brand.customer.mention_volume" not in changed.specs  # neither a dependent nor a referent


def test_metadata_and_shared_policy_changes_match_a_cold_compile(example_repo: Path) -> None:
    _assert_same_as_cold(example_repo)
    edit(example_repo, "policies/dedup.yaml", "max_followers: 25", "max_followers: 40")
    project = _assert_same_as_cold(example_repo)
    assert "kpi/brand.customer.net_sentiment" in project.specs  # a dependent, re-checked
    edit(example_repo, "kpi_specs/customer/positive_volume.yaml", "(sentiment-adjusted volume)", "(adjusted)")
    _assert_same_as_cold(example_repo)
    (example_repo / "kpi_specs/customer/engagement_score.yaml").unlink()
    _assert_same_as_cold(example_repo)


def test_an_error_in_an_unchanged_dependent_is_found(example_repo: Path) -> None:
    """Dropping a column breaks filters in files that did not change: reported as by validate."""
    compile_repo(example_repo)
    edit(example_repo, "policies/datasets/mentions.yaml", "is_spam, type: boolean, data_class: internal, nullable: false}\n"
         "    - {name: is_employee,", "is_spam, type: boolean, data_class: internal, nullable: false}\n    - {name: is_staff,")
    compiled, project = compile_repo(example_repo)
    expected = [str(d) for d in kpigov.load(example_repo).diagnostics]
    assert compiled is None and [str(d) for d in project.diagnostics] == expected
    assert any("kpi_specs/customer/net_sentiment.yaml" in line and "KG601" in line for line in expected)


def test_a_duplicate_id_in_a_new_file_is_found(example_repo: Path) -> None:
    compile_repo(example_repo)
    (example_repo / "kpi_specs/customer/copy.yaml").write_text((example_repo / NS).read_text())
    compiled, project = compile_repo(example_repo)
    assert compiled is None and any(d.code.code == "KG300" for d in project.diagnostics)


def test_corrupt_or_foreign_cache_is_rebuilt(example_repo: Path) -> None:
    compile_repo(example_repo)
    cache = example_repo / CACHE_DIR / CACHE_FILE
    cache.write_bytes(b"\x80\x05not a pickle")
    project = _assert_same_as_cold(example_repo)
    assert len(project.specs) > 0  # rebuilt from scratch
    snapshot = _snapshot(example_repo)
    _write_base(example_repo / CACHE_DIR, replace(snapshot, key=("0.0.0-other", *snapshot.key[1:])))
    assert len(_assert_same_as_cold(example_repo).specs) > 0
    (example_repo / "kpigov.yaml").write_text((example_repo / "kpigov.yaml").read_text() + "\n# edited\n")
    assert len(_assert_same_as_cold(example_repo).specs) > 0  # another config: everything re-checked


def test_a_truncated_base_is_rebuilt(example_repo: Path) -> None:
    compile_repo(example_repo)
    cache = example_repo / CACHE_DIR / CACHE_FILE
    content = cache.read_bytes()
    cache.write_bytes(content[:len(content) // 2])
    assert len(_assert_same_as_cold(example_repo).specs) > 0
    cache.write_bytes(content + b"\0")  # trailing bytes: not the file that was written
    assert len(_assert_same_as_cold(example_repo).specs) > 0


def _snapshot(repo: Path) -> Snapshot:
    """The cached snapshot as the next compile reads it (base and journal)."""
    loaded = _read_cache(repo / CACHE_DIR, _cache_key(repo))
    assert loaded is not None
    return loaded.snapshot


def test_a_recompile_keeps_untouched_nodes_and_rehashes_only_downstream(example_repo: Path) -> None:
    """The cached graph is reused when a change keeps the edges: untouched nodes are carried over
    as they were, and exactly the edited KPI and its downstream get new data hashes."""
    compile_repo(example_repo)
    before = _snapshot(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    _assert_same_as_cold(example_repo)
    after = _snapshot(example_repo)
    ref = "kpi/brand.customer.net_sentiment"
    assert after.nodes.keys() == before.nodes.keys() and after.edges.keys() == before.edges.keys()
    assert "is_employee" not in after.nodes[ref].meaning["filter"]
    assert after.files[NS][0] != before.files[NS][0]
    downstream, frontier = {ref}, [ref]
    while frontier:
        parent = frontier.pop()
        for child in {c for p, c in after.edges if p == parent} - downstream:
            downstream.add(child)
            frontier.append(child)
    assert len(downstream) > 1  # access rules and escalations read the KPI
    assert {r for r in after.nodes if after.data_hash[r] != before.data_hash[r]} == downstream
    assert after.fingerprint != before.fingerprint
    assert all(after.nodes[r] == before.nodes[r] for r in after.nodes if r != ref)


def test_a_change_of_edges_rebuilds_the_graph(example_repo: Path) -> None:
    """A dataset that gains a data class and a removed KPI change the graph: the result is still
    exactly a cold compile's."""
    compile_repo(example_repo)
    edges_before = _snapshot(example_repo).edges.keys()
    edit(example_repo, "policies/datasets/mentions.yaml", "is_spam, type: boolean, data_class: internal",
         "is_spam, type: boolean, data_class: aggregate")  # now governed by retention 'kpi-aggregates' (any dataset)
    _assert_same_as_cold(example_repo)
    edges_after = _snapshot(example_repo).edges.keys()
    assert {(p, c.split("/")[1]) for p, c in edges_after - edges_before} == {("dataset/mentions", "kpi-aggregates")}
    (example_repo / "kpi_specs/customer/engagement_score.yaml").unlink()
    _assert_same_as_cold(example_repo)
    assert _snapshot(example_repo).edges.keys() < edges_after


def test_a_recompile_with_nothing_changed_does_not_rewrite_the_cache(example_repo: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "JOURNAL_LIMIT", 100.0)  # append, whatever the example's size
    compile_repo(example_repo)
    edit(example_repo, NS, "and not is_employee and cib_cluster", "and cib_cluster")
    compile_repo(example_repo)  # a journal record on top of the base
    folder = example_repo / CACHE_DIR
    written = [(f.stat().st_mtime_ns, f.read_bytes()) for f in (folder / CACHE_FILE, folder / JOURNAL_FILE)]
    project = _assert_same_as_cold(example_repo)
    assert project.specs == {}
    assert [(f.stat().st_mtime_ns, f.read_bytes()) for f in (folder / CACHE_FILE, folder / JOURNAL_FILE)] == written
