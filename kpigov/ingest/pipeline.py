"""``ingest_file``: one file, one transaction, one ``ingest_batches`` row.

Order inside the transaction: adapter batches → row flags → insert of the ids not yet stored
(native bulk path) → quarantine rows → dedup over the batch and what it touches → the link ratio of
the accounts the batch touched (kpigov.ingest.accounts) → CIB → sentiment
→ the batch record. Any exception rolls all of it back, so the store is exactly as before.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from sqlalchemy import BigInteger, Column, Connection, Text, func, insert, select

from kpigov.ingest.accounts import judge_link_ratio
from kpigov.ingest.adapters import Adapter, get_adapter
from kpigov.ingest.cib import flag_coordination
from kpigov.ingest.dedup import deduplicate
from kpigov.ingest.entities import EntityResolver
from kpigov.ingest.errors import IngestError
from kpigov.ingest.flags import apply_row_flags
from kpigov.ingest.rows import Quarantined
from kpigov.ingest.rules import IngestRules
from kpigov.ingest.scoring import SentimentScorer, score_unscored
from kpigov.ingest.text import normalised_texts
from kpigov.store import schema
from kpigov.store.functions import sha256_hex
from kpigov.store.store import Store

m = schema.mentions
_INCOMING = "kpigov_incoming"
_HASHED = frozenset({"mention_id", "content_hash"})
_NORMALISED = Column("normalised_text", Text)
_ROW = Column("kpigov_row", BigInteger)


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
    with store.transaction() as conn:
        for chunk in adapter.read(path, encoding=encoding, batch_size=batch_size, resolver=entity_resolver):
            mentions, fired = apply_row_flags(chunk.mentions, rules.bots, rules.employees)
            loaded = _insert_new(store, conn, _stamp(mentions, adapter.name, batch_id))
            flags.update(fired)
            _quarantine(conn, chunk.quarantined, adapter.name, batch_id)
            reasons.update(q.reason for q in chunk.quarantined)
            counts["read"] += chunk.rows_read
            counts["loaded"] += loaded
            counts["present"] += mentions.num_rows - loaded
            if progress is not None:
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


def _stamp(mentions: pa.Table, source: str, batch_id: str) -> pa.Table:
    for name, value in (("source", source), ("ingest_batch", batch_id)):
        column = pa.array([value] * mentions.num_rows, pa.string())
        mentions = mentions.set_column(mentions.schema.get_field_index(name), name, column)
    return mentions


def _insert_new(store: Store, conn: Connection, mentions: pa.Table) -> int:
    """Insert rows whose id is not stored yet (first occurrence within the batch); returns how many.

    Both hashes are computed by the database over the staged batch (vectorised, no per-row
    Python): ``mention_id`` from platform and native id, ``content_hash`` from the text Arrow
    normalised. An id already stored is left alone: this anti-join is what keeps re-ingesting
    idempotent (DuckDB stores have no primary key to refuse it).

    Shaped for a table that grows to millions of rows (``bench/bench_ingest.py``): the batch's first
    occurrences come from a narrow ``min(row) GROUP BY platform, native_id`` (a window over the
    wide rows cost half the statement), and the stored ids are found by probing ``mentions`` with
    the batch's ids (a hash of the batch, a scan of one column), not by hashing every stored id
    for each batch, which grew with the table.
    """
    if not mentions.num_rows:
        return 0
    staged = (mentions.append_column(_NORMALISED.name, normalised_texts(mentions.column("text")))
              .append_column(_ROW.name, pa.array(range(mentions.num_rows), pa.int64())))
    columns = [c for c in m.columns if c.name not in _HASHED]
    with store.stage(conn, _INCOMING, [*columns, _NORMALISED, _ROW], staged) as incoming:
        first = select(func.min(incoming.c[_ROW.name])).group_by(incoming.c.platform, incoming.c.native_id)
        identified = select(
            *(incoming.c[c.name] for c in columns),
            func.substr(sha256_hex(func.concat(incoming.c.platform, ":", incoming.c.native_id)), 1, 32).label("mention_id"),
            sha256_hex(incoming.c[_NORMALISED.name]).label("content_hash"),
        ).where(incoming.c[_ROW.name].in_(first)).subquery("identified")
        stored = select(m.c.mention_id).where(m.c.mention_id.in_(select(identified.c.mention_id)))
        fresh = select(*(identified.c[c.name] for c in m.columns)).where(identified.c.mention_id.not_in(stored))
        statement = insert(m).from_select([c.name for c in m.columns], fresh)
        # SQLAlchemy only reports an INSERT … SELECT's rowcount when asked to keep it.
        return conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount


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
