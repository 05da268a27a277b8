"""Audit trail throughput: append 100,000 entries, then verify the chain (DuckDB; PostgreSQL with --pg).

Prints entries/s and ratios against baselines measured in the same run: appending is compared
with a bulk insert of the same rows without chaining, verifying with merely reading the rows back
through SQLAlchemy (what any Python-side verifier must at least do). Numbers only, no pass/fail.
Targets: append ≥ 20,000 entries/s (batched), verify ≥ 200,000 entries/s.

    python bench/bench_audit.py [--entries 100000] [--batch 1000] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
from sqlalchemy import MetaData

from kpigov.lineage import AuditLog, AuditRecord, verify_chain
from kpigov.store import open_store, schema
from kpigov.store.testing import isolated_pg_schema


def records(n: int) -> list[AuditRecord]:
    return [AuditRecord("kpi_withheld" if i % 3 else "access_decision", f"brand.customer.kpi_{i % 50}",
                        {"run": f"run-{i // 50}", "reason": "quality gate mentions-core failed", "share": 0.31,
                         "rows": i}, "kpigov evaluate") for i in range(n)]


def bench(url: str, entries: int, batch: int) -> None:
    rows = records(entries)
    with open_store(url, create=True) as store:
        audit = AuditLog(store)
        started = time.perf_counter()
        for i in range(0, entries, batch):
            audit.append_many(rows[i:i + batch])
        append = time.perf_counter() - started

        singles = 500
        started = time.perf_counter()
        for record in rows[:singles]:
            audit.append(record.kind, record.subject, record.payload, record.actor)
        single = time.perf_counter() - started

        started = time.perf_counter()
        report = audit.verify()
        verify = time.perf_counter() - started
        assert report.ok, str(report)

        started = time.perf_counter()
        python_report = verify_chain(audit.entries(), checkpoints=audit.checkpoints())
        python_verify = time.perf_counter() - started
        assert python_report.head == report.head

        baseline_append = _bulk_insert_baseline(store, audit, entries)
        started = time.perf_counter()
        read = sum(1 for _ in audit.entries())
        read_time = time.perf_counter() - started

    total = entries + singles
    print(f"  append (batches of {batch}): {entries / append:>10,.0f} entries/s "
          f"({append / baseline_append:.1f}x an unchained bulk insert of the same rows)")
    print(f"  append (one per transaction): {singles / single:>8,.0f} entries/s")
    print(f"  verify in the database:      {total / verify:>10,.0f} entries/s "
          f"({read_time / verify:.1f}x faster than reading the rows into Python)")
    print(f"  verify in Python (exports):  {total / python_verify:>10,.0f} entries/s (reading alone: {read / read_time:,.0f}/s)")


def _bulk_insert_baseline(store, audit: AuditLog, entries: int) -> float:  # type: ignore[no-untyped-def]
    """The same rows, already hashed, inserted through the same bulk path (``Store.append``) into a copy of the table."""
    copy = schema.audit_log.to_metadata(MetaData(), name="bench_audit_copy")
    sample = list(audit.entries())[:entries]
    columns = [c.name for c in schema.audit_log.columns]
    data = pa.table({c: [getattr(e, c) for e in sample] for c in columns})
    with store.transaction() as conn:
        copy.create(conn)
    started = time.perf_counter()
    with store.transaction() as conn:
        store.append(conn, copy, data)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--pg", help="also run on this PostgreSQL (in a throw-away schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        targets = [("duckdb", f"duckdb:///{Path(tmp) / 'bench.duckdb'}")]
        if args.pg:
            targets.append(("postgresql", stack.enter_context(isolated_pg_schema(args.pg))))
        for name, url in targets:
            print(f"{name}: {args.entries:,} entries")
            bench(url, args.entries, args.batch)


if __name__ == "__main__":
    main()
