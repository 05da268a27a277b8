"""Golden cases for the compiler: input bundle -> expected graph/manifest excerpt or diagnostics.

See tests/cases/compile/README.md. ``KPIGOV_REGENERATE=1`` rewrites the expectations.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import kpigov
from kpigov.compiler import CompileError, compile_project
from tests.compiler.helpers import edit
from tests.conftest import copy_example

CASES = Path(__file__).resolve().parents[1] / "cases" / "compile"
REGENERATE = os.environ.get("KPIGOV_REGENERATE") == "1"


def _bundle(case: Path, target: Path) -> Path:
    repo = copy_example(target)
    edits = case / "edits.json"
    for change in json.loads(edits.read_text()) if edits.exists() else []:
        edit(repo, change["path"], change["old"], change["new"])
    if (case / "files").is_dir():
        shutil.copytree(case / "files", repo, dirs_exist_ok=True)
    return repo


def _actual(repo: Path, expected: dict[str, Any]) -> dict[str, Any]:
    project = kpigov.load(repo)
    assert not [d for d in project.diagnostics if d.severity.value == "error"], [str(d) for d in project.diagnostics][:5]
    actual: dict[str, Any] = {}
    try:
        compiled = compile_project(project)
    except CompileError:
        compiled = None
    actual["diagnostics"] = [str(d) for d in project.diagnostics if d.code.code.startswith("KG7")]
    if compiled is None:
        return actual
    actual["kpi_order"] = compiled.kpi_order
    graph = compiled.graph
    actual["edges"] = [[p, c, graph.edges[p, c]["why"]] if graph.has_edge(p, c) else [p, c, None]
                       for p, c, _ in expected.get("edges", [])]
    keys = ("kind", "version", "parents", "children")
    actual["nodes"] = {ref: {k: compiled.manifest["nodes"][ref][k] for k in keys} for ref in expected.get("nodes", {})}
    return actual


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_compile_case(case: str, tmp_path: Path) -> None:
    folder = CASES / case
    expected = json.loads((folder / "expected.json").read_text())
    actual = _actual(_bundle(folder, tmp_path / "repo"), expected)
    if REGENERATE:
        (folder / "expected.json").write_text(json.dumps(actual, indent=1) + "\n")
        return
    for key, value in expected.items():
        assert actual.get(key) == value, f"{case}: '{key}' differs\nexpected: {value}\nactual:   {actual.get(key)}"
