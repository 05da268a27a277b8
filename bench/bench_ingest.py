"""Ingest throughput: synthetic canonical mentions → ingest + dedup + flags into a fresh DuckDB file.

Prints mentions/s, the ratio against a bare native DuckDB insert of the same Arrow rows measured
in the same run, the seconds spent in CIB detection (``--cib``), and peak RSS (``VmHWM`` of this
process, of the ingest alone and of the whole run). Numbers only, no pass/fail. Targets: ≥ 200k mentions/s; RSS ≤ 1 GiB
at ``--rows 10000000`` (rows are generated and ingested in streamed batches, never all at once).

    python bench/bench_ingest.py [--rows 1000000] [--batch-size 200000] [--memory-limit 384MB] [--cib]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

# What the `kpigov` command does before anything imports pyarrow (kpigov/cli/main.py): the C
# library's allocator, which gives back the pages of batches freed in another thread.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import kpigov.ingest.pipeline  # noqa: E402
from kpigov.ingest import BotRules, CIBRules, DedupRules, EmployeeRules, IngestRules, content_hash, ingest_file, mention_id  # noqa: E402
from kpigov.store import open_store, schema  # noqa: E402
from kpigov.store.arrow import arrow_schema  # noqa: E402
from rss import peak_rss_mib, reset_peak_rss  # noqa: E402  (bench/rss.py, beside this script)

PLATFORMS = np.array(["x", "reddit", "youtube", "weibo", "vk"])
WORDS = np.array([f"w{i}" for i in range(5_000)])
START = datetime(2024, 1, 1)


def synthetic_batches(rows: int, batch_size: int, seed: int = 7) -> Iterator[pa.Table]:
    """Mentions with ~10 % reposts of earlier posts and ~2 % cross-posted texts, streamed."""
    rng = np.random.default_rng(seed)
    for start in range(0, rows, batch_size):
        n = min(batch_size, rows - start)
        ids = np.arange(start, start + n)
        platform = PLATFORMS[rng.integers(0, len(PLATFORMS), n)]
        words = WORDS[rng.zipf(1.3, (n, 12)) % len(WORDS)]
        text = np.array([" ".join(w) for w in words.tolist()], dtype=object)
        text = np.where(rng.random(n) < 0.5, "acme " + text, "globex " + text)
        repost = np.where((rng.random(n) < 0.1) & (ids > 0), (ids * 0.9).astype(np.int64).astype(str), None)
        cross = rng.random(n) < 0.02
        text[cross] = "the same acme announcement everywhere number " + (ids[cross] // 5).astype(str)
        native = ids.astype(str)
        table = pa.table({
            "platform": platform,
            "native_id": native,
            "entity": np.where(np.char.startswith(text.astype(str), "globex"), "globex", "acme"),
            "author_id": (rng.integers(0, 200_000, n)).astype(str),
            "author_handle": np.char.add("user", rng.integers(0, 200_000, n).astype(str)),
            "author_followers": rng.integers(0, 50_000, n),
            "author_posts": rng.integers(1, 200_000, n),
            "created_at": pa.array([START + timedelta(seconds=int(s)) for s in (ids * 3 + rng.integers(0, 60, n))], pa.timestamp("us")),
            "language": np.full(n, "en"),
            "text": text,
            "likes": rng.integers(0, 1_000, n),
            "shares": rng.integers(0, 100, n),
            "comments": rng.integers(0, 100, n),
            "repost_of": pa.array(repost, pa.string()),
        })
        yield table


def write_parquet(path: Path, rows: int, batch_size: int) -> None:
    writer = None
    for table in synthetic_batches(rows, batch_size):
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def bare_native_insert(url: str, path: Path, batch_size: int) -> float:
    """Same rows, only what an insert needs (ids, hashes, defaults), straight into DuckDB."""
    target = arrow_schema(schema.mentions)
    batches = []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        table = pa.Table.from_batches([batch])
        n = table.num_rows
        columns = {}
        for field in target:
            if field.name in table.column_names:
                columns[field.name] = table.column(field.name).cast(field.type)
            else:
                columns[field.name] = pa.nulls(n, field.type)
        batches.append(pa.table(columns, schema=target))
    # Ids and hashes are computed outside the timing: the bare insert measures the database only.
    for i, table in enumerate(batches):
        p, nid, text = (table.column(c).to_pylist() for c in ("platform", "native_id", "text"))
        table = table.set_column(table.schema.get_field_index("mention_id"), "mention_id", pa.array([mention_id(a, b) for a, b in zip(p, nid)]))
        table = table.set_column(table.schema.get_field_index("content_hash"), "content_hash", pa.array([content_hash(t) for t in text]))
        for name, value in (("source", "bench"), ("ingest_batch", "bare"), ("is_bot", False), ("is_spam", False), ("is_employee", False)):
            table = table.set_column(table.schema.get_field_index(name), name, pa.array([value] * table.num_rows))
        batches[i] = table
    with open_store(url, create=True) as store:
        started = time.perf_counter()
        with store.transaction() as conn:
            for table in batches:  # the native path straight into the table (DuckDB's Arrow scan), no staging
                store.append(conn, schema.mentions, table)
    return time.perf_counter() - started  # committed and closed, as the ingest is measured


class CIBTimer:
    """Wraps the ingest's ``flag_coordination`` to add up the seconds it takes."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.wrapped = kpigov.ingest.pipeline.flag_coordination

    def __call__(self, *args: object) -> int:
        started = time.perf_counter()
        try:
            return self.wrapped(*args)
        finally:
            self.seconds += time.perf_counter() - started


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=200_000)
    parser.add_argument("--memory-limit", default="384MB", help="DuckDB memory_limit (keeps RSS bounded; kpigov's default)")
    parser.add_argument("--cib", action="store_true", help="also run CIB detection (set-based SQL in a scratch DuckDB)")
    parser.add_argument("--skip-bare", action="store_true", help="skip the bare insert (it holds all rows in memory)")
    args = parser.parse_args(argv)
    rules = IngestRules(
        DedupRules(collapse_reposts=True, quotes_count_as_mentions=False, cross_platform_window=timedelta(hours=6),
                   min_text_length_for_text_dedup=20),
        bots=BotRules(max_followers=5, min_posts=2, max_posts=150_000, handle_patterns=(r"\d{6,}$",), max_link_ratio=0.5),
        employees=EmployeeRules(handles=frozenset({"user1", "user2"}), handle_patterns=(r"^acme_",)),
        cib=CIBRules(min_accounts=3, window=timedelta(minutes=30), min_similarity=0.9) if args.cib else None,
    )
    with tempfile.TemporaryDirectory(prefix="kpigov-bench-") as tmp:
        folder = Path(tmp)
        source = folder / "mentions.parquet"
        started = time.perf_counter()
        # In a child process: what generating rows leaves in this process's allocator would count in
        # the ingest's peak RSS, which is meant to be what `kpigov ingest` itself holds.
        generator = multiprocessing.get_context("spawn").Process(target=write_parquet, args=(source, args.rows, args.batch_size))
        generator.start()
        generator.join()
        if generator.exitcode:
            raise SystemExit(f"generating the rows failed (exit code {generator.exitcode})")
        print(f"generated {args.rows:,} canonical mentions in {time.perf_counter() - started:.1f} s "
              f"({source.stat().st_size / 2**20:.0f} MiB Parquet)")
        url = f"duckdb:///{folder / 'kpigov.duckdb'}?memory_limit={args.memory_limit}"
        reset = reset_peak_rss()
        cib = kpigov.ingest.pipeline.flag_coordination = CIBTimer()
        try:
            with open_store(url, create=True) as store:
                started = time.perf_counter()
                report = ingest_file(store, source, "canonical", rules=rules, batch_size=args.batch_size)
                committed = time.perf_counter() - started
                with store.transaction() as conn:
                    collapsed = conn.execute(select(func.count()).where(schema.mentions.c.duplicate_of.is_not(None))).scalar_one()
            closed = time.perf_counter() - started - committed
        finally:
            kpigov.ingest.pipeline.flag_coordination = cib.wrapped
        ingest_peak = peak_rss_mib()
        # The rate counts what a user waits for: the ingest, its commit, and the checkpoint DuckDB
        # makes when the store is closed (the report's own seconds stop before the commit).
        total = committed + closed
        rate = report.rows_loaded / total
        print(f"ingest + dedup + flags: {report.rows_loaded:,} mentions in {total:.2f} s = {rate:,.0f} mentions/s "
              f"(in the transaction {report.seconds:.2f} s, commit {committed - report.seconds:.2f} s, close {closed:.2f} s; "
              f"{collapsed:,} collapsed, flags {dict(report.flags)}, {report.cib_clusters} CIB clusters)")
        if args.cib:
            print(f"CIB detection: {cib.seconds:.2f} s = {cib.seconds / total:.0%} of the ingest; "
                  f"the ingest without it: {total - cib.seconds:.2f} s")
        print(f"peak RSS of the ingest: {ingest_peak:,.0f} MiB" if reset else
              "peak RSS of the ingest: not measurable (/proc/self/clear_refs not writable)")
        if not args.skip_bare:
            bare = bare_native_insert(f"duckdb:///{folder / 'bare.duckdb'}?memory_limit={args.memory_limit}", source, args.batch_size)
            print(f"bare native DuckDB insert of the same rows: {bare:.2f} s = {args.rows / bare:,.0f} rows/s; "
                  f"ingest takes {total / bare:.1f}x the bare insert")
    print(f"peak RSS of the whole run (VmHWM): {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
