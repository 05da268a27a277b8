"""Write a sample to disk: Parquet mention files streamed batch by batch, and ``outcomes.csv``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kpigov.sample import vocabulary as vocab
from kpigov.sample.mentions import DEFAULT_END, DEFAULT_SEED, DEFAULT_START, MENTIONS_SCHEMA, generate
from kpigov.sample.outcomes import generate_outcomes


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What ``write_sample`` wrote."""

    seed: int
    start: date
    end: date
    rows: int
    files: tuple[Path, ...]
    outcomes: Path
    outcome_rows: int
    entities: tuple[str, ...] = vocab.ENTITIES


def write_sample(
    out_dir: Path | str,
    *,
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    mentions_per_day: int = 2_000,
    rows_per_file: int = 2_000_000,
    batch_rows: int = 200_000,
) -> SampleSummary:
    """Write ``mentions-000.parquet``, ... and ``outcomes.csv`` into ``out_dir``.

    Only one batch is in memory at a time, so the resident size depends on ``batch_rows``, not on
    the period. The files' bytes depend only on the arguments: the same seed writes the same files.
    """
    if rows_per_file < 1:
        raise ValueError(f"rows_per_file must be positive, got {rows_per_file}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    writer: pq.ParquetWriter | None = None
    in_file = rows = 0
    try:
        for batch in generate(seed=seed, start=start, end=end, mentions_per_day=mentions_per_day, batch_rows=batch_rows):
            while batch.num_rows:
                if writer is None or in_file >= rows_per_file:
                    if writer is not None:
                        writer.close()
                    files.append(out / f"mentions-{len(files):03d}.parquet")
                    writer, in_file = pq.ParquetWriter(files[-1], MENTIONS_SCHEMA, compression="zstd"), 0
                part = batch.slice(0, rows_per_file - in_file)
                writer.write_batch(part, row_group_size=batch_rows)
                in_file, rows, batch = in_file + part.num_rows, rows + part.num_rows, batch.slice(part.num_rows)
    finally:
        if writer is not None:
            writer.close()

    table = generate_outcomes(seed=seed, start=start, end=end, mentions_per_day=mentions_per_day)
    outcomes_path = out / "outcomes.csv"
    _write_outcomes(table, outcomes_path)
    return SampleSummary(seed, start, end, rows, tuple(files), outcomes_path, table.num_rows)


def _write_outcomes(table: pa.Table, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([row["series"], row["period_start"].isoformat(), row["topic"], repr(row["value"])])
