"""``kpigov audit verify|export`` and ``kpigov lineage flush``: the audit trail and lineage delivery.

``audit verify`` exits 1 when the chain is broken, naming the first bad entry and why; it prints
the head (seq and hash) so an operator can record it elsewhere and later pass it back with
``--trusted SEQ:HASH`` (the only way to detect a rewrite of the whole chain or of its tail).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from kpigov.cli.app import app, err, fail
from kpigov.diagnostics import ExitCode

if TYPE_CHECKING:
    from kpigov.lineage import Checkpoint, VerifyReport
    from kpigov.project import Project
    from kpigov.store import Store

audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit trail: verify it, export it.")
lineage_app = typer.Typer(no_args_is_help=True, help="OpenLineage delivery: re-send spilled events.")
app.add_typer(audit_app, name="audit")
app.add_typer(lineage_app, name="lineage")

_REPO = typer.Option(Path("."), "--repo", help="Governance repository root (its kpigov.yaml).")
_STORE = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml spec.store, "
                                             "<repo>/.kpigov/store.duckdb).")


@audit_app.command("verify")
def audit_verify(
    store_url: str = _STORE,
    repo: Path = _REPO,
    export: Path = typer.Option(None, "--file", help="Verify this JSON-lines export instead of the store."),
    trusted: str = typer.Option(None, "--trusted", help="SEQ:HASH of a head recorded earlier; it must still be there."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
) -> None:
    """Check the whole chain; exit 1 naming the first bad entry when it is broken."""
    from kpigov.lineage import AuditExportError, AuditLog, verify_export

    if fmt not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    anchor = _checkpoint(trusted)
    if export is not None:
        try:
            report = verify_export(export, anchor)
        except AuditExportError as exc:
            fail(str(exc))
    else:
        with _store(store_url, repo) as store:
            report = AuditLog(store).verify(anchor)
    _show(report, fmt)
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.FAILED)


@audit_app.command("export")
def audit_export(
    out: Path = typer.Option(..., "--out", "-o", help="JSON-lines file to write (replaced atomically)."),
    store_url: str = _STORE,
    repo: Path = _REPO,
) -> None:
    """Write every audit entry to a JSON-lines file that `audit verify --file` can check offline."""
    from kpigov.lineage import AuditLog

    if out.is_dir():
        fail(f"{out} is a directory; --out names the file to write")
    with _store(store_url, repo) as store:
        try:
            count = AuditLog(store).export_jsonl(out)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")
    err.print(f"wrote {count} audit entries to {out}")


@lineage_app.command("flush")
def lineage_flush(repo: Path = _REPO) -> None:
    """Re-send spilled OpenLineage events in order; exit 1 while some remain undelivered."""
    from kpigov.lineage import LineageConfigError, LineageEmitter

    project = _project(repo)
    try:
        emitter = LineageEmitter.from_config(project.config.spec.lineage if project.config else None, project.root)
    except LineageConfigError as exc:
        fail(str(exc))
    report = emitter.flush()
    emitter.close()
    rejected = f", {report.rejected} unreadable line(s) moved to {emitter.spill_path}.rejected" if report.rejected else ""
    err.print(f"sent {report.sent} event(s), {report.remaining} still waiting in {emitter.spill_path}{rejected}")
    raise typer.Exit(ExitCode.FAILED if report.remaining else ExitCode.OK)


# -- shared steps ----------------------------------------------------------------------------------


def _project(repo: Path) -> Project:
    from kpigov.project import load

    if not repo.is_dir():
        fail(f"{repo} is not a directory (--repo names the governance repository)")
    return load(repo)


@contextmanager
def _store(option: str | None, repo: Path) -> Iterator[Store]:
    """The store every command uses; the repository is read only when its config must decide."""
    from kpigov.store import STORE_URL_ENV, StoreError, open_store, resolve_store_url

    configured = None
    if not option and not os.environ.get(STORE_URL_ENV):
        project = _project(repo)
        configured = project.config.spec.store if project.config else None
    try:
        store = open_store(resolve_store_url(option, repo.resolve(), configured), create=False)
    except StoreError as exc:
        fail(str(exc))
    with store:
        yield store


def _checkpoint(text: str | None) -> Checkpoint | None:
    from kpigov.lineage import Checkpoint

    if text is None:
        return None
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise typer.BadParameter("expected SEQ:HASH, e.g. 1000:<64 hex digits>", param_hint="--trusted")
    return Checkpoint(int(seq), digest)


def _show(report: VerifyReport, fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps({"ok": report.ok, "entries": report.entries, "first_bad": report.first_bad,
                               "reason": report.reason, "head": {"seq": report.head.seq, "hash": report.head.hash}}))
        return
    if report.ok:
        err.print(f"[green]✓[/] {escape(str(report))}")
        err.print(f"record this head to detect later rewrites: --trusted {report.head.seq}:{report.head.hash}")
    else:
        err.print(f"[red]✗[/] {escape(str(report))}")
