"""What lineage adds to a 50-KPI run: events built and emitted (file transport, live HTTP, dead HTTP).

The run is a stand-in measured in the same process: 50 aggregate queries (one per KPI, the shape of
a measure: filter + GROUP BY week over the mention table) on a DuckDB store of synthetic mentions.
Lineage per KPI: the run description, START and COMPLETE. Prints each variant's overhead as a share
of the run. Numbers only, no pass/fail. Target: lineage adds ≤ 5 % to a run.

Then the real evaluator (``kpigov.evaluate.evaluate``) on the example repository's 13 KPIs over a
synthetic store: a run without a trail, with the audit trail, and with file lineage + audit trail
(gates off, so the ratio is taken against the cheapest run; GX gates only shrink it).

    python bench/bench_lineage.py [--rows 500000] [--kpis 50] [--eval-rows 300000]
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import and_, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpigov.lineage import ColumnSource, KpiMetadata, LineageDataset, LineageEmitter, run_events  # noqa: E402
from kpigov.specs.config import LineageConfig  # noqa: E402
from kpigov.store import open_store, schema  # noqa: E402
from tests.lineage.test_emit import LineageBackend  # noqa: E402  (the same real HTTP endpoint the tests use)

M = schema.mentions


def load_mentions(store, rows: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    start = np.datetime64("2026-01-01T00:00:00")
    data = {c.name: pa.nulls(rows, pa.string()) for c in M.columns}
    data |= {
        "mention_id": pa.array(np.char.add("m", np.arange(rows).astype(str))),
        "platform": pa.array(rng.choice(["x", "reddit", "youtube", "weibo", "vk"], rows)),
        "native_id": pa.array(np.arange(rows).astype(str)),
        "entity": pa.array(rng.choice(["stridewell", "apexrun", "kinetiq", "volta"], rows)),
        "created_at": pa.array(start + rng.integers(0, 365 * 86400, rows).astype("timedelta64[s]")).cast(pa.timestamp("us")),
        "likes": pa.array(rng.integers(0, 500, rows)), "shares": pa.array(rng.integers(0, 50, rows)),
        "comments": pa.array(rng.integers(0, 50, rows)), "source": pa.array(np.full(rows, "bench")),
        "ingest_batch": pa.array(np.full(rows, "b1")), "content_hash": pa.array(np.full(rows, "h")),
        "sentiment_score": pa.array(rng.uniform(-1, 1, rows)),
        "sentiment_label": pa.array(rng.choice(["positive", "neutral", "negative"], rows)),
        "is_bot": pa.array(rng.random(rows) < 0.05), "is_spam": pa.array(rng.random(rows) < 0.02),
        "is_employee": pa.array(np.zeros(rows, bool)),
    }
    table = pa.table({c.name: data[c.name] for c in M.columns})
    with store.transaction() as conn, store.stage(conn, "bench_mentions", list(M.columns), table) as staged:
        conn.execute(M.insert().from_select([c.name for c in M.columns], select(*staged.c)))


def evaluate(store, kpis: int) -> None:  # type: ignore[no-untyped-def]
    entities = ["stridewell", "apexrun", "kinetiq", "volta"]
    with store.transaction() as conn:
        for i in range(kpis):
            week = func.date_trunc("week", M.c.created_at)
            conn.execute(select(week, func.count(), func.sum(M.c.likes + 2 * M.c.shares),
                                func.avg(M.c.sentiment_score))
                         .where(and_(M.c.entity == entities[i % 4], ~M.c.is_bot, ~M.c.is_spam))
                         .group_by(week)).all()


def run_with_lineage(store, url: str, kpis: int, emitter: LineageEmitter | None) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    if emitter is None:
        evaluate(store, kpis)
        return time.perf_counter() - started
    mentions = LineageDataset.table(url, "mentions", assertions=[
        {"assertion": "expect_column_values_to_not_be_null", "column": "mention_id", "success": True}])
    output = LineageDataset.table(url, "kpi_results", row_count=1)
    lineages = [run_events(kpi=KpiMetadata(f"brand.customer.kpi_{i}", "1.0.0", "ab" * 32, owner="team/analytics",
                                           description="bench KPI"),
                           inputs=[mentions], output=output,
                           column_lineage={"value": [ColumnSource(mentions, "sentiment_score")]},
                           filters=[ColumnSource(mentions, "is_bot", "INDIRECT", "FILTER")]) for i in range(kpis)]
    for lineage in lineages:
        emitter.emit(lineage.start())
    evaluate(store, kpis)
    for lineage in lineages:
        emitter.emit(lineage.complete())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--eval-rows", type=int, default=300_000)
    args = parser.parse_args()
    bench_real_evaluator(args.eval_rows)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = f"duckdb:///{root / 'bench.duckdb'}"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        backend = LineageBackend(port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead_port = int(probe.getsockname()[1])
        try:
            with open_store(url, create=True) as store:
                load_mentions(store, args.rows)
                run_with_lineage(store, url, args.kpis, None)  # warm the caches once
                variants = {
                    "file transport": LineageEmitter.from_config(LineageConfig(), root / "file", {}),
                    "HTTP, backend up": LineageEmitter.from_config(None, root / "up", {"OPENLINEAGE_URL": f"http://127.0.0.1:{port}"}),
                    "HTTP, backend down (spilled)": LineageEmitter.from_config(
                        None, root / "down", {"OPENLINEAGE_URL": f"http://127.0.0.1:{dead_port}"}),
                }
                baseline = min(run_with_lineage(store, url, args.kpis, None) for _ in range(3))
                print(f"{args.kpis}-KPI stand-in run on {args.rows:,} mentions: {baseline * 1000:.0f} ms (best of 3)")
                for name, emitter in variants.items():
                    took = min(run_with_lineage(store, url, args.kpis, emitter) for _ in range(3))
                    print(f"  + lineage, {name:<30} {took * 1000:7.0f} ms  adds {100 * (took - baseline) / baseline:5.1f} % "
                          f"({2 * args.kpis} events; {emitter.pending()} spilled)")
        finally:
            backend.stop()


def bench_real_evaluator(rows: int, repeats: int = 5) -> None:
    """The real evaluator, with and without its trail, alternated so drift hits every variant alike."""
    import kpigov
    from kpigov.compiler import compile_project
    from kpigov.evaluate import evaluate as run_evaluation, evaluation_order, open_for_evaluation
    from kpigov.evaluate.lineage import RunTrail
    from tests.evaluate.conftest import no_gates
    from tests.evaluate.synthetic import AS_OF, load, synthetic_mentions

    project = kpigov.load(Path(__file__).resolve().parents[1])
    compiled = compile_project(project)
    order = evaluation_order(project, compiled.kpi_order)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = f"duckdb:///{root / 'eval.duckdb'}"
        with open_store(url, create=True) as store:
            load(store, synthetic_mentions(rows))
        variants = {"no trail": RunTrail(), "audit trail": RunTrail(audit=True, compiled=compiled),
                    "file lineage + audit trail": RunTrail(LineageEmitter.from_config(LineageConfig(), root, {}),
                                                           True, None, compiled)}
        times: dict[str, list[float]] = {name: [] for name in variants}
        with open_for_evaluation(url) as store:
            run_evaluation(store, project, order, compiled.fingerprint, AS_OF, gates=no_gates)  # warm up
            for _ in range(repeats):
                for name, trail in variants.items():
                    started = time.perf_counter()
                    run_evaluation(store, project, order, compiled.fingerprint, AS_OF, gates=no_gates, trail=trail)
                    times[name].append(time.perf_counter() - started)
        base = min(times["no trail"])
        print(f"real evaluator, {len(order)} KPIs on {rows:,} mentions: {base * 1000:.0f} ms without a trail "
              f"(best of {repeats})")
        for name in list(variants)[1:]:
            took = min(times[name])
            print(f"  + {name:<28} {took * 1000:7.0f} ms  adds {100 * (took - base) / base:5.1f} %")


if __name__ == "__main__":
    main()
