"""The audit trail: an append-only, hash-chained log of governance decisions, kept in the store.

Each entry's ``hash`` covers all its fields and the previous entry's hash (the serialisation is in
:mod:`kpigov.lineage.chain`), so editing, deleting or reordering any committed entry breaks the
chain at that entry and :meth:`AuditLog.verify` names it. Every ``checkpoint_every``-th hash is
also written to ``audit_checkpoints``: verification can start from a trusted checkpoint, and a
tail cut off after a checkpoint is detected. Cutting the tail after the last checkpoint, or
rewriting the whole chain, can only be detected against a head recorded elsewhere
(``verify(trusted=...)`` with a checkpoint taken from an earlier report or export): that is what
``kpigov audit verify`` prints the head for.

Writers are serialised so sequence numbers have no gaps and no duplicates: on PostgreSQL by a
transaction-scoped advisory lock (any number of processes), on DuckDB by a lock per database in
this process (a DuckDB file has a single writing process anyway; its threads share the lock).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, func, insert, select

from kpigov.lineage.chain import GENESIS, AuditEntry, AuditKind, Checkpoint, VerifyReport, broken, canonical_json, entry_hash
from kpigov.lineage.chain_sql import verify_in_database
from kpigov.lineage.errors import AuditEntryError
from kpigov.store import Store, schema
from kpigov.store.arrow import arrow_schema

#: Batches at least this large go through the backend's bulk path (Arrow scan / COPY).
_BULK_THRESHOLD = 64
_PAGE = 50_000
_LOG = schema.audit_log
_COLUMNS = tuple(_LOG.c[name] for name in
                 ("seq", "recorded_at", "kind", "subject", "actor", "payload", "prev_hash", "hash"))
_ARROW = arrow_schema(_LOG)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry to append, as the caller states it (sequence, time and hashes are added on append)."""

    kind: AuditKind | str
    subject: str
    payload: Mapping[str, Any]
    actor: str


class AuditLog:
    """The audit trail of one store. Appending is serialised; reading and verifying are not."""

    def __init__(self, store: Store, *, checkpoint_every: int = 1000) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self.store = store
        self.checkpoint_every = checkpoint_every
        self._known_head = GENESIS

    def append(self, kind: AuditKind | str, subject: str, payload: Mapping[str, Any], actor: str) -> AuditEntry:
        """Append one entry in its own transaction; returns it as committed."""
        return self.append_many([AuditRecord(kind, subject, payload, actor)])[0]

    def append_many(self, records: Iterable[AuditRecord], *, conn: Connection | None = None) -> list[AuditEntry]:
        """Append ``records`` in order, in one transaction: all of them are committed or none.

        Everything is checked before anything is written, so a bad record raises
        :class:`AuditEntryError` and leaves the log unchanged. With ``conn`` the entries join the
        caller's transaction, so they commit (or roll back) with the changes they record.
        """
        prepared = [_prepare(record) for record in records]
        if not prepared:
            return []
        with self._writer_lock(), (nullcontext(conn) if conn is not None else self.store.transaction()) as conn:
            if conn.dialect.name == "postgresql":
                # Held until commit; keyed on the schema so isolated schemas do not wait on each other.
                conn.execute(select(func.pg_advisory_xact_lock(
                    func.hashtextextended(func.concat(func.current_schema(), "." + _LOG.name), 0))))
            head = _head(conn, self._known_head)
            recorded_at = datetime.now(UTC).replace(tzinfo=None)
            entries: list[AuditEntry] = []
            seq, prev_hash = head.seq, head.hash
            for kind, subject, actor, payload in prepared:
                seq += 1
                new_hash = entry_hash(seq, recorded_at, kind, subject, actor, payload, prev_hash)
                entries.append(AuditEntry(seq, recorded_at, kind, subject, actor, payload, prev_hash, new_hash))
                prev_hash = new_hash
            self._insert(conn, entries)
            marks = [{"seq": e.seq, "hash": e.hash} for e in entries if e.seq % self.checkpoint_every == 0]
            if marks:
                conn.execute(insert(schema.audit_checkpoints), marks)
        # Only a hint for the next append (see _head); set after the commit, so a rollback leaves it behind.
        self._known_head = Checkpoint(entries[-1].seq, entries[-1].hash)
        return entries

    def head(self) -> Checkpoint:
        """The last committed entry's sequence number and hash (``GENESIS`` when the log is empty)."""
        with self.store.transaction() as conn:
            return _head(conn)

    def checkpoints(self) -> dict[int, str]:
        """Recorded checkpoints, ``seq -> hash``."""
        cp = schema.audit_checkpoints
        with self.store.transaction() as conn:
            return dict(conn.execute(select(cp.c.seq, cp.c.hash).order_by(cp.c.seq)).all())

    def entries(self, after: int = 0) -> Iterator[AuditEntry]:
        """Committed entries with ``seq > after`` in order, read page by page (bounded memory)."""
        while True:
            with self.store.transaction() as conn:
                rows = conn.execute(select(*_COLUMNS).where(_LOG.c.seq > after)
                                    .order_by(_LOG.c.seq).limit(_PAGE)).all()
            yield from (AuditEntry(*row) for row in rows)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def verify(self, trusted: Checkpoint | None = None) -> VerifyReport:
        """Verify the chain from ``trusted`` (default: the very first entry) to the head, in the database.

        A trusted checkpoint (a head recorded elsewhere) must itself still be in the log unchanged,
        so rewriting everything up to it is detected too.
        """
        start = trusted or GENESIS
        with self.store.transaction() as conn:
            if start.seq > 0:
                stored = conn.execute(select(_LOG.c.hash).where(_LOG.c.seq == start.seq)).scalar_one_or_none()
                if stored != start.hash:
                    found = "is missing" if stored is None else "has a different hash"
                    return broken(start, start, start.seq, f"the trusted entry {start.seq} {found}")
            return verify_in_database(conn, start)

    def export_jsonl(self, path: Path) -> int:
        """Write every entry to ``path`` as JSON lines, atomically (readers never see half a file)."""
        return _write_atomically(path, (entry.to_json_line() for entry in self.entries()))

    def _writer_lock(self) -> AbstractContextManager[object]:
        if self.store.backend.name == "postgresql":
            return nullcontext()
        with _DUCKDB_LOCKS_GUARD:
            return _DUCKDB_LOCKS.setdefault(self.store.display_url, threading.Lock())

    def _insert(self, conn: Connection, entries: list[AuditEntry]) -> None:
        if len(entries) < _BULK_THRESHOLD:
            conn.execute(insert(_LOG), [_row(e) for e in entries])
            return
        # Row-by-row inserts through SQLAlchemy run at ~12k rows/s on DuckDB (DEPENDENCIES.md);
        # the backend's bulk path (Arrow scan / COPY straight into the table) is far faster.
        columns = list(zip(*((e.seq, e.recorded_at, e.kind, e.subject, e.actor, e.payload, e.prev_hash, e.hash)
                             for e in entries), strict=True))
        data = pa.Table.from_arrays([pa.array(values, type=_ARROW.field(c.name).type)
                                     for c, values in zip(_COLUMNS, columns, strict=True)],
                                    names=[c.name for c in _COLUMNS])
        self.store.append(conn, _LOG, data)


