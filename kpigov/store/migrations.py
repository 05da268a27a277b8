"""Schema migrations: one registered step per version, applied in order inside one transaction.

A step upgrades a store from ``version - 1`` to ``version``. Steps are plain functions over a
SQLAlchemy ``Connection`` so they run unchanged on every backend; the registry refuses a second
step for the same version, and a test checks that the steps reach ``schema.SCHEMA_VERSION``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler

from kpigov.store import schema
from kpigov.store.errors import MigrationError

MigrationStep = Callable[[Connection], None]


@dataclass(frozen=True)
class Migration:
    """Upgrades a store to ``version`` from the version just before it."""

    version: int
    description: str
    apply: MigrationStep


MIGRATIONS: dict[int, Migration] = {}


def migration(version: int, description: str) -> Callable[[MigrationStep], MigrationStep]:
    """Register ``fn`` as the step reaching ``version``; a duplicate version is a programming error."""

    def register(fn: MigrationStep) -> MigrationStep:
        if version in MIGRATIONS:
            raise ValueError(f"migration to schema version {version} is already registered")
        MIGRATIONS[version] = Migration(version, description, fn)
        return fn

    return register


class AddColumn(ExecutableDDLElement):
    """``ALTER TABLE … ADD COLUMN``, which SQLAlchemy Core does not ship (Alembic does)."""

    def __init__(self, table: Table, column: Column[Any]) -> None:
        self.table = table
        self.column = column


@compiles(AddColumn)
def _compile_add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    table = compiler.preparer.format_table(element.table)
    return f"ALTER TABLE {table} ADD COLUMN {compiler.get_column_specification(element.column)}"


class AlterColumnType(ExecutableDDLElement):
    """``ALTER TABLE … ALTER COLUMN … TYPE …`` to the column's current declared type."""

    def __init__(self, table: Table, column: Column[Any]) -> None:
        self.table = table
        self.column = column


@compiles(AlterColumnType)
def _compile_alter_column_type(element: AlterColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    table = compiler.preparer.format_table(element.table)
    column = compiler.preparer.format_column(element.column)
    type_ = compiler.dialect.type_compiler_instance.process(element.column.type)
    return f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {type_}"


@migration(2, "ingest_batches.file_name; PostgreSQL lookup indexes for dedup and flags")
def _v2_file_name_and_indexes(conn: Connection) -> None:
    conn.execute(AddColumn(schema.ingest_batches, schema.ingest_batches.c.file_name))
    if conn.dialect.name == "postgresql":
        for index in schema.mentions.indexes:
            index.create(conn, checkfirst=True)


@migration(3, "evaluation runs: runs, kpi_results, alerts outbox, overrides")
def _v3_evaluation_runs(conn: Connection) -> None:
    for table in (schema.runs, schema.kpi_results, schema.alerts, schema.overrides):
        table.create(conn)


@migration(4, "audit trail: audit_log and audit_checkpoints")
def _v4_audit_trail(conn: Connection) -> None:
    for table in (schema.audit_log, schema.audit_checkpoints):
        table.create(conn, checkfirst=True)


@migration(5, "double precision for scores and KPI values (SQLAlchemy Float is a 4-byte REAL on DuckDB)")
def _v5_double_precision(conn: Connection) -> None:
    for column in (schema.mentions.c.sentiment_score, schema.outcomes.c.value, schema.kpi_results.c.value,
                   schema.kpi_results.c.baseline, schema.kpi_results.c.change):
        conn.execute(AlterColumnType(column.table, column))


@migration(6, "retention and publication: mentions.deleted_at_source, privacy_spend budget ledger")
def _v6_deleted_at_source_and_privacy_spend(conn: Connection) -> None:
    conn.execute(AddColumn(schema.mentions, schema.mentions.c.deleted_at_source))
    schema.privacy_spend.create(conn, checkfirst=True)


def read_version(conn: Connection) -> int | None:
    """The store's ``schema_version``, or None when the meta table has no such row."""
    value = conn.execute(
        select(schema.store_meta.c.value).where(schema.store_meta.c.key == "schema_version")
    ).scalar_one_or_none()
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise MigrationError(f"kpigov_store_meta.schema_version is not an integer: {value!r}") from exc


def write_version(conn: Connection, version: int) -> None:
    """Record ``version`` as the store's schema version (insert or update)."""
    meta = schema.store_meta
    updated = conn.execute(
        meta.update().where(meta.c.key == "schema_version").values(value=str(version))
    ).rowcount
    if not updated:
        conn.execute(meta.insert().values(key="schema_version", value=str(version)))


def upgrade(conn: Connection, from_version: int, to_version: int = schema.SCHEMA_VERSION) -> list[Migration]:
    """Apply every step after ``from_version`` up to ``to_version``; returns the steps applied.

    Runs inside the caller's transaction, so a failing step leaves the store at ``from_version``.
    """
    applied: list[Migration] = []
    for version in range(from_version + 1, to_version + 1):
        step = MIGRATIONS.get(version)
        if step is None:
            raise MigrationError(f"no migration registered to reach schema version {version}")
        try:
            step.apply(conn)
        except MigrationError:
            raise
        except Exception as exc:
            raise MigrationError(
                f"migration to schema version {version} ({step.description}) failed: {exc}"
            ) from exc
        write_version(conn, version)
        applied.append(step)
    return applied
