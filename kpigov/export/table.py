"""The tidy results table: one row per KPI per evaluated period, each column documented in the schema.

Tidy (one observation per row, one variable per column) is what Power BI and Tableau import without
reshaping. Each field carries its description in the Parquet schema metadata, so the file documents
itself; ``docs/report.md`` lists the same columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from kpigov.report.data import ReportData
from kpigov.specs import KPI

ExportFormat = Literal["parquet", "csv"]

#: (name, type, description): the export's schema, in column order.
COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("kpi_id", pa.string(), "KPI id, e.g. brand.customer.net_sentiment"),
    ("kpi_version", pa.string(), "semantic version of the KPI's spec when exported"),
    ("perspective", pa.string(), "Balanced Scorecard perspective: financial | customer | internal_process | learning_growth"),
    ("indicator", pa.string(), "leading | lagging"),
    ("polarity", pa.string(), "higher_is_better | lower_is_better | target_range"),
    ("unit", pa.string(), "count | ratio | percent | score"),
    ("refresh_cadence", pa.string(), "the KPI's frequency: daily | weekly | monthly | quarterly; refresh the extract at this cadence"),
    ("owner", pa.string(), "accountable team"),
    ("publication", pa.string(), "internal | public"),
    ("period_start", pa.date32(), "first day of the evaluated period"),
    ("period_end", pa.date32(), "last day of the evaluated period (inclusive)"),
    ("status", pa.string(), "ok | withheld | not_comparable | no_data | error"),
    ("value", pa.float64(), "the KPI's value; null unless computed"),
    ("band", pa.string(), "green | amber | red; null without bands or value"),
    ("band_green", pa.string(), "the green band's condition as written, e.g. '>= 0.30'"),
    ("band_amber", pa.string(), "the amber band's condition"),
    ("band_red", pa.string(), "the red band's condition"),
    ("target", pa.float64(), "target value, when the KPI declares one"),
    ("baseline", pa.float64(), "baseline the value was compared with"),
    ("change", pa.float64(), "value - baseline"),
    ("reason", pa.string(), "why the status is not ok"),
    ("run_id", pa.string(), "the run that produced the row (the latest run covering the period)"),
    ("as_of", pa.date32(), "that run's as-of date"),
)

SCHEMA = pa.schema([pa.field(name, kind, metadata={"description": text}) for name, kind, text in COLUMNS],
                   metadata={"description": "kpigov KPI results: one row per KPI per evaluated period"})


def kpi_metadata(kpi: KPI) -> dict[str, Any]:
    """The per-KPI columns of the export (shared by the file and the store's ``kpigov_bi_kpis``)."""
    spec, meta = kpi.spec, kpi.metadata
    bands = spec.bands.model_dump() if spec.bands else {}
    return {"kpi_id": meta.id, "kpi_version": meta.version, "perspective": spec.perspective,
            "indicator": spec.indicator, "polarity": spec.polarity, "unit": spec.unit,
            "refresh_cadence": spec.frequency, "owner": meta.owner, "publication": spec.publication,
            "band_green": bands.get("green"), "band_amber": bands.get("amber"), "band_red": bands.get("red"),
            "target": spec.target}


def results_table(data: ReportData) -> pa.Table:
    rows: dict[str, list[Any]] = {name: [] for name, _, _ in COLUMNS}
    for k in data.kpis:
        fixed = kpi_metadata(k.kpi)
        for p in k.history:
            row = {**fixed, "period_start": p.period_start, "period_end": p.period_end, "status": p.status,
                   "value": p.value, "band": p.band, "baseline": p.baseline, "change": p.change, "reason": p.reason,
                   "run_id": p.run_id, "as_of": p.as_of}
            for name in rows:
                rows[name].append(row[name])
    return pa.table(rows, schema=SCHEMA)


def write_table(table: pa.Table, path: Path, fmt: ExportFormat) -> Path:
    """Write ``table`` as Parquet (schema and descriptions kept) or CSV (header row, ISO dates)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    else:
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, path)
    return path
