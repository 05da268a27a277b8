"""Report speed: 50 KPIs × 2 years of daily values, site + summary + Parquet, against reading alone.

    python bench/bench_report.py [--kpis 50] [--days 730] [--repeat 3]

The results are written straight into ``kpi_results`` (the evaluator is benchmarked in
bench_evaluate.py); the baseline measured in the same run is loading those rows back
(:func:`load_report_data`), so the printed ratio says what rendering adds to reading. Target: the
whole report in ≤ 10 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kpigov  # noqa: E402
from kpigov.export import results_table, write_table  # noqa: E402
from kpigov.report import build_site, load_report_data  # noqa: E402
from kpigov.specs import KPI  # noqa: E402
from kpigov.store import open_store, schema  # noqa: E402

AS_OF = date(2026, 11, 22)


def daily_project(root: Path, kpis: int) -> kpigov.Project:
    """The example repository plus ``kpis`` daily copies of the mention-volume KPI."""
    from tests.conftest import copy_example

    repo = copy_example(root / "repo")
    source = (repo / "kpi_specs/customer/mention_volume.yaml").read_text()
    for i in range(kpis):
        text = source.replace("brand.customer.mention_volume", f"brand.customer.bench_{i:03d}")
        (repo / f"kpi_specs/customer/bench_{i:03d}.yaml").write_text(text.replace("frequency: weekly", "frequency: daily"))
    return kpigov.load(repo)


def fill(url: str, kpi_ids: list[str], days: int) -> None:
    """One run per day, one result per KPI per day, with bands and baselines like real runs."""
    runs, results = [], []
    for d in range(days):
        day = AS_OF - timedelta(days=days - 1 - d)
        run_id = f"r{d:05d}"
        stamp = datetime.combine(day, datetime.min.time())
        runs.append({"run_id": run_id, "as_of": day, "status": "ok", "started_at": stamp, "finished_at": stamp,
                     "manifest_fingerprint": "0" * 64, "kpigov_version": "bench", "kpis": json.dumps(kpi_ids)})
        for i, kpi in enumerate(kpi_ids):
            value = 500 + 100 * ((d * 7 + i) % 13) / 13
            results.append({"run_id": run_id, "kpi_id": kpi, "period_start": day, "period_end": day, "status": "ok",
                            "value": value, "band": ("green", "amber", "red")[(d + i) % 3], "baseline": 550.0,
                            "change": value - 550.0, "reason": None, "detail": "{}", "sql": None})
    with open_store(url, create=True) as store, store.transaction() as conn:
        conn.execute(schema.runs.insert(), runs)
        conn.execute(schema.kpi_results.insert(), results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = daily_project(root, args.kpis)
        ids = [k.metadata.id for k in project.of_kind(KPI) if k.metadata.id.startswith("brand.customer.bench_")]
        url = f"duckdb:///{root / 'store.duckdb'}"
        fill(url, ids, args.days)
        from kpigov.compiler import compile_project

        compiled = compile_project(project)
        reads, reports = [], []
        with open_store(url, create=False) as store:
            for n in range(args.repeat):
                started = time.perf_counter()
                load_report_data(store, project, AS_OF)
                reads.append(time.perf_counter() - started)
                started = time.perf_counter()
                data = load_report_data(store, project, AS_OF)
                build_site(data, root / f"site{n}", compiled=compiled)
                write_table(results_table(data), root / f"kpis{n}.parquet", "parquet")
                reports.append(time.perf_counter() - started)
        rows = sum(len(k.history) for k in data.kpis)
    read, full = statistics.median(reads), statistics.median(reports)
    print(f"{args.kpis} daily KPIs × {args.days} days ({rows:,} result rows), median of {args.repeat}:")
    print(f"  read results (baseline)            {read:6.2f} s")
    print(f"  read + site + summary + parquet    {full:6.2f} s   ({full / read:.1f}× reading; target ≤ 10 s: "
          f"{'met' if full <= 10 else 'MISSED'})")


if __name__ == "__main__":
    main()
