"""Compile the governance repository as it was at a Git revision, without a checkout.

The revision's governance files are read through ``git cat-file`` into a private temporary folder
and loaded and compiled like any repository, so base and working tree go through one code path.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from kpigov.compiler.compiled import Compiled, compile_project
from kpigov.compiler.gitrepo import GitState, files_at, resolve_ref
from kpigov.compiler.stages import CompileError
from kpigov.project import Project, load


@dataclass(frozen=True)
class Revision:
    """A compiled revision: ``compiled`` is None when its files do not validate (see ``project``)."""

    ref: str
    commit: str
    compiled: Compiled | None
    project: Project


def compile_revision(root: Path, ref: str) -> Revision:
    """Raises :class:`~kpigov.compiler.gitrepo.GitError` when ``ref`` names no commit."""
    commit = resolve_ref(root, ref)
    files = files_at(root, commit)
    with tempfile.TemporaryDirectory(prefix="kpigov-base-") as tmp:
        base = Path(tmp)
        for path, content in files.items():
            target = base / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        project = load(base)
        compiled = None
        if project.ok:
            try:
                compiled = compile_project(project, git=GitState(commit, False))
            except CompileError:
                compiled = None
        if compiled is not None:
            compiled.manifest  # decode while nothing else is needed from the temporary folder
    project.root = root
    return Revision(ref, commit, compiled, project)


__all__ = ["Revision", "compile_revision"]
