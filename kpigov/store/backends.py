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

``insert_select`` inserts into a table what one ``SELECT`` over the rows gives. DuckDB scans the
Arrow table in place through a relation's ``query`` (its view lives for that one statement and keeps
nothing until the commit, measured over 40 batches), so the rows are not copied twice; PostgreSQL
stages them, and skips rows whose primary key another transaction committed after the SELECT
looked (``ON CONFLICT DO NOTHING``): two ingests of overlapping files at once then both succeed
instead of one failing on the key (``tests/ingest/test_concurrent.py``). A DuckDB file has one
writing process, and its ``mentions`` no key.

``serialize`` makes transactions doing the same kind of work take turns. Judging mentions (dedup,
link ratio, CIB) reads rows other writers may be adding: two ingests judging at once would each
miss the other's rows (a write skew that READ COMMITTED allows). PostgreSQL takes a transaction-
level advisory lock, released by the commit or rollback; DuckDB has one writing process per file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import pyarrow as pa
from psycopg import sql as pgsql
from sqlalchemy import BigInteger, Column, Connection, MetaData, Select, Table, func, insert, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.expression import TableClause

#: Builds the SELECT of the rows to insert (every column of the target, in its order), given the
#: relation the staged rows are readable as.
RowsFrom = Callable[[TableClause], Select[Any]]


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
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table, target: Table, rows: RowsFrom
    ) -> int:
        """Insert into ``target`` the rows ``rows(relation)`` selects, with ``data`` readable as
        ``relation`` (named ``name``, of ``columns``) for that one statement; returns how many."""
        ...

    def serialize(self, conn: Connection, purpose: str) -> None:
        """Wait until no other transaction holds ``purpose``, then hold it until this one ends."""
        ...


class DuckDBBackend:
    """Reads Arrow tables with DuckDB's Arrow scan: in place for one statement, or copied into a
    temporary table for several."""

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
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table, target: Table, rows: RowsFrom
    ) -> int:
        relation = _temporary(name, columns)  # only names the columns for SQLAlchemy; never created
        statement = insert(target).from_select([c.name for c in target.columns], rows(relation))
        # Rendered with literal values: a relation's query takes no parameters. The statement is
        # Core built by kpigov over the rows' own columns, so literals are its few constants.
        sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        scanned = conn.connection.driver_connection.from_arrow(_contiguous(data, columns))
        # query() runs a statement that is not a SELECT at once (and once); its result is the count.
        counted = scanned.query(name, sql).fetchall()
        return int(counted[0][0]) if counted else 0

    def serialize(self, conn: Connection, purpose: str) -> None:
        """Nothing to do: one process writes a DuckDB file (a second one cannot open it)."""


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
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table, target: Table, rows: RowsFrom
    ) -> int:
        with self.stage(conn, name, columns, data) as staged:
            statement = postgresql.insert(target).from_select([c.name for c in target.columns], rows(staged))
            if target.primary_key:  # a row another transaction committed meanwhile is left to it
                statement = statement.on_conflict_do_nothing(index_elements=list(target.primary_key.columns))
            # SQLAlchemy only reports an INSERT … SELECT's rowcount when asked to keep it.
            return conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount

    def serialize(self, conn: Connection, purpose: str) -> None:
        conn.execute(select(func.pg_advisory_xact_lock(literal(_lock_key(purpose), BigInteger))))


def _lock_key(purpose: str) -> int:
    """A stable signed 64-bit advisory lock key for ``purpose``."""
    return int.from_bytes(hashlib.sha256(f"kpigov:{purpose}".encode()).digest()[:8], "big", signed=True)


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
