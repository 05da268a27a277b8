"""Schema migrations: one registered step per version, applied in order inside one transaction.

A step upgrades a store from ``version - 1`` to ``version``. Steps are plain functions over a
SQLAlchemy ``Connection`` so they run unchanged on every backend; the registry refuses a second
step for the same version, and a test checks that the steps reach ``schema.SCHEMA_VERSION``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Column, Connection, MetaData, String, Table, func, insert, or_, select, update
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


@migration(7, "account-level link spam: mentions.has_link (backfilled), row_spam, link_spam")
def _v7_account_link_spam(conn: Connection) -> None:
    """Add the columns, then compute ``has_link`` for the stored texts.

    ``row_spam`` and ``link_spam`` stay null: the existing ``is_spam`` is all row-level (it may hold
    the per-text link verdict of earlier versions, which cannot be told apart from a handle
    pattern's) and is kept as such when an ingest first re-judges the account.
    """
    mentions = schema.mentions
    for column in (mentions.c.has_link, mentions.c.row_spam, mentions.c.link_spam):
        conn.execute(AddColumn(mentions, column))
    if conn.dialect.name == "postgresql":
        for index in mentions.indexes:
            index.create(conn, checkfirst=True)
    _backfill_has_link(conn)


def _backfill_has_link(conn: Connection, chunk: int = 50_000) -> None:
    """``has_link`` of every stored row with the ingest's own definition (Arrow's RE2, not SQL regex,
    whose dialects differ). Only texts containing "http" or "www." in any case can hold a link, so
    the database filters those and Arrow decides; the rest are false in one UPDATE."""
    from kpigov.ingest.accounts import contains_link  # deferred: the ingest layer imports the store

    mentions = schema.mentions
    lowered = func.lower(mentions.c.text)
    candidates = conn.execute(
        select(mentions.c.mention_id, mentions.c.text).where(or_(lowered.contains("http"), lowered.contains("www.")))
    )
    linked: list[str] = []
    while rows := candidates.fetchmany(chunk):
        ids, texts = zip(*rows, strict=True)
        hits = contains_link(pa.array(texts, pa.string()))
        linked.extend(pa.array(ids, pa.string()).filter(hits).to_pylist())
    found = Table("kpigov_linked", MetaData(), Column("mention_id", String(64)), prefixes=["TEMPORARY"])
    found.create(conn)
    if linked:
        conn.execute(insert(found), [{"mention_id": i} for i in linked])
    conn.execute(update(mentions).values(has_link=mentions.c.mention_id.in_(select(found.c.mention_id))))
    found.drop(conn)


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
