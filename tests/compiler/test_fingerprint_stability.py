"""Speed work must not move a single hash: every node's hashes and the repository fingerprint are
pinned, for the example repository and for a generated one (the benchmark's KPI and policy templates).

The pins were taken before the compile-speed changes. ``KPIGOV_REGENERATE=1`` rewrites them: do
that only for a change that is *meant* to change fingerprints (or after editing the example
repository), and say so in the change's note, since every stored manifest then differs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import kpigov
from kpigov.compiler import Compiled, compile_project, compile_repo
from tests.conftest import ROOT, copy_example

sys.path.insert(0, str(ROOT))
from bench.bench_validate import make_repository  # noqa: E402

PINNED = Path(__file__).with_name("fingerprints.json")
REGENERATE = os.environ.get("KPIGOV_REGENERATE") == "1"


def _example(target: Path) -> Path:
    return copy_example(target)


def _generated(target: Path) -> Path:
    target.mkdir(parents=True)
    make_repository(target, 40, 12)
    return target


REPOSITORIES = {"example": _example, "generated": _generated}


def _hashes(compiled: Compiled) -> dict[str, object]:
    return {
        "fingerprint": compiled.fingerprint,
        "nodes": {ref: [node.meaning_hash, node.metadata_own_hash, compiled.data_hash[ref], compiled.metadata_hash[ref]]
                  for ref, node in sorted(compiled.nodes.items())},
    }


@pytest.mark.parametrize("name", sorted(REPOSITORIES))
def test_hashes_are_the_pinned_ones(name: str, tmp_path: Path) -> None:
    repo = REPOSITORIES[name](tmp_path / "repo")
    project = kpigov.load(repo)
    assert project.ok, [str(d) for d in project.diagnostics][:5]
    actual = _hashes(compile_project(project))
    pinned = json.loads(PINNED.read_text()) if PINNED.exists() else {}
    if REGENERATE:
        PINNED.write_text(json.dumps({**pinned, name: actual}, indent=1, sort_keys=True) + "\n")
        return
    expected = pinned[name]
    moved = sorted(ref for ref in expected["nodes"] | actual["nodes"]  # type: ignore[operator]
                   if expected["nodes"].get(ref) != actual["nodes"].get(ref))  # type: ignore[union-attr]
    assert moved == [], f"{name}: hashes moved for {moved[:10]}"
    assert actual["fingerprint"] == expected["fingerprint"]


@pytest.mark.parametrize("name", sorted(REPOSITORIES))
def test_cached_recompile_gives_the_pinned_hashes(name: str, tmp_path: Path) -> None:
    """Cold through the cache, then unchanged (everything from the cache): the same pins."""
    if REGENERATE:
        pytest.skip("regenerating the pins")
    repo = REPOSITORIES[name](tmp_path / "repo")
    expected = json.loads(PINNED.read_text())[name]
    for _ in range(2):
        compiled, project = compile_repo(repo)
        assert compiled is not None, [str(d) for d in project.diagnostics][:5]
        assert _hashes(compiled) == expected
