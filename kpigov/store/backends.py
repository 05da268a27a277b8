"""What differs between backends: how an Arrow table becomes a relation SQL can read.

Everything else (DDL, inserts, dedup, flags) is shared SQLAlchemy Core. The fast paths are the
ones measured in DEPENDENCIES.md: DuckDB scans a registered Arrow table in place (no copy, no
per-row Python), PostgreSQL receives rows through ``COPY … FROM STDIN``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import pyarrow as pa
from psycopg import sql as pgsql
from sqlalchemy import Column, Connection, MetaData, Table, column, table
from sqlalchemy.sql.expression import TableClause


class Backend(Protocol):
    """The backend-specific half of a store."""

    name: str

    def stage(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table
    ) -> Iterator[TableClause]:
        """Make ``data`` readable as the relation ``name`` inside ``conn``'s transaction."""
        ...


class DuckDBBackend:
    """Registers the Arrow table as a view on the engine's own DuckDB connection."""

    name = "duckdb"

    @contextmanager
    def stage(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table
    ) -> Iterator[TableClause]:
        # The raw connection must be the engine's: a second duckdb.connect() on the same file
        # is refused ("different configuration").
        raw = conn.connection.driver_connection
        raw.register(name, data.select([c.name for c in columns]))
        try:
            yield table(name, *(column(c.name) for c in columns))
        finally:
            raw.unregister(name)


class PostgresBackend:
    """COPYs the rows into a temporary table dropped when the staging ends (or the transaction)."""

    name = "postgresql"

    @contextmanager
    def stage(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table
    ) -> Iterator[TableClause]:
        staged = Table(
            name,
            MetaData(),
            *(Column(c.name, c.type) for c in columns),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DROP",
        )
        staged.create(conn)
        names = [c.name for c in columns]
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(name), pgsql.SQL(", ").join(map(pgsql.Identifier, names))
        )
        values = [data.column(n).to_pylist() for n in names]
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
        yield staged
        # Not in a ``finally``: after an error the transaction is aborted and its rollback
        # removes the table anyway, while a DROP would only raise again and hide the cause.
        staged.drop(conn)


BACKENDS: dict[str, Backend] = {"duckdb": DuckDBBackend(), "postgresql": PostgresBackend()}
