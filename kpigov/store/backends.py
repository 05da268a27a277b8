"""What differs between backends: how an Arrow table becomes a relation SQL can read.

Everything else (DDL, inserts, dedup, flags) is shared SQLAlchemy Core. The fast paths are the
ones measured in DEPENDENCIES.md: DuckDB reads the Arrow table with its Arrow scan (no per-row
Python), PostgreSQL receives rows through ``COPY … FROM STDIN``.

``stage`` copies the rows into a temporary table dropped when the staging ends, for statements
that read them more than once. On DuckDB a *registered* Arrow table would be scanned in place, but
inside a transaction DuckDB keeps every unregistered view's Arrow data alive until the commit, so
a file ingested batch by batch in one transaction would hold all its batches in memory (4.8 GB at
10M rows); a temporary table lives in DuckDB's buffer manager, under its ``memory_limit``.

DuckDB is given contiguous columns (``_contiguous``): its optimistic writer turns an Arrow table of
many small chunks into row groups that the checkpoint must rewrite, which took 1.6 s per million
mentions when the store was closed, more than the insert itself (``bench/bench_ingest.py``).

``insert_select`` runs one ``INSERT … SELECT`` over the rows. DuckDB scans the Arrow table in place
through a relation's ``query`` (its view lives for that one statement and keeps nothing until the
commit, measured over 40 batches), so the rows are not copied twice; PostgreSQL stages them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import pyarrow as pa
from psycopg import sql as pgsql
from sqlalchemy import Column, Connection, Insert, MetaData, Table
from sqlalchemy.sql.expression import TableClause

#: Builds the INSERT … SELECT that reads the rows, given the relation they are readable as.
InsertFrom = Callable[[TableClause], Insert]


class Backend(Protocol):
    """The backend-specific half of a store."""

    name: str

    def stage(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table
    ) -> Iterator[TableClause]:
        """Make ``data`` readable as the relation ``name`` inside ``conn``'s transaction."""
        ...

    def append(self, conn: Connection, target: Table, data: pa.Table) -> None:
        """Insert ``data``, which holds every column of ``target``, into ``target`` without staging."""
        ...

    def insert_select(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table, statement: InsertFrom
    ) -> int:
        """Run ``statement(relation)`` with ``data`` readable as ``relation`` (named ``name``) once;
        returns how many rows it inserted."""
        ...


class DuckDBBackend:
    """Copies the Arrow table into a temporary table through DuckDB's Arrow scan."""

    name = "duckdb"

    @contextmanager
    def stage(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table
    ) -> Iterator[TableClause]:
        staged = _temporary(name, columns)
        staged.create(conn)
        # The raw connection must be the engine's: a second duckdb.connect() on the same file
        # is refused ("different configuration"). insert_into matches columns by position.
        conn.connection.driver_connection.from_arrow(_contiguous(data, columns)).insert_into(name)
        yield staged
        # Not in a ``finally``: after an error the transaction is aborted and its rollback removes
        # the table anyway, while a DROP would only raise again and hide the cause.
        staged.drop(conn)

    def append(self, conn: Connection, target: Table, data: pa.Table) -> None:
        # Positional, so the columns go in the table's order; the Arrow scan is the whole insert.
        conn.connection.driver_connection.from_arrow(_contiguous(data, target.columns)).insert_into(target.name)

    def insert_select(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table, statement: InsertFrom
    ) -> int:
        relation = _temporary(name, columns)  # only names the columns for SQLAlchemy; never created
        # Rendered with literal values: a relation's query takes no parameters. The statement is
        # Core built by kpigov over the rows' own columns, so literals are its few constants.
        sql = str(statement(relation).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        rows = conn.connection.driver_connection.from_arrow(_contiguous(data, columns))
        # query() runs a statement that is not a SELECT at once (and once); its result is the count.
        counted = rows.query(name, sql).fetchall()
        return int(counted[0][0]) if counted else 0


class PostgresBackend:
    """COPYs the rows into a temporary table dropped when the staging ends (or the transaction)."""

    name = "postgresql"

    @contextmanager
    def stage(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table
    ) -> Iterator[TableClause]:
        staged = _temporary(name, columns, postgresql_on_commit="DROP")
        staged.create(conn)
        _copy(conn, name, [c.name for c in columns], data)
        yield staged
        # Not in a ``finally``: after an error the transaction is aborted and its rollback
        # removes the table anyway, while a DROP would only raise again and hide the cause.
        staged.drop(conn)

    def append(self, conn: Connection, target: Table, data: pa.Table) -> None:
        _copy(conn, target.name, [c.name for c in target.columns], data)

    def insert_select(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table, statement: InsertFrom
    ) -> int:
        with self.stage(conn, name, columns, data) as staged:
            # SQLAlchemy only reports an INSERT … SELECT's rowcount when asked to keep it.
            return conn.execute(statement(staged).execution_options(preserve_rowcount=True)).rowcount


def _copy(conn: Connection, table_name: str, names: Sequence[str], data: pa.Table) -> None:
    statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
        pgsql.Identifier(table_name), pgsql.SQL(", ").join(map(pgsql.Identifier, names))
    )
    values = [data.column(n).to_pylist() for n in names]
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)


def _contiguous(data: pa.Table, columns: Sequence[Column[Any]]) -> pa.Table:
    """``columns`` of ``data``, one chunk each (free when they already are)."""
    return data.select([c.name for c in columns]).combine_chunks()


def _temporary(name: str, columns: Sequence[Column[Any]], **options: Any) -> Table:
    """A temporary table of ``columns``' names and types."""
    return Table(name, MetaData(), *(Column(c.name, c.type) for c in columns), prefixes=["TEMPORARY"], **options)


BACKENDS: dict[str, Backend] = {"duckdb": DuckDBBackend(), "postgresql": PostgresBackend()}
