"""Typed lineage and audit errors, so the CLI shows a sentence instead of a traceback.

The whole tree::

    LineageError                 anything in kpigov.lineage a caller can cause or fix
    ├── AuditEntryError          an entry cannot be recorded as given (unknown kind, payload not JSON, too long)
    ├── AuditExportError         an exported JSON-lines file cannot be read back as audit entries
    └── LineageConfigError       the lineage transport configuration is unusable (bad URL, bad path)

A broken chain is not an exception: :meth:`AuditLog.verify` returns a report naming the first bad
entry, because finding tampering is the expected outcome of verification, not a failure of it.
"""

from __future__ import annotations


class LineageError(Exception):
    """Base class of every error kpigov.lineage raises for bad input."""


class AuditEntryError(LineageError):
    """The entry cannot be appended as given; nothing was written."""


class AuditExportError(LineageError):
    """A line of an audit export is not an audit entry."""


class LineageConfigError(LineageError):
    """The lineage configuration cannot be turned into a working transport."""
