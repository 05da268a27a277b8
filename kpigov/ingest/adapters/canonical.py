"""Parquet files already in the ``mentions`` shape (what ``kpigov sample`` writes): the fast path.

Batches stay in Arrow from the file to the database: types are cast and rows checked with
vectorised kernels, and Python touches only the rows that need it (null entity, null content
hash, quarantined rows). A batch whose columns cannot be cast (a string in ``likes``) takes the
row-at-a-time path so each bad row is quarantined with its own reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kpigov.ingest.adapters.registry import register
from kpigov.ingest.entities import EntityResolver
from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import (
    COUNT_FIELDS,
    DERIVED_FIELDS,
    DRAFT_FIELDS,
    MAX_LENGTH,
    NO_ENTITY,
    OPTIONAL_COUNT_FIELDS,
    REQUIRED_TEXT_FIELDS,
    AdapterChunk,
    Quarantined,
    RowRejected,
    check_draft,
    raw_text,
    rows_to_arrow,
)
from kpigov.store import schema
from kpigov.store.arrow import arrow_schema

_TARGET = arrow_schema(schema.mentions)
_KNOWN = frozenset(_TARGET.names)


class CanonicalAdapter:
    name = "canonical"

    def read(
        self, path: Path, *, encoding: str | None, batch_size: int, resolver: EntityResolver | None
    ) -> Iterator[AdapterChunk]:
        """``encoding`` is ignored: Parquet strings are UTF-8 by definition."""
        try:
            # pre_buffer=False: pre-buffered reads keep every row group read so far alive (RSS grows with the file).
            parquet = pq.ParquetFile(path, pre_buffer=False)
        except (pa.ArrowInvalid, OSError) as exc:
            raise MalformedFileError(path, f"not a readable Parquet file: {exc}") from exc
        names = parquet.schema_arrow.names
        unknown = set(names) - _KNOWN
        if unknown:
            raise MalformedFileError(path, f"columns that are not mention columns: {', '.join(sorted(unknown))}")
        missing = {*REQUIRED_TEXT_FIELDS, "created_at"} - set(names)
        if missing:
            raise MalformedFileError(path, f"missing required columns: {', '.join(sorted(missing))}")
        wanted = [n for n in names if n in DRAFT_FIELDS]
        offset = 0
        try:
            for batch in parquet.iter_batches(batch_size=batch_size, columns=wanted):
                yield _chunk(pa.Table.from_batches([batch]), offset, resolver)
                offset += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise MalformedFileError(path, f"unreadable Parquet data after row {offset}: {exc}") from exc


def _chunk(table: pa.Table, offset: int, resolver: EntityResolver | None) -> AdapterChunk:
    try:
        typed = _conform(table)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _row_by_row(table, offset, resolver)
    typed = _resolve_entities(typed, resolver)
    reasons = _reasons(typed)
    bad = pc.is_valid(reasons)
    quarantined: tuple[Quarantined, ...] = ()
    if pc.any(bad).as_py():
        positions = pc.indices_nonzero(bad).to_pylist()
        raws = table.take(positions).to_pylist()
        texts = reasons.take(positions).to_pylist()
        quarantined = tuple(
            Quarantined(offset + p + 1, reason, raw_text(raw)) for p, reason, raw in zip(positions, texts, raws, strict=True)
        )
        typed = typed.filter(pc.invert(bad))
    return AdapterChunk(_complete(typed), quarantined, table.num_rows)


def _conform(table: pa.Table) -> pa.Table:
    """Every mention column, typed as the store wants it; absent columns are nulls."""
    columns = []
    for field in _TARGET:
        if field.name in table.column_names:
            column = table.column(field.name)
            if pa.types.is_timestamp(column.type) and column.type.tz is not None:
                column = column.cast(pa.timestamp(column.type.unit))  # values are UTC already
            columns.append(column.cast(field.type, safe=True))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=_TARGET)


def _resolve_entities(table: pa.Table, resolver: EntityResolver | None) -> pa.Table:
    entity = table.column("entity")
    if resolver is None or entity.null_count == 0:
        return table
    values = entity.to_pylist()
    texts = table.column("text").to_pylist()
    for i, value in enumerate(values):
        if value is None:
            values[i] = resolver(texts[i] or "", {"text": texts[i]})
    return table.set_column(table.schema.get_field_index("entity"), "entity", pa.array(values, pa.string()))


def _reasons(table: pa.Table) -> pa.ChunkedArray:
    """Per row, the first reason to quarantine it (null when the row is fine)."""
    checks: list[tuple[str, pa.ChunkedArray]] = []
    for name in REQUIRED_TEXT_FIELDS:
        checks.append((f"missing {name}", _blank(table.column(name))))
    checks.append(("missing created_at", pc.is_null(table.column("created_at"))))
    for name in (*COUNT_FIELDS, *OPTIONAL_COUNT_FIELDS):
        checks.append((f"negative {name}", pc.fill_null(pc.less(table.column(name), 0), False)))
    for name, limit in MAX_LENGTH.items():
        if name in DRAFT_FIELDS:
            too_long = pc.fill_null(pc.greater(pc.utf8_length(table.column(name)), limit), False)
            checks.append((f"{name} is longer than {limit} characters", too_long))
    checks.append((NO_ENTITY, _blank(table.column("entity"))))
    reason = pa.nulls(table.num_rows, pa.string())
    for text, failed in reversed(checks):  # the first check listed wins
        reason = pc.if_else(failed, text, reason)
    return reason if isinstance(reason, pa.ChunkedArray) else pa.chunked_array([reason])


def _blank(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.fill_null(pc.equal(column, ""), True)


def _complete(table: pa.Table) -> pa.Table:
    """Defaults and derived columns: counts 0, flags off, everything ingestion derives null.

    Ids and content hashes in the file are dropped too: the pipeline recomputes both, because a
    wrong id in a file would silently break idempotence and a wrong hash deduplication.
    """
    for name in COUNT_FIELDS:
        table = _replace(table, name, pc.fill_null(table.column(name), 0))
    for flag in ("is_bot", "is_spam", "is_employee"):
        table = _replace(table, flag, pa.repeat(pa.scalar(False), table.num_rows))
    for derived in sorted(DERIVED_FIELDS):
        table = _replace(table, derived, pa.nulls(table.num_rows, _TARGET.field(derived).type))
    return table


def _replace(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def _row_by_row(table: pa.Table, offset: int, resolver: EntityResolver | None) -> AdapterChunk:
    rows, quarantined = [], []
    for position, raw in enumerate(table.to_pylist()):
        draft = {k: v for k, v in raw.items() if k in DRAFT_FIELDS}
        try:
            rows.append(check_draft(draft, raw, resolver))
        except RowRejected as rejected:
            quarantined.append(Quarantined(offset + position + 1, str(rejected), raw_text(raw)))
    return AdapterChunk(rows_to_arrow(rows), tuple(quarantined), table.num_rows)


register(CanonicalAdapter())
