"""Quality gates vs the same checks hand-written in SQL, on a large mentions table.

Loads about ``--rows`` generated canonical mentions into a fresh store (DuckDB file by default, or
``--url``) in a child process, so the peak RSS printed is the gates' own, then times ``run_gates`` with the example suite ``mentions-core`` against one
SQLAlchemy Core pass computing the same eight verdicts, median of ``--repeat`` runs each (after
one warm-up run, so importing GX is not counted). Prints both, their ratio and peak RSS; numbers
only, no pass/fail. Targets: gates ≤ 2× the hand-written SQL, peak RSS ≤ 1 GiB.

    python bench/bench_gates.py [--rows 1000000] [--url postgresql+psycopg://...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import case, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the canonical-row loader is shared with the gate tests

import kpigov  # noqa: E402
from kpigov.evaluate.quality import run_gates  # noqa: E402
from kpigov.sample import generate  # noqa: E402
from kpigov.store import Store, open_store, schema  # noqa: E402
from tests.evaluate_quality.helpers import load_mentions  # noqa: E402

START = date(2026, 1, 1)
#: generate() adds replies, reposts, bots and campaigns on top of organic volume: ~1.35x per day.
ROWS_PER_ORGANIC = 1.35
DAYS = 90


def hand_written(store: Store) -> dict[str, bool]:
    """The eight verdicts of mentions-core as one aggregate query plus one uniqueness query."""
    m = schema.mentions
    platforms, entities = ["x", "reddit", "youtube", "weibo", "vk"], ["stridewell", "apexrun", "kinetiq", "volta"]
    counts = select(
        func.count(),
        func.count() - func.count(m.c.created_at),
        func.sum(case((m.c.platform.not_in(platforms), 1), else_=0)),
        func.sum(case((m.c.entity.not_in(entities), 1), else_=0)),
        func.sum(case((~m.c.sentiment_score.between(-1, 1), 1), else_=0)),
        func.count() - func.count(m.c.sentiment_label),
        func.min(m.c.likes),
    )
    duplicated = select(func.count()).select_from(
        select(m.c.mention_id).group_by(m.c.mention_id).having(func.count() > 1).subquery())
    with store.engine.connect() as conn:
        rows, no_date, bad_platform, bad_entity, out_of_range, unscored, min_likes = conn.execute(counts).one()
        duplicates = conn.execute(duplicated).scalar_one()
    return {
        "mention-id-unique": duplicates == 0,
        "created-at-present": no_date == 0,
        "platform-known": bad_platform == 0,
        "entity-known": bad_entity == 0,
        "sentiment-in-range": out_of_range == 0,
        "sentiment-scored": unscored <= 0.01 * rows,
        "likes-non-negative": min_likes >= 0,
        "enough-volume": rows >= 1000,
    }


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up: imports, plan caches, file pages
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def load(url: str, rows: int) -> None:
    per_day = max(1, round(rows / DAYS / ROWS_PER_ORGANIC))
    with open_store(url, create=True) as store:
        started = time.perf_counter()
        loaded = load_mentions(store, generate(start=START, end=START + timedelta(days=DAYS - 1), mentions_per_day=per_day))
        print(f"backend {store.backend.name}: loaded {loaded:,} mentions in {time.perf_counter() - started:.1f} s")


def bench(url: str, repeat: int) -> None:
    project = kpigov.load(ROOT)
    suite = project.get("suite/mentions-core")
    with open_store(url, create=False) as store:
        report = run_gates(store, project, [suite])
        verdicts = {o.rule_id: o.success for o in report.suites[suite.ref].results}
        assert verdicts == hand_written(store), (verdicts, hand_written(store))
        gates = median_seconds(lambda: run_gates(store, project, [suite]), repeat)
        sql = median_seconds(lambda: hand_written(store), repeat)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"gates (GX, 8 expectations): {gates:.3f} s   hand-written SQL: {sql:.3f} s   "
          f"ratio {gates / sql:.2f}x (target <= 2x)")
    print(f"peak RSS of the gate process {rss_mib:.0f} MiB (target <= 1024)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", help="store URL (default: a fresh DuckDB file in a temporary folder)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only:
        load(args.url, args.rows)
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"duckdb:///{Path(folder) / 'bench.duckdb'}"
        subprocess.run([sys.executable, __file__, "--load-only", "--url", url, "--rows", str(args.rows)], check=True)
        bench(url, args.repeat)


if __name__ == "__main__":
    main()
