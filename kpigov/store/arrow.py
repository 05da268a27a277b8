"""Arrow schemas derived from the SQLAlchemy tables, so the column list is written down once."""

from __future__ import annotations

from functools import cache

import pyarrow as pa
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, String, Table
from sqlalchemy.types import TypeEngine

# Order matters: BigInteger is an Integer, Text is a String.
_ARROW_TYPES: tuple[tuple[type[TypeEngine[object]], pa.DataType], ...] = (
    (BigInteger, pa.int64()),
    (Integer, pa.int64()),
    (Boolean, pa.bool_()),
    (Float, pa.float64()),
    (DateTime, pa.timestamp("us")),
    (Date, pa.date32()),
    (String, pa.string()),
)


def arrow_type(sql_type: TypeEngine[object]) -> pa.DataType:
    """The Arrow type kpigov uses to carry values of ``sql_type`` (timestamps are naive UTC, µs)."""
    for sql_class, arrow in _ARROW_TYPES:
        if isinstance(sql_type, sql_class):
            return arrow
    raise TypeError(f"no Arrow type for SQL type {sql_type!r}")


@cache
def arrow_schema(table: Table) -> pa.Schema:
    """One Arrow field per column of ``table``.

    Every field is nullable: batches are built before all columns are known (the ingest batch id
    is added last), and the database enforces NOT NULL where the table declares it.
    """
    return pa.schema([pa.field(c.name, arrow_type(c.type)) for c in table.columns])
