"""Lineage and audit: OpenLineage run events for every evaluation and ingest, and the audit trail.

Evaluation integrates in a few lines::

    from kpigov.lineage import KpiMetadata, LineageDataset, LineageEmitter, run_events

    emitter = LineageEmitter.from_config(project.config.spec.lineage, project.root)
    lineage = run_events(kpi=KpiMetadata.from_spec(kpi, fingerprint=fp), output=results,
                         inputs=[LineageDataset.table(url, "mentions", assertions=gx_outcomes)])
    with emitter.track(lineage) as run:      # START now; COMPLETE, FAIL or ABORT at the end
        ...                                  # run.update(inputs=...) when GX results arrive

    AuditLog(store).append(AuditKind.EVALUATION_RUN, run_id, {"kpis": 14}, actor="kpigov evaluate")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name -> defining module. Imported on first use: the audit trail must not pay for
#: openlineage-python (about a second to import), nor lineage emission for pyarrow.
_EXPORTS = {
    **dict.fromkeys(["AuditLog", "AuditRecord"], "audit"),
    **dict.fromkeys(["GENESIS", "AuditEntry", "AuditKind", "Checkpoint", "VerifyReport", "canonical_json", "mask",
                     "read_export", "verify_chain", "verify_export"], "chain"),
    **dict.fromkeys(["EmitOutcome", "FlushReport", "LineageEmitter", "RunTracker"], "emit"),
    **dict.fromkeys(["AuditEntryError", "AuditExportError", "LineageConfigError", "LineageError"], "errors"),
    **dict.fromkeys(["ColumnSource", "KpiMetadata", "LineageDataset", "ParentRun", "RunLineage", "SourceLocation",
                     "ingest_run_events", "new_run_id", "run_events"], "events"),
    **dict.fromkeys(["KPI_SPEC_FACET_KEY", "KpiSpecJobFacet"], "facets"),
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from kpigov.lineage.audit import AuditLog, AuditRecord
    from kpigov.lineage.chain import (
        GENESIS,
        AuditEntry,
        AuditKind,
        Checkpoint,
        VerifyReport,
        canonical_json,
        mask,
        read_export,
        verify_chain,
        verify_export,
    )
    from kpigov.lineage.emit import EmitOutcome, FlushReport, LineageEmitter, RunTracker
    from kpigov.lineage.errors import AuditEntryError, AuditExportError, LineageConfigError, LineageError
    from kpigov.lineage.events import (
        ColumnSource,
        KpiMetadata,
        LineageDataset,
        ParentRun,
        RunLineage,
        SourceLocation,
        ingest_run_events,
        new_run_id,
        run_events,
    )
    from kpigov.lineage.facets import KPI_SPEC_FACET_KEY, KpiSpecJobFacet


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kpigov.lineage' has no attribute {name!r}")
    value = getattr(import_module(f"kpigov.lineage.{module}"), name)
    globals()[name] = value
    return value
