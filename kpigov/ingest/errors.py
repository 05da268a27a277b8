"""Ingestion errors that stop a whole file (bad rows are quarantined instead, never raised).

    IngestError
    ├── UnknownSourceError      no adapter registered under the name given
    ├── MalformedFileError      the file as a whole cannot be read (invalid JSON, undecodable bytes, ...)
    └── IngestSetupError        the governance repository cannot be compiled into ingestion rules
"""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Base class for ingestion failures reported to the user."""


class UnknownSourceError(IngestError):
    """The source name is not in the adapter registry."""


class MalformedFileError(IngestError):
    """The file cannot be parsed at all; names the file and, where known, the line."""

    def __init__(self, path: Path, detail: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {detail}")
        self.path = path
        self.line = line
        self.detail = detail


class IngestSetupError(IngestError):
    """The repository's DedupPolicy, Lexicon or entities cannot drive an ingest; says where."""
