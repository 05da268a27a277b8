"""Opening a store: URL → engine → checked (created or migrated) schema.

The same SQLAlchemy Core code serves the embedded DuckDB file (the default) and PostgreSQL;
``Store.backend`` holds the little that differs (see ``kpigov.store.backends``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Column, Connection, Engine, Table, create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.sql.expression import Executable, TableClause

from kpigov.store import migrations, schema
from kpigov.store.backends import BACKENDS, Backend, RowsFrom
from kpigov.store.errors import (
    NotAKpigovStoreError,
    StoreNotFoundError,
    StoreTooNewError,
    StoreUnreachableError,
    StoreURLError,
)

DEFAULT_STORE_URL = "duckdb:///kpigov.duckdb"
#: DuckDB otherwise takes 80% of the machine's memory; a bounded default keeps a 10M-mention ingest
#: and evaluation under 1 GiB of peak RSS (docs/benchmarks.md: the ingest peaked at 1,268 MiB with
#: 512MB, the evaluation at 1,006 MiB; at 384MB the ingest ran as fast and the evaluation ~25%
#: slower). A ``memory_limit`` in the URL (``duckdb:///s.duckdb?memory_limit=4GB``) wins.
DEFAULT_DUCKDB_MEMORY_LIMIT = "384MB"


@dataclass(frozen=True)
class Store:
    """An opened, up-to-date mention store. Close it (or use ``with``) to release the file lock."""

    engine: Engine
    backend: Backend
    display_url: str
    schema_version: int

    def transaction(self) -> AbstractContextManager[Connection]:
        """A connection inside one transaction: committed on success, rolled back on any error."""
        return self.engine.begin()

    def stage(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table
    ) -> AbstractContextManager[TableClause]:
        """Expose ``data`` as relation ``name`` in ``conn`` through the backend's native fast path."""
        return self.backend.stage(conn, name, columns, data)

    def append(self, conn: Connection, target: Table, data: pa.Table) -> None:
        """Insert ``data`` (every column of ``target``) straight into ``target`` by the native fast path."""
        self.backend.append(conn, target, data)

    def insert_select(
        self, conn: Connection, name: str, columns: Sequence[Column[Any]], data: pa.Table, target: Table, rows: RowsFrom
    ) -> int:
        """Insert into ``target`` what ``rows`` selects over ``data`` (readable as relation ``name`` of
        ``columns``), through the native fast path; returns how many rows went in. See
        :mod:`kpigov.store.backends` for what each backend does with concurrent writers."""
        return self.backend.insert_select(conn, name, columns, data, target, rows)

    def serialize(self, conn: Connection, purpose: str) -> None:
        """Make transactions doing ``purpose`` take turns: waits for any other one, and holds the
        turn until ``conn``'s transaction ends (PostgreSQL: an advisory lock; DuckDB: one writer)."""
        self.backend.serialize(conn, purpose)

    def fetch_arrow(self, conn: Connection, statement: Executable) -> pa.Table:
        """The rows of a Core ``statement`` as an Arrow table (see :func:`fetch_arrow`)."""
        return fetch_arrow(conn, statement)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def fetch_arrow(conn: Connection, statement: Executable) -> pa.Table:
    """Run ``statement`` on ``conn`` and return its rows as Arrow, columns named as selected.

    On DuckDB the result stays columnar end to end (no Python row objects, which cost more than the
    query on a few hundred thousand rows); elsewhere rows are transposed once. Types are inferred
    from the values, so callers cast where an empty result must still have a type.
    """
    compiled = statement.compile(conn)
    if conn.dialect.name == "duckdb":
        parameters = [compiled.params[name] for name in compiled.positiontup or ()]
        return conn.connection.driver_connection.sql(str(compiled), params=parameters).to_arrow_table()
    result = conn.execute(statement)
    names = list(result.keys())
    rows = result.all()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


def open_store(url: str | None = None, *, create: bool) -> Store:
    """Open the store at ``url`` (default: ``kpigov.duckdb`` in the working directory).

    With ``create`` an absent or empty store is created; an older store is migrated step by step;
    a newer one is refused. Every failure is a ``StoreError`` with a message fit for a user.
    """
    parsed = _parse(url or DEFAULT_STORE_URL)
    display = parsed.render_as_string(hide_password=True)
    backend = BACKENDS.get(parsed.get_backend_name())
    if backend is None:
        raise StoreURLError(
            f"unsupported store backend {parsed.get_backend_name()!r} in {display}; "
            f"use one of: {', '.join(sorted(BACKENDS))}"
        )
    if backend.name == "duckdb":
        _check_duckdb_file(parsed, display, create=create)
    parsed = with_engine_defaults(parsed)
    try:
        engine = create_engine(parsed)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreURLError(f"cannot use store URL {display}: {exc}") from exc
    try:
        version = _prepare(engine, display, create=create)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine=engine, backend=backend, display_url=display, schema_version=version)


def with_engine_defaults(url: URL) -> URL:
    """``url`` with kpigov's connection defaults (a bounded DuckDB memory limit).

    Every engine kpigov opens on a store goes through this: DuckDB refuses a second connection to
    the same file with a different configuration in one process.
    """
    if url.get_backend_name() == "duckdb" and "memory_limit" not in url.query:
        return url.update_query_dict({"memory_limit": DEFAULT_DUCKDB_MEMORY_LIMIT})
    return url


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreURLError(f"not a database URL: {url!r}") from exc


def _check_duckdb_file(parsed: URL, display: str, *, create: bool) -> None:
    """DuckDB creates a missing file on connect: look first, so ``create=False`` creates nothing."""
    database = parsed.database
    if not database or database == ":memory:":
        return
    path = Path(database)
    if path.exists():
        return
    if not create:
        raise StoreNotFoundError(f"no store at {display} (file {path} does not exist)")
    path.parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def _connected(engine: Engine, display: str) -> Iterator[Connection]:
    """A transaction on a fresh connection; failing to connect is a StoreUnreachableError."""
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise StoreUnreachableError(f"cannot open store {display}: {_first_line(exc.orig)}") from exc
    except duckdb.Error as exc:  # raised before SQLAlchemy can wrap it, e.g. a file locked by another process
        raise StoreUnreachableError(f"cannot open store {display}: {_first_line(exc)}") from exc
    with conn, conn.begin():
        yield conn


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if error and str(error).strip() else type(error).__name__


def _prepare(engine: Engine, display: str, *, create: bool) -> int:
    """Create, check or migrate the schema; returns the store's schema version after that."""
    with _connected(engine, display) as conn:
        tables = set(inspect(conn).get_table_names())
        if schema.store_meta.name in tables:
            version = migrations.read_version(conn)
            if version is None:
                raise NotAKpigovStoreError(f"{display}: kpigov_store_meta holds no schema_version")
            if version > schema.SCHEMA_VERSION:
                raise StoreTooNewError(version, schema.SCHEMA_VERSION)
            migrations.upgrade(conn, version)
            return schema.SCHEMA_VERSION
        clashing = sorted(tables & set(schema.metadata.tables))
        if clashing:
            raise NotAKpigovStoreError(
                f"{display} already has tables {', '.join(clashing)} but no kpigov_store_meta: "
                "not a kpigov store"
            )
        if not create:
            raise StoreNotFoundError(f"{display} holds no kpigov store; create it first")
        schema.metadata.create_all(conn)
        migrations.write_version(conn, schema.SCHEMA_VERSION)
        return schema.SCHEMA_VERSION



