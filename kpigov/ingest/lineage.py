"""What an ingest leaves besides its rows: one OpenLineage run per file and an ``ingest_run`` audit entry.

Each file is its own run (job ``ingest.<source>``): input the file (namespace ``file``), output
the store table it loads (``mentions`` or ``outcomes``) with its schema. START goes out before
the file is read; COMPLETE carries the rows read (input ``dataQualityMetrics``) and the rows
loaded (output ``outputStatistics``); a file that cannot be ingested sends FAIL with the error,
an interrupted one ABORT. Emission never fails an ingest: the emitter spills what it cannot deliver.

A loaded file's audit entry is appended inside the file's own transaction: ``ingest_file`` (which
stays unaware of lineage) calls :meth:`TrackedIngest.write_audit` as its ``before_commit``, so the
rows and the entry vouching for them commit together or not at all; an append that fails rolls the
file back. A failed file has nothing committed, and its entry is appended afterwards in its own
transaction (a failure to write that one is reported in ``IngestTrail.problems``, not raised). The
entry's subject is the lineage run id, so an entry and its events can be joined; without lineage
the id is still minted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpigov.ingest.outcomes import OutcomesReport
from kpigov.ingest.pipeline import IngestReport
from kpigov.project import Project
from kpigov.store import Store

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from kpigov.lineage import LineageEmitter, RunTracker, SourceLocation

ACTOR = "kpigov ingest"


@dataclass(frozen=True)
class IngestTrail:
    """Where each ingested file's lineage goes (``emitter`` None: no events); audit entries always.

    ``problems`` collects what recording met over all files (audit entries not written).
    """

    emitter: LineageEmitter | None = None
    source: SourceLocation | None = None
    actor: str = ACTOR
    problems: list[str] = field(default_factory=list)

    @classmethod
    def for_project(cls, project: Project, *, lineage: bool = True,
                    environ: Mapping[str, str] = os.environ) -> IngestTrail:
        """The trail the repository's ``spec.lineage`` asks for (raises LineageConfigError when unusable)."""
        from kpigov.lineage import LineageEmitter, SourceLocation

        emitter = LineageEmitter.from_config(project.config.spec.lineage if project.config else None, project.root,
                                             environ) if lineage else None
        return cls(emitter, SourceLocation(project.root.resolve().as_uri()))

    @contextmanager
    def track(self, store: Store, path: Path, source_name: str, table: str) -> Iterator[TrackedIngest]:
        """START the file's run now; the block hands its report to :meth:`TrackedIngest.loaded`.

        COMPLETE and an audit entry follow a block that ends normally, FAIL and an audit entry one
        that raises (the exception propagates); an interrupt sends ABORT and records nothing.
        """
        from kpigov.lineage import new_run_id

        tracked = TrackedIngest(path, source_name, table, store.engine.url.render_as_string(hide_password=True),
                                new_run_id(), store, self.actor)
        try:
            with self._events(tracked) as run:
                tracked.run = run
                yield tracked
        except Exception as error:
            self._audit(store, tracked, error)
            raise
        if not tracked.audited:  # the caller did not pass write_audit as before_commit
            self._audit(store, tracked, None)

    def close(self) -> None:
        if self.emitter is not None:
            self.emitter.close()

    def _events(self, tracked: TrackedIngest) -> Any:
        if self.emitter is None:
            return nullcontext()
        from kpigov.lineage import LineageDataset, ingest_run_events

        lineage = ingest_run_events(source_name=tracked.source_name, input_file=LineageDataset.file(tracked.path),
                                    output=LineageDataset.table(tracked.store_url, tracked.table),
                                    source=self.source, run_id=tracked.run_id, namespace=self.emitter.namespace)
        return self.emitter.track(lineage)

    def _audit(self, store: Store, tracked: TrackedIngest, error: Exception | None) -> None:
        from kpigov.lineage import AuditLog

        try:
            AuditLog(store).append("ingest_run", tracked.run_id, tracked.audit_payload(error), self.actor)
        except Exception as exc:  # the file's transaction has ended; a missing entry is reported, not raised
            first_line = (str(exc).strip().splitlines() or [""])[0]
            self.problems.append(f"audit trail not written for {tracked.path}: {type(exc).__name__}: {first_line}")


@dataclass
class TrackedIngest:
    """One file being ingested: where it goes and what the ingest reported."""

    path: Path
    source_name: str
    table: str
    store_url: str
    run_id: str
    store: Store | None = None
    actor: str = ACTOR
    run: RunTracker | None = None
    report: IngestReport | OutcomesReport | None = None
    audited: bool = False

    def write_audit(self, conn: Connection, report: IngestReport | OutcomesReport) -> None:
        """``before_commit`` of the file's transaction: its ``ingest_run`` entry, committed with its rows."""
        from kpigov.lineage import AuditLog, AuditRecord

        from kpigov.ingest.errors import IngestError

        assert self.store is not None
        self.report = report
        try:
            AuditLog(self.store).append_many(
                [AuditRecord("ingest_run", self.run_id, self.audit_payload(None), self.actor)], conn=conn)
        except Exception as exc:  # the file is rolled back: an ingest failure, said in one line
            first_line = (str(exc).strip().splitlines() or [""])[0]
            raise IngestError(f"{self.path}: not loaded, the audit trail refused its entry: "
                              f"{type(exc).__name__}: {first_line}") from exc
        self.audited = True

    def loaded(self, report: IngestReport | OutcomesReport) -> None:
        """The file is committed: its numbers go out with COMPLETE and into the audit entry."""
        self.report = report
        if self.run is None:
            return
        from kpigov.lineage import LineageDataset

        self.run.update(
            inputs=[LineageDataset.file(self.path, metrics={"rowCount": report.rows_read, "columnMetrics": {},
                                                             "bytes": self.path.stat().st_size})],
            output=LineageDataset.table(self.store_url, self.table, row_count=report.rows_loaded))

    def audit_payload(self, error: Exception | None) -> dict[str, Any]:
        """Batch id, file hash and row counts of a loaded file; the error (and file hash) of a failed one."""
        report = self.report
        payload: dict[str, Any] = {
            "status": "failed" if error is not None or report is None else "loaded",
            "source": self.source_name, "file": str(self.path.resolve()), "table": self.table,
            "file_sha256": report.file_sha256 if isinstance(report, IngestReport) else _file_sha256(self.path),
            "ingest_batch": None, "rows_read": None, "rows_loaded": None, "rows_quarantined": None,
            "error": f"{type(error).__name__}: {error}" if error is not None else None,
        }
        if error is None and report is not None:
            payload.update(ingest_batch=report.ingest_batch, rows_read=report.rows_read, rows_loaded=report.rows_loaded,
                           rows_quarantined=report.rows_quarantined if isinstance(report, IngestReport)
                           else len(report.quarantined))
        return payload


def _file_sha256(path: Path) -> str | None:
    """The file's hash when the ingest did not report one (outcomes, failures); None if unreadable."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


__all__ = ["ACTOR", "IngestTrail", "TrackedIngest"]
