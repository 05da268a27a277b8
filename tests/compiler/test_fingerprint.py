"""Fingerprints: meaning apart from metadata, folded with parents, blind to order and formatting."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

import kpigov
from kpigov.compiler import MANIFEST_SCHEMA, Compiled, compile_project
from kpigov.compiler.manifest import manifest_text
from tests.compiler.helpers import edit
from tests.conftest import copy_example

NS = "kpi_specs/customer/net_sentiment.yaml"
PV = "kpi_specs/customer/positive_volume.yaml"


def _compile(repo: Path) -> Compiled:
    project = kpigov.load(repo)
    assert project.ok, [str(d) for d in project.diagnostics][:5]
    return compile_project(project)


def _hashes(compiled: Compiled) -> dict[str, tuple[str, str]]:
    return {ref: (n["data_hash"], n["metadata_hash"]) for ref, n in compiled.manifest["nodes"].items()}


def test_manifest_matches_its_schema_and_text_form(example_repo: Path) -> None:
    compiled = _compile(example_repo)
    jsonschema.Draft202012Validator.check_schema(MANIFEST_SCHEMA)
    jsonschema.validate(compiled.manifest, MANIFEST_SCHEMA)
    assert json.loads(manifest_text(compiled)) == compiled.manifest
    assert compiled.manifest["git"] == {"commit": None, "dirty": None}  # a copy outside Git


def test_description_changes_metadata_hash_only(example_repo: Path) -> None:
    before = _hashes(_compile(example_repo))
    edit(example_repo, PV, "(sentiment-adjusted volume)", "(sentiment-adjusted)")
    after = _hashes(_compile(example_repo))
    ref, derived = "kpi/brand.customer.positive_volume", "kpi/brand.customer.positive_share"
    assert after[ref][0] == before[ref][0] and after[ref][1] != before[ref][1]
    assert after[derived][0] == before[derived][0] and after[derived][1] != before[derived][1]
    assert {r for r in before if before[r][0] != after[r][0]} == set()


def test_meaning_change_reaches_exactly_the_descendants(example_repo: Path) -> None:
    compiled = _compile(example_repo)
    before = _hashes(compiled)
    edit(example_repo, PV, "label: positive", "label: neutral")
    after_compiled = _compile(example_repo)
    after = _hashes(after_compiled)
    changed = {r for r in before if before[r][0] != after[r][0]}
    ref = "kpi/brand.customer.positive_volume"
    import networkx as nx
    assert changed == {ref} | nx.descendants(compiled.graph, ref)
    assert "kpi/brand.customer.positive_share" in changed and "kpi/brand.customer.net_sentiment" not in changed


def test_formatting_and_set_order_do_not_change_meaning(example_repo: Path) -> None:
    before = _compile(example_repo)
    edit(example_repo, NS, "filter: \"entity = 'stridewell' and not is_bot",
         "filter: \"(entity='stridewell') AND NOT is_bot")
    edit(example_repo, NS, 'green: ">= 0.30"', 'green: ">=0.3"')
    edit(example_repo, "kpi_specs/customer/share_of_voice.yaml", "competitors: [apexrun, kinetiq, volta]",
         "competitors: [volta, apexrun, kinetiq]")
    after = _compile(example_repo)
    assert after.fingerprint == before.fingerprint


def _split_documents(text: str) -> list[str]:
    return [part.strip("\n") + "\n" for part in text.split("\n---\n") if part.strip()]


@settings(max_examples=5, deadline=None)
@given(st.randoms(use_true_random=False))
def test_reordering_files_and_documents_changes_no_fingerprint(tmp_path_factory, rnd) -> None:  # type: ignore[no-untyped-def]
    """Metamorphic: shuffle the documents of every multi-document file and move documents to new
    files; every data hash, metadata hash and the repository fingerprint stay the same."""
    original = _compile(copy_example(tmp_path_factory.mktemp("a") / "repo"))
    repo = copy_example(tmp_path_factory.mktemp("b") / "repo")
    for path in sorted((repo / "policies").rglob("*.yaml")):
        documents = _split_documents(path.read_text(encoding="utf-8"))
        rnd.shuffle(documents)
        keep = documents[: max(1, len(documents) // 2)]
        path.write_text("---\n".join(keep), encoding="utf-8")
        for i, moved in enumerate(documents[len(keep):]):
            (path.parent / f"zz_moved_{rnd.randrange(10**6)}_{i}_{path.name}").write_text(moved, encoding="utf-8")
    shuffled = _compile(repo)
    assert _hashes(shuffled) == _hashes(original)
    assert shuffled.fingerprint == original.fingerprint
    assert shuffled.kpi_order == original.kpi_order
