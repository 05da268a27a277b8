"""``ingest_file``: one file, one transaction, one ``ingest_batches`` row.

Two threads share the work (``kpigov.ingest.prefetch``). A worker reads the adapter's batches and
prepares each one (row flags, source stamp, normalised text, ``mention_id`` and ``content_hash``,
first occurrence of each id in the batch: ``_prepared``) while the database inserts the previous
one. Then, in the file's transaction, in this order: insert of the ids not yet stored (native
bulk path) → quarantine rows → dedup over the batch and what it touches → the link ratio of the
accounts the batch touched (kpigov.ingest.accounts) → CIB → sentiment → the batch record. Any
exception, in either thread, rolls all of it back, so the store is exactly as before.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Select, func, insert, select
from sqlalchemy.sql.expression import TableClause

from kpigov.ingest.accounts import judge_link_ratio
from kpigov.ingest.adapters import Adapter, get_adapter
from kpigov.ingest.cib import flag_coordination
from kpigov.ingest.dedup import deduplicate
from kpigov.ingest.entities import EntityResolver
from kpigov.ingest.errors import IngestError
from kpigov.ingest.flags import apply_row_flags
from kpigov.ingest.prefetch import prefetched
from kpigov.ingest.rows import AdapterChunk, Quarantined
from kpigov.ingest.rules import IngestRules
from kpigov.ingest.scoring import SentimentScorer, score_unscored
from kpigov.ingest.text import IdentityHasher, normalised_texts
from kpigov.store import schema
from kpigov.store.store import Store

m = schema.mentions
_INCOMING = "kpigov_incoming"
#: What ingests and rejudgements serialize on (``Store.serialize``).
JUDGING = "judging mentions"


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did. ``rows_read = rows_loaded + rows_quarantined + rows_already_present``."""

    ingest_batch: str
    source: str
    path: Path
    file_sha256: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_already_present: int  # stored before, or repeated earlier in this same file
    rows_collapsed: int  # loaded rows that are duplicates of another row (duplicate_of set)
    quarantine_reasons: Mapping[str, int] = field(default_factory=dict)
    flags: Mapping[str, int] = field(default_factory=dict)  # rule name -> valid rows of the file it fired on
    cib_clusters: int = 0
    rows_scored: int = 0
    seconds: float = 0.0


def ingest_file(
    store: Store,
    path: str | Path,
    source: str | Adapter,
    *,
    rules: IngestRules,
    batch_size: int = 100_000,
    entity_resolver: EntityResolver | None = None,
    encoding: str | None = None,
    scorer: SentimentScorer | None = None,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[Connection, IngestReport], None] | None = None,
) -> IngestReport:
    """Load ``path`` through the adapter ``source`` (a registered name or an adapter instance).

    ``encoding`` overrides the adapter's declared one. ``entity_resolver`` names the entity of
    rows that do not carry one (None: such rows are quarantined). ``scorer`` fills sentiment of
    canonical unscored rows (None: left null). ``progress`` gets the running count of rows read.
    ``before_commit`` runs inside the file's transaction once the report is known (the audit entry
    is written there, so a file is never committed without it); what it raises rolls the file back.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    path = Path(path)
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    adapter = get_adapter(source) if isinstance(source, str) else source
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    batch_id = uuid.uuid4().hex
    counts = Counter[str]()
    reasons = Counter[str]()
    flags = Counter[str]()
    chunks = adapter.read(path, encoding=encoding, batch_size=batch_size, resolver=entity_resolver)
    with store.transaction() as conn, prefetched(_prepared(chunks, rules, adapter.name, batch_id)) as batches:
        # Ingests take turns on a shared warehouse: each judges (dedups, flags) against the rows the
        # others committed, never beside rows it cannot see yet (kpigov.store.backends).
        store.serialize(conn, JUDGING)
        for batch in batches:  # the next batch is read and prepared while this one is inserted
            loaded = _insert_new(store, conn, batch.rows)
            flags.update(batch.fired)
            _quarantine(conn, batch.quarantined, adapter.name, batch_id)
            reasons.update(q.reason for q in batch.quarantined)
            counts["read"] += batch.rows_read
            counts["loaded"] += loaded
            counts["present"] += batch.valid - loaded
            if progress is not None and batch.rows_read:  # a first batch's earlier slices read nothing new
                progress(counts["read"])
        deduplicate(conn, rules.dedup, batch_id)
        flags.update(judge_link_ratio(conn, rules.bots, batch_id))
        clusters = flag_coordination(store, conn, rules.cib, batch_id) if rules.cib else 0
        scored = score_unscored(store, conn, scorer, batch_size) if scorer else 0
        collapsed = conn.execute(
            select(func.count()).where(m.c.ingest_batch == batch_id, m.c.duplicate_of.is_not(None))
        ).scalar_one()
        report = IngestReport(
            ingest_batch=batch_id,
            source=adapter.name,
            path=path,
            file_sha256=_sha256(path),
            rows_read=counts["read"],
            rows_loaded=counts["loaded"],
            rows_quarantined=sum(reasons.values()),
            rows_already_present=counts["present"],
            rows_collapsed=collapsed,
            quarantine_reasons=dict(reasons),
            flags=dict(flags),
            cib_clusters=clusters,
            rows_scored=scored,
            seconds=time.perf_counter() - started,
        )
        _record_batch(conn, report, started_at)
        if before_commit is not None:
            before_commit(conn, report)
    return report


@dataclass(frozen=True)
class _Prepared:
    """One adapter batch made ready for the insert, in the prefetch thread: flagged, stamped,
    identified (``mention_id``, ``content_hash``), and cut to each id's first occurrence."""

    rows: pa.Table  # the full mentions schema
    valid: int  # the batch's valid rows, before repeats of an id within the batch were dropped
    fired: Counter[str]
    quarantined: tuple[Quarantined, ...]
    rows_read: int


