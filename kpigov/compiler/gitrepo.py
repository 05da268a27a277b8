"""The governance repository as Git sees it: the commit and dirty flag for the manifest, and the
files of any ref, read through ``git cat-file`` (no checkout, the working tree is never touched)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from kpigov.project import CONFIG_FILE, SPEC_FOLDERS

GOVERNANCE_PATHS = (CONFIG_FILE, *SPEC_FOLDERS)


class GitError(Exception):
    """A git command failed: not a repository, unknown ref, git missing. The message says which."""


@dataclass(frozen=True, slots=True)
class GitState:
    """``commit`` is None outside a Git repository; ``dirty`` says whether governance files differ from it."""

    commit: str | None
    dirty: bool | None

    def as_dict(self) -> dict[str, object]:
        return {"commit": self.commit, "dirty": self.dirty}


NO_GIT = GitState(None, None)


def run_git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return done.stdout


def git_state(root: Path) -> GitState:
    """HEAD and whether any governance file is modified or untracked; NO_GIT outside a repository."""
    try:
        commit = run_git(root, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
        status = run_git(root, "status", "--porcelain", "--untracked-files=normal", "--", *GOVERNANCE_PATHS)
    except GitError:
        return NO_GIT
    return GitState(commit, bool(status.strip()))


def resolve_ref(root: Path, ref: str) -> str:
    """The commit ``ref`` names, or GitError("unknown revision ...")."""
    if ref.startswith("-"):
        raise GitError(f"'{ref}' is not a revision")
    try:
        return run_git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"'{ref}' is not a commit, branch or tag of the repository at {root}") from None


def files_at(root: Path, commit: str) -> dict[str, bytes]:
    """Every governance file (``kpigov.yaml``, ``kpi_specs/``...) at ``commit``, relative to ``root``.

    ``root`` may be a sub-folder of the Git work tree; paths are read relative to it. All blobs are
    read through one ``git cat-file --batch`` process, so 10,000 files cost one process, not 10,000.
    """
    prefix = run_git(root, "rev-parse", "--show-prefix").decode().strip()
    listing = run_git(root, "ls-tree", "-r", "-z", "--full-name", commit, "--", *GOVERNANCE_PATHS)
    entries: list[tuple[str, str]] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        if kind == "blob" and mode != "120000" and path.startswith(prefix):  # symlinks are not followed
            entries.append((path[len(prefix):], sha))
    if not entries:
        return {}
    batch = run_git(root, "cat-file", "--batch", stdin="".join(f"{sha}\n" for _, sha in entries).encode())
    files: dict[str, bytes] = {}
    offset = 0
    for path, _ in entries:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        start = header_end + 1
        files[path] = batch[start:start + size]
        offset = start + size + 1
    return files


__all__ = ["GitError", "GitState", "NO_GIT", "git_state", "resolve_ref", "files_at", "GOVERNANCE_PATHS"]