# -- helpers ------------------------------------------------------------------------------------

_DUCKDB_LOCKS: dict[str, threading.Lock] = {}
_DUCKDB_LOCKS_GUARD = threading.Lock()
_LIMITS = {"subject": _LOG.c.subject.type.length, "actor": _LOG.c.actor.type.length}
#: Control characters are refused: the hash joins fields with U+001F (see kpigov.lineage.chain).
_CONTROL_CHAR = re.compile(r"[\x00-\x1f]")
#: Kind names and members to their value: a dict lookup, not an enum construction, per entry.
_KINDS: dict[object, str] = {**{k.value: k.value for k in AuditKind}, **{k: k.value for k in AuditKind}}


def _prepare(record: AuditRecord) -> tuple[str, str, str, str]:
    kind = _KINDS.get(record.kind) if isinstance(record.kind, str) else None
    if kind is None:
        raise AuditEntryError(f"unknown audit kind {record.kind!r}; use one of: {', '.join(AuditKind)}")
    _check_text("subject", record.subject)
    _check_text("actor", record.actor)
    if not isinstance(record.payload, Mapping):
        raise AuditEntryError(f"audit payload must be a mapping, got {type(record.payload).__name__}")
    return kind, record.subject, record.actor, canonical_json(record.payload)


def _check_text(name: str, value: object) -> None:
    limit = _LIMITS[name]
    if not isinstance(value, str) or not value or len(value) > limit or _CONTROL_CHAR.search(value):
        raise AuditEntryError(f"audit {name} must be a non-empty string of at most {limit} characters "
                              f"without control characters, got {value!r:.80}")


def _head(conn: Connection, known: Checkpoint = GENESIS) -> Checkpoint:
    """The last entry. ``known`` (a head seen earlier) only narrows the search, never the answer:
    the last entry at or after it is the last entry, and when none is left the whole log is read."""
    latest = select(_LOG.c.seq, _LOG.c.hash).order_by(_LOG.c.seq.desc()).limit(1)
    # ``.all()``, not ``.first()``: DuckDB refuses further work on a connection with an unfetched result.
    rows = conn.execute(latest.where(_LOG.c.seq >= known.seq)).all() if known.seq else []
    if not rows:
        rows = conn.execute(latest).all()
    return Checkpoint(rows[0][0], rows[0][1]) if rows else GENESIS


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {c.name: getattr(entry, c.name) for c in _COLUMNS}


def _write_atomically(path: Path, lines: Iterable[str]) -> int:
    """Write ``lines`` to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line + "\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


__all__ = ["AuditLog", "AuditRecord"]
