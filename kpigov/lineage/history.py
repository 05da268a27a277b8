"""A spec's version history from Git: every commit that changed its spec file, and the version it left.

The history follows renames (``git log --follow``), so a KPI moved between perspective folders keeps
its past. Each commit's copy of the file is read through one ``git cat-file --batch`` process and
parsed with the hardened loader (:func:`kpigov.loader.load_text`), never a second YAML parser: an
old commit is as untrusted as today's working tree. Outside a Git repository, or without git, the
history is empty and :attr:`SpecHistory.note` says why, in words a page can show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kpigov.compiler.gitrepo import GitError, run_git
from kpigov.loader import load_text

#: Separates the fields of one ``git log`` record (unit separator) and the records (record separator):
#: neither can appear in a commit subject or an ISO date.
_FIELD, _RECORD = "\x1f", "\x1e"


@dataclass(frozen=True, slots=True)
class Revision:
    """One commit that changed the KPI's file: ``version`` is ``metadata.version`` in that commit's
    copy, None when the file did not hold the KPI (or did not load) at that commit."""

    commit: str
    date: str  # author date, ISO 8601 with offset
    subject: str
    path: str  # the file's path at that commit, relative to the Git work tree
    version: str | None


@dataclass(frozen=True, slots=True)
class SpecHistory:
    """Newest commit first; ``note`` explains an empty history (no Git, not committed yet)."""

    revisions: tuple[Revision, ...]
    note: str | None = None


def spec_history(root: Path, file: str, kpi_id: str) -> SpecHistory:
    """The commits that changed ``file`` (relative to the repository ``root``) and the version of
    ``kpi_id`` each one left."""
    try:
        log = run_git(root, "log", "--follow", "--name-only", f"--format={_RECORD}%H{_FIELD}%aI{_FIELD}%s",
                   "--", file).decode("utf-8", "replace")
    except GitError as exc:
        return SpecHistory((), f"no version history: {exc}")
    commits = [_parse_record(record) for record in log.split(_RECORD) if record.strip()]
    if not commits:
        return SpecHistory((), f"no version history: {file} is not committed yet")
    contents = _blobs(root, [f"{commit}:{path}" for commit, _, _, path in commits])
    return SpecHistory(tuple(Revision(commit, date, subject, path, _version(path, blob, kpi_id))
                             for (commit, date, subject, path), blob in zip(commits, contents, strict=True)))


def _parse_record(record: str) -> tuple[str, str, str, str]:
    """``commit, date, subject`` then, after a blank line, the file's path at that commit."""
    header, _, names = record.strip("\n").partition("\n")
    commit, date, subject = header.split(_FIELD, 2)
    path = next((line for line in names.splitlines() if line), "")
    return commit, date, subject, path


def _blobs(root: Path, objects: list[str]) -> list[bytes | None]:
    """The contents of each ``commit:path`` through one process; None where git has no such object."""
    batch = run_git(root, "cat-file", "--batch", stdin="".join(f"{name}\n" for name in objects).encode())
    found: list[bytes | None] = []
    offset = 0
    for _ in objects:
        header_end = batch.index(b"\n", offset)
        header = batch[offset:header_end].split()
        if header[-1] == b"missing":
            found.append(None)
            offset = header_end + 1
            continue
        start = header_end + 1
        size = int(header[2])
        found.append(batch[start:start + size])
        offset = start + size + 1
    return found


def _version(path: str, content: bytes | None, kpi_id: str) -> str | None:
    if content is None:
        return None
    for document in load_text(path, content).documents:
        if document.kind == "KPI" and document.id == kpi_id:
            version = document.data["metadata"].get("version")
            return str(version) if version is not None else None
    return None


__all__ = ["Revision", "SpecHistory", "spec_history"]
