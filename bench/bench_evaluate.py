"""Evaluation speed: 10M mentions, the example repository's KPIs multiplied to 50, all gates on.

Prints, measured in the same run on the same DuckDB store:

- the full ``kpigov.evaluate`` run with the real Great Expectations gates;
- its KPI part (gates off) against ONE hand-written SQL query computing the same per-week
  components over the same range (target ≤ 1.5×);
- the gate time against one hand-written SQL query checking the same expectations (target ≤ 2×),
  best of ``--repeat`` after a first run that imports Great Expectations (reported apart);
- peak RSS of the measuring process (target ≤ 1 GiB).

Numbers only, no pass/fail. The store is built once into ``--store`` (reused when present).

    python bench/bench_evaluate.py [--rows 10000000] [--store /tmp/kpigov-bench-eval.duckdb] [--repeat 3] [--memory-limit 384MB]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpigov.store import open_store, schema  # noqa: E402
from kpigov.store.arrow import arrow_schema  # noqa: E402
from rss import peak_rss_mib  # noqa: E402  (bench/rss.py, beside this script)

AS_OF = date(2026, 11, 22)
ENTITIES = np.array(["stridewell", "apexrun", "kinetiq", "volta"])
PLATFORMS = np.array(["x", "reddit", "youtube", "weibo", "vk"])
TOPICS = np.array(["price", "launch", "delivery", "sizing", "customer_service", "durability", "design"])
COPIES = 50


def batches(rows: int, size: int = 1_000_000, seed: int = 11) -> Iterator[pa.Table]:
    """A year of mentions (2026), vectorised; ~5 % duplicates, 3 % bots, 2 % unscored."""
    rng = np.random.default_rng(seed)
    start, seconds = np.datetime64("2026-01-01T00:00:00", "us"), 365 * 86_400
    target = arrow_schema(schema.mentions)
    for offset in range(0, rows, size):
        n = min(size, rows - offset)
        ids = np.char.add("m", np.arange(offset, offset + n).astype(str))
        score = np.round(rng.uniform(-1, 1, n), 4)
        scored = rng.random(n) > 0.02
        columns = {
            "mention_id": ids, "platform": PLATFORMS[rng.integers(0, 5, n)], "native_id": ids,
            "entity": ENTITIES[rng.choice(4, n, p=[0.4, 0.25, 0.2, 0.15])],
            "created_at": start + rng.integers(0, seconds, n).astype("timedelta64[s]"),
            "likes": rng.integers(0, 400, n), "shares": rng.integers(0, 50, n), "comments": rng.integers(0, 30, n),
            "views": pa.array(rng.integers(0, 5000, n), mask=rng.random(n) < 0.3),
            "topic": TOPICS[rng.integers(0, len(TOPICS), n)], "source": np.full(n, "bench"), "ingest_batch": np.full(n, "b"),
            "content_hash": ids, "sentiment_score": pa.array(score, mask=~scored),
            "sentiment_label": pa.array(np.where(score >= 0.05, "positive", np.where(score <= -0.05, "negative", "neutral")), mask=~scored),
            "duplicate_of": pa.array(np.roll(ids, 1), mask=rng.random(n) >= 0.05),
            "is_bot": rng.random(n) < 0.03, "is_spam": rng.random(n) < 0.02, "is_employee": rng.random(n) < 0.01,
            "cib_cluster": pa.array(np.full(n, "c1"), mask=rng.random(n) >= 0.005),
        }
        yield pa.table({f.name: pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type)
                        for f in target}, schema=target)


def build_store(path: Path, rows: int) -> None:
    url = f"duckdb:///{path}"
    with open_store(url, create=True) as store:
        names = [c.name for c in schema.mentions.columns]
        for batch in batches(rows):
            with store.transaction() as conn, store.stage(conn, "staged", list(schema.mentions.columns), batch) as staged:
                conn.execute(sa.insert(schema.mentions).from_select(names, sa.select(*(staged.c[n] for n in names))))


def build_repo(target: Path) -> Path:
    """The example repository plus copies of its mention KPIs (each copy filters a little differently) up to 50."""
    for part in ("kpigov.yaml", "kpi_specs", "policies", "expectations"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target / part)
    originals = sorted(p for p in (target / "kpi_specs").rglob("*.yaml")
                       if not p.name.endswith("_test.yaml") and "derived" not in p.read_text())  # KPIs, not policy tests
    copy, index = 0, 0
    while 13 + copy < COPIES:
        source = originals[index % len(originals)]
        text = source.read_text()
        kpi_id = next(line.split("id:")[1].strip() for line in text.splitlines() if line.strip().startswith("id:"))
        text = text.replace(f"id: {kpi_id}", f"id: {kpi_id}_copy{copy}")
        text = text.replace('filter: "', f'filter: "likes >= {copy} and ', 1)
        (target / "kpi_specs" / f"copy{copy}.yaml").write_text(text)
        copy, index = copy + 1, index + 1
    return target


def hand_written_kpis(conn: object, project: object) -> float:
    """ONE query: per ISO week, every KPI's components (the YAML filters are plain SQL here)."""
    from kpigov.specs.kpi import DerivedMeasure, NetSentimentMeasure, SentimentAdjustedVolumeMeasure, ShareOfVoiceMeasure, WeightedScoreMeasure

    parts = ["date_trunc('week', created_at) AS week", "count(*) AS all_rows"]
    for i, kpi in enumerate(project.kpis):  # type: ignore[attr-defined]
        s = kpi.spec
        if isinstance(s.measure, DerivedMeasure):
            continue
        where = f"({s.filter})" if s.filter else "TRUE"
        parts.append(f"count(*) FILTER (WHERE {where}) AS n{i}")
        if isinstance(s.measure, (SentimentAdjustedVolumeMeasure, NetSentimentMeasure)):
            parts.append(f"count(*) FILTER (WHERE {where} AND sentiment_score >= 0.05) AS p{i}")
            parts.append(f"count(*) FILTER (WHERE {where} AND sentiment_score <= -0.05) AS g{i}")
        if isinstance(s.measure, WeightedScoreMeasure):
            w = s.measure.weights
            parts.append(f"sum(1.0 + {w.likes}*coalesce(likes,0) + {w.shares}*coalesce(shares,0) + {w.comments}*coalesce(comments,0)"
                         f" + {w.views}*coalesce(views,0)) FILTER (WHERE {where}) AS w{i}")
        if isinstance(s.measure, ShareOfVoiceMeasure):
            parts.append(f"count(*) FILTER (WHERE {where} AND entity = 'stridewell') AS b{i}")
            parts.append(f"count(*) FILTER (WHERE {where} AND entity IN ('stridewell','apexrun','kinetiq','volta')) AS t{i}")
            for e in ("stridewell", "apexrun", "kinetiq", "volta"):
                for p in ("x", "reddit", "youtube"):
                    parts.append(f"count(*) FILTER (WHERE {where} AND entity = '{e}' AND platform = '{p}') AS c{i}_{e}_{p}")
    query = ("SELECT " + ", ".join(parts) + " FROM mentions WHERE created_at >= TIMESTAMP '2026-08-24' "
             "AND created_at < TIMESTAMP '2026-11-23' AND duplicate_of IS NULL GROUP BY 1")
    started = time.perf_counter()
    conn.execute(query).fetchall()  # type: ignore[attr-defined]
    return time.perf_counter() - started