def _prepared(chunks: Iterator[AdapterChunk], rules: IngestRules, source: str, batch_id: str) -> Iterator[_Prepared]:
    try:
        with IdentityHasher() as hasher:
            for chunk in _slow_start(chunks):
                prepared = _prepare(hasher, chunk, rules, source, batch_id)
                del chunk  # while this generator waits for the consumer, it holds the prepared batch only
                yield prepared
    finally:  # the adapter's file is closed here, in the thread reading it, when the ingest stops early
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _prepare(hasher: IdentityHasher, chunk: AdapterChunk, rules: IngestRules, source: str, batch_id: str) -> _Prepared:
    mentions, fired = apply_row_flags(chunk.mentions, rules.bots, rules.employees)
    mentions = _identified(hasher, _stamp(mentions, source, batch_id))
    # One chunk per column, made here rather than by the database's thread (see kpigov.store.backends).
    rows = _first_occurrences(mentions).combine_chunks()
    return _Prepared(rows, mentions.num_rows, fired, chunk.quarantined, chunk.rows_read)


def _slow_start(chunks: Iterator[AdapterChunk], pieces: int = 4, min_rows: int = 10_000) -> Iterator[AdapterChunk]:
    """The first chunk in ``pieces`` slices, the others as they come.

    The database waits for the first batch to be prepared, the one stretch of an ingest where the
    prefetch cannot overlap anything: smaller first pieces shorten that wait. A file's row order
    is kept, so first occurrences stay first; the quarantined rows and the count of rows read go
    with the last slice (progress never runs ahead of what is inserted).
    """
    for index, chunk in enumerate(chunks):
        size = -(-chunk.mentions.num_rows // pieces)
        if index or size < min_rows:
            yield chunk
            continue
        for start in range(0, chunk.mentions.num_rows, size):
            last = start + size >= chunk.mentions.num_rows
            yield AdapterChunk(chunk.mentions.slice(start, size), chunk.quarantined if last else (),
                               chunk.rows_read if last else 0)


def _stamp(mentions: pa.Table, source: str, batch_id: str) -> pa.Table:
    for name, value in (("source", source), ("ingest_batch", batch_id)):
        column = pa.array([value] * mentions.num_rows, pa.string())
        mentions = mentions.set_column(mentions.schema.get_field_index(name), name, column)
    return mentions


def _identified(hasher: IdentityHasher, mentions: pa.Table) -> pa.Table:
    """Both identities, vectorised: ``mention_id`` from platform and native id, ``content_hash`` from
    the text Arrow normalised (see ``kpigov.ingest.text``)."""
    if not mentions.num_rows:
        return mentions
    normalised = normalised_texts(mentions.column("text"))
    ids, hashes = hasher.identities(mentions.column("platform"), mentions.column("native_id"), normalised)
    for name, values in (("mention_id", ids), ("content_hash", hashes)):
        mentions = mentions.set_column(mentions.schema.get_field_index(name), name, values)
    return mentions


def _first_occurrences(mentions: pa.Table) -> pa.Table:
    """The rows whose ``mention_id`` has not occurred earlier in the batch (a file that repeats a post
    loads its first copy; the others count as already present)."""
    ids = mentions.column("mention_id")
    if pc.count_distinct(ids).as_py() == mentions.num_rows:
        return mentions  # the common case: no repeats, nothing to look up
    rows = pa.array(range(mentions.num_rows), pa.int64())
    first = pa.table({"id": ids, "row": rows}).group_by("id", use_threads=False).aggregate([("row", "min")])
    return mentions.filter(pc.is_in(rows, value_set=first.column("row_min")))


def _insert_new(store: Store, conn: Connection, rows: pa.Table) -> int:
    """Insert the rows whose ``mention_id`` is not stored yet; returns how many.

    An id already stored is left alone: this anti-join is what keeps re-ingesting idempotent
    (DuckDB stores have no primary key to refuse it). Shaped for a table that grows to millions of
    rows (``bench/bench_ingest.py``): one statement reads the batch where the backend has it
    (DuckDB: the Arrow table in place, no staging copy), and the stored ids are found by probing
    ``mentions`` with the batch's ids (a hash of the batch, a scan of one column), not by hashing
    every stored id for each batch, which grew with the table.
    """
    if not rows.num_rows:
        return 0

    def fresh(incoming: TableClause) -> Select[Any]:
        stored = select(m.c.mention_id).where(m.c.mention_id.in_(select(incoming.c.mention_id)))
        return select(*(incoming.c[c.name] for c in m.columns)).where(incoming.c.mention_id.not_in(stored))

    return store.insert_select(conn, _INCOMING, list(m.columns), rows, m, fresh)


def _quarantine(conn: Connection, rows: tuple[Quarantined, ...], source: str, batch_id: str) -> None:
    if rows:
        conn.execute(
            insert(schema.quarantine),
            [
                {"ingest_batch": batch_id, "source": source, "row_number": q.row_number, "reason": q.reason, "raw": q.raw}
                for q in rows
            ],
        )


def _record_batch(conn: Connection, report: IngestReport, started_at: datetime) -> None:
    conn.execute(
        insert(schema.ingest_batches).values(
            ingest_batch=report.ingest_batch,
            source=report.source,
            file_sha256=report.file_sha256,
            file_name=str(report.path),
            started_at=started_at,
            rows_read=report.rows_read,
            rows_loaded=report.rows_loaded,
            rows_quarantined=report.rows_quarantined,
            rows_already_present=report.rows_already_present,
        )
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
