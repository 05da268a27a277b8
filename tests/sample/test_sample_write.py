"""write_sample: reproducible bytes, streamed files, and a bounded memory budget."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpigov.sample import generate, write_sample

SMALL = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 4, 15), "mentions_per_day": 300}


def digests(directory: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(directory.iterdir())}


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = write_sample(tmp_path / "a", seed=5, rows_per_file=8_000, **SMALL)
    second = write_sample(tmp_path / "b", seed=5, rows_per_file=8_000, **SMALL)
    other = write_sample(tmp_path / "c", seed=6, rows_per_file=8_000, **SMALL)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert digests(tmp_path / "a")["outcomes.csv"] != digests(tmp_path / "c")["outcomes.csv"]
    assert digests(tmp_path / "a")["mentions-000.parquet"] != digests(tmp_path / "c")["mentions-000.parquet"]
    assert first.rows == second.rows and first.files[0].name == "mentions-000.parquet"
    assert len(first.files) == -(-first.rows // 8_000) > 1
    assert sum(pq.ParquetFile(path).metadata.num_rows for path in first.files) == first.rows
    assert (first.start, first.end, first.seed, other.seed) == (SMALL["start"], SMALL["end"], 5, 6)
    assert first.entities == ("stridewell", "apexrun", "kinetiq", "volta")


def test_batch_size_changes_batches_not_rows() -> None:
    small = pa.Table.from_batches(list(generate(seed=3, batch_rows=1_000, **SMALL)))
    large = pa.Table.from_batches(list(generate(seed=3, batch_rows=500_000, **SMALL)))
    assert small.equals(large)
    assert max(batch.num_rows for batch in generate(seed=3, batch_rows=1_000, **SMALL)) <= 1_000


def test_outcomes_csv_has_the_outcome_columns(tmp_path: Path) -> None:
    summary = write_sample(tmp_path, seed=5, **SMALL)
    lines = summary.outcomes.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "series,period_start,topic,value"
    assert len(lines) == summary.outcome_rows + 1
    assert any(line.startswith("support_tickets,") and ",durability," in line for line in lines)


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so a child forked from a large pytest
# process would report the parent's peak; VmHWM belongs to the child's own address space.
_BUDGET_RUN = """
import json, re, sys, time, datetime as dt
from pathlib import Path
from kpigov.sample import write_sample
started = time.perf_counter()
summary = write_sample(sys.argv[1], seed=1, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), mentions_per_day=2_000)
hwm_kib = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({"rows": summary.rows, "seconds": time.perf_counter() - started, "peak_rss_mib": hwm_kib / 1024}))
"""


@pytest.mark.slow
def test_a_million_rows_fit_the_budget(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", _BUDGET_RUN, str(tmp_path)], capture_output=True, text=True, check=True)
    result = json.loads(run.stdout)
    print(f"sample budget: {result['rows']:,} rows in {result['seconds']:.1f} s, peak RSS {result['peak_rss_mib']:.0f} MiB")
    assert result["rows"] > 900_000
    assert result["peak_rss_mib"] < 1024