def hand_written_gates(conn: object) -> float:
    """ONE query checking what suite/mentions-core checks."""
    query = """SELECT count(*) - count(DISTINCT mention_id), count(*) FILTER (WHERE created_at IS NULL),
        count(*) FILTER (WHERE platform NOT IN ('x','reddit','youtube','weibo','vk')),
        count(*) FILTER (WHERE entity NOT IN ('stridewell','apexrun','kinetiq','volta')),
        count(*) FILTER (WHERE sentiment_score < -1 OR sentiment_score > 1),
        count(*) FILTER (WHERE sentiment_label IS NULL), min(likes), count(*) FROM mentions"""
    started = time.perf_counter()
    conn.execute(query).fetchall()  # type: ignore[attr-defined]
    return time.perf_counter() - started


def measure(store_path: Path, repeat: int, memory_limit: str) -> dict[str, float]:
    """Runs in a child process, so its peak RSS is the evaluation's alone."""
    import kpigov
    from kpigov.compiler import compile_project
    from kpigov.evaluate import evaluate, evaluation_order, open_for_evaluation
    from kpigov.evaluate.quality import run_gates
    from kpigov.evaluate.quality.results import GateReport

    with tempfile.TemporaryDirectory() as tmp:
        project = kpigov.load(build_repo(Path(tmp)))
        assert project.ok, [str(d) for d in project.diagnostics][:5]
        order = evaluation_order(project, compile_project(project).kpi_order)
        with open_for_evaluation(f"duckdb:///{store_path}?memory_limit={memory_limit}") as store:
            raw = store.engine.raw_connection().driver_connection
            hand_kpis = min(hand_written_kpis(raw, project) for _ in range(repeat))
            hand_gates = min(hand_written_gates(raw) for _ in range(repeat))
            kpi_runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                run = evaluate(store, project, order, "0" * 64, AS_OF, gates=lambda s, p: GateReport())
                kpi_runs.append(time.perf_counter() - started)
                assert run.ok, run.error
            started = time.perf_counter()
            run_gates(store, project)  # the first run imports Great Expectations (~2.5 s): reported apart
            first_gates = time.perf_counter() - started
            gate_runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                run_gates(store, project)
                gate_runs.append(time.perf_counter() - started)
            gates = min(gate_runs)
            started = time.perf_counter()
            full = evaluate(store, project, order, "0" * 64, AS_OF)
            full_seconds = time.perf_counter() - started
    return {"kpis": len(order), "kpi_part": min(kpi_runs), "hand_kpis": hand_kpis, "gates": gates,
            "hand_gates": hand_gates, "first_gates": first_gates, "full": full_seconds, "statuses": sorted({k.status.value for k in full.kpis}),
            "peak_rss_mib": peak_rss_mib()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "kpigov-bench-eval.duckdb")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the KPI part and the hand-written queries")
    parser.add_argument("--memory-limit", default="384MB", help="DuckDB memory_limit of the evaluated store (bounds RSS; kpigov's default)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.store, args.repeat, args.memory_limit)))
        return
    marker = args.store.with_suffix(f".{args.rows}.rows")
    if not marker.exists():
        args.store.unlink(missing_ok=True)
        started = time.perf_counter()
        build_store(args.store, args.rows)
        marker.touch()
        print(f"built {args.rows:,} mentions in {time.perf_counter() - started:.1f} s -> {args.store}")
    done = subprocess.run([sys.executable, __file__, "--measure", "--store", str(args.store),
                           "--repeat", str(args.repeat), "--memory-limit", args.memory_limit], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    m = json.loads(done.stdout.strip().splitlines()[-1])
    rss = m["peak_rss_mib"]
    print(f"{args.rows:,} mentions, {m['kpis']} KPIs, as of {AS_OF} (statuses: {', '.join(m['statuses'])})")
    print(f"full run, gates on       {m['full']:8.2f} s")
    print(f"KPI part (gates off)     {m['kpi_part']:8.2f} s   hand-written SQL {m['hand_kpis']:.2f} s   "
          f"ratio {m['kpi_part'] / m['hand_kpis']:.2f}x (target <= 1.5x)")
    print(f"GX gates                 {m['gates']:8.2f} s   hand-written SQL {m['hand_gates']:.2f} s   "
          f"ratio {m['gates'] / m['hand_gates']:.2f}x (target <= 2x; best of {args.repeat} after a warm-up)")
    print(f"first gate run of the process (imports Great Expectations) {m['first_gates']:.2f} s")
    print(f"peak RSS (measuring process) {rss:,.0f} MiB (target <= 1024 MiB)")


if __name__ == "__main__":
    main()
