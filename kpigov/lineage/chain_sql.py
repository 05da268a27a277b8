"""The chain's hash definition in SQL, so a store is verified where it lives, without moving rows.

Verifying in Python runs at ~150k entries/s here (reading rows and hashing them one by one);
the database computes the same SHA-256 over the same serialisation (:mod:`kpigov.lineage.chain`)
in bulk and returns only the first entry that fails. Two constructs differ per dialect and are
compiled with SQLAlchemy's ``@compiles``: the hex SHA-256 of a text and a timestamp's epoch µs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, String, and_, cast, func, literal, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from kpigov.lineage.chain import (
    CHAIN_FORMAT,
    CHECKPOINT_MISMATCH,
    HASH_MISMATCH,
    MISSING,
    PREV_HASH_MISMATCH,
    SEPARATOR,
    TRUNCATED,
    Checkpoint,
    VerifyReport,
    broken,
)
from kpigov.store import schema

_LOG = schema.audit_log
_CHECKPOINTS = schema.audit_checkpoints


class Sha256Hex(FunctionElement[str]):
    """Lower-case hex SHA-256 of the UTF-8 bytes of a text."""

    type = String()
    inherit_cache = True


@compiles(Sha256Hex)
def _sha256_duckdb(element: Sha256Hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sha256({compiler.process(element.clauses, **kw)})"


@compiles(Sha256Hex, "postgresql")
def _sha256_postgresql(element: Sha256Hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"encode(sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')), 'hex')"


class EpochMicros(FunctionElement[int]):
    """Microseconds since the Unix epoch of a naive UTC timestamp."""

    type = BigInteger()
    inherit_cache = True


@compiles(EpochMicros)
def _epoch_duckdb(element: EpochMicros, compiler: SQLCompiler, **kw: Any) -> str:
    return f"epoch_us({compiler.process(element.clauses, **kw)})"


@compiles(EpochMicros, "postgresql")
def _epoch_postgresql(element: EpochMicros, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT returns an exact numeric since PostgreSQL 14: no float rounding of the microseconds.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


def entry_hash_sql() -> Sha256Hex:
    """``audit_log``'s hash recomputed from its columns, as :func:`kpigov.lineage.chain.entry_hash` does."""
    fields = (literal(CHAIN_FORMAT), cast(_LOG.c.seq, String), cast(EpochMicros(_LOG.c.recorded_at), String),
              _LOG.c.kind, _LOG.c.subject, _LOG.c.actor, _LOG.c.payload, _LOG.c.prev_hash)
    return Sha256Hex(func.concat_ws(literal(SEPARATOR), *fields))


def verify_in_database(conn: Connection, start: Checkpoint) -> VerifyReport:
    """Verify the stored chain after ``start``; the same verdicts as ``verify_chain`` over the rows.

    Three set-based checks, each returning at most one row: hashes that do not match their entry
    (a parallel scan), links that do not follow their predecessor (a window over seq and hash only,
    so the wide columns are never sorted), checkpoints that do not match. The earliest one wins.
    """
    # From the genesis every entry is "after": no predicate, so PostgreSQL plans a plain (parallel)
    # scan instead of a bitmap scan over an index range it cannot estimate on a fresh table.
    after = _LOG.c.seq > start.seq if start.seq > 0 else true()
    if conn.dialect.name == "postgresql":
        # Hashing is CPU-bound, but PostgreSQL costs sha256() like any function and keeps the scan
        # serial; for this transaction only, parallel workers are free (100k entries: 336 -> 206 ms).
        conn.exec_driver_sql("SET LOCAL parallel_setup_cost = 0")
        conn.exec_driver_sql("SET LOCAL parallel_tuple_cost = 0")
    candidates: list[tuple[int, int, str]] = []  # (first bad seq, rank at equal seq, reason)

    # min(seq + 0), not min(seq): PostgreSQL turns min of an indexed column into a walk of the index
    # row by row; over an expression it scans in bulk, in parallel.
    edited = conn.execute(select(func.min(_LOG.c.seq + 0)).where(after, _LOG.c.hash != entry_hash_sql())).scalar_one()
    if edited is not None:
        candidates.append((edited, 2, HASH_MISMATCH))

    links = select(_LOG.c.seq, _LOG.c.prev_hash,
                   func.lag(_LOG.c.seq).over(order_by=_LOG.c.seq).label("prior_seq"),
                   func.lag(_LOG.c.hash).over(order_by=_LOG.c.seq).label("prior_hash")).where(after).subquery("links")
    expected_seq = func.coalesce(links.c.prior_seq, start.seq) + 1
    expected_prev = func.coalesce(links.c.prior_hash, start.hash)
    unlinked = conn.execute(select(links.c.seq, expected_seq)
                            .where(or_(links.c.seq != expected_seq, links.c.prev_hash != expected_prev))
                            .order_by(links.c.seq).limit(1)).all()
    if unlinked:
        seq, expected = unlinked[0]
        candidates.append((expected, 0, MISSING.format(seq=expected, found=seq)) if seq != expected
                          else (seq, 1, PREV_HASH_MISMATCH.format(prior=seq - 1)))

    last_seq = conn.execute(select(func.max(_LOG.c.seq)).where(after)).scalar_one() or start.seq
    mismatch = conn.execute(
        select(_CHECKPOINTS.c.seq, _LOG.c.seq.is_(None))
        .select_from(_CHECKPOINTS.outerjoin(_LOG, _LOG.c.seq == _CHECKPOINTS.c.seq))
        .where(and_(_CHECKPOINTS.c.seq > start.seq, or_(_LOG.c.seq.is_(None), _LOG.c.hash != _CHECKPOINTS.c.hash)))
        .order_by(_CHECKPOINTS.c.seq).limit(1)).all()
    if mismatch:
        mark, missing = mismatch[0]
        candidates.append((last_seq + 1, 3, TRUNCATED.format(first=last_seq + 1, checkpoint=mark)) if missing
                          else (mark, 3, CHECKPOINT_MISMATCH))

    if not candidates:
        return VerifyReport(ok=True, entries=last_seq - start.seq, head=_at(conn, last_seq, start))
    first_bad, _, reason = min(candidates)
    return broken(start, _at(conn, first_bad - 1, start), first_bad, reason)


def _at(conn: Connection, seq: int, start: Checkpoint) -> Checkpoint:
    if seq <= start.seq:
        return start
    return Checkpoint(seq, conn.execute(select(_LOG.c.hash).where(_LOG.c.seq == seq)).scalar_one())
