"""Opening, creating, refusing and migrating stores, on DuckDB and PostgreSQL alike."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Column, Float, MetaData, String, Table, create_engine, func, insert, inspect, select, update

from kpigov.store import (
    NotAKpigovStoreError,
    StoreNotFoundError,
    StoreTooNewError,
    StoreUnreachableError,
    StoreURLError,
    open_store,
    schema,
)
from kpigov.store.migrations import MIGRATIONS, migration


def test_create_then_reopen_records_the_schema_version(store_url: str) -> None:
    with open_store(store_url, create=True) as store:
        assert store.schema_version == schema.SCHEMA_VERSION
    with open_store(store_url, create=False) as store, store.transaction() as conn:
        version = conn.execute(select(schema.store_meta.c.value).where(schema.store_meta.c.key == "schema_version"))
        assert version.scalar_one() == str(schema.SCHEMA_VERSION)
        assert set(schema.metadata.tables) <= set(inspect(conn).get_table_names())


def test_missing_duckdb_file_is_not_created_without_create(tmp_path: Path) -> None:
    path = tmp_path / "absent.duckdb"
    with pytest.raises(StoreNotFoundError, match="does not exist"):
        open_store(f"duckdb:///{path}", create=False)
    assert not path.exists()


@pytest.mark.postgres
def test_empty_postgres_schema_without_create_is_not_found(pg_url: str) -> None:
    with pytest.raises(StoreNotFoundError, match="holds no kpigov store"):
        open_store(pg_url, create=False)


def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(StoreUnreachableError, match="cannot open store postgresql"):
        open_store("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2", create=True)


def test_password_never_shows_in_errors() -> None:
    with pytest.raises(StoreUnreachableError) as caught:
        open_store("postgresql+psycopg://me:s3cret@127.0.0.1:1/none?connect_timeout=2", create=True)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("url", ["not a url", "mysql://localhost/kpigov", "sqlite:///x.db"])
def test_bad_or_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreURLError):
        open_store(url, create=True)


def test_newer_store_is_refused(store_url: str) -> None:
    with open_store(store_url, create=True) as store, store.transaction() as conn:
        conn.execute(update(schema.store_meta).values(value=str(schema.SCHEMA_VERSION + 7)))
    with pytest.raises(StoreTooNewError, match="upgrade kpigov") as caught:
        open_store(store_url, create=False)
    assert caught.value.found == schema.SCHEMA_VERSION + 7


def test_foreign_tables_with_kpigov_names_are_refused(store_url: str) -> None:
    engine = create_engine(store_url)
    Table("mentions", MetaData(), Column("id", String(10))).create(engine)
    engine.dispose()
    with pytest.raises(NotAKpigovStoreError, match="mentions"):
        open_store(store_url, create=True)


#: Tables later migrations create (3: evaluation runs, 4: audit trail).
_ADDED_AFTER_V1 = {"runs", "kpi_results", "alerts", "overrides", "audit_log", "audit_checkpoints", "privacy_spend"}
#: Columns later migrations add to tables that version 1 had.
_COLUMNS_ADDED_AFTER_V1 = {("ingest_batches", "file_name"), ("mentions", "deleted_at_source"), ("mentions", "has_link"),
                           ("mentions", "row_spam"), ("mentions", "link_spam")}
#: Version 1 declared these as SQLAlchemy Float, a 4-byte REAL on DuckDB (migration 5 widens them).
_REAL_IN_V1 = {("mentions", "sentiment_score"), ("outcomes", "value")}


def _v1_metadata() -> MetaData:
    """The schema as version 1 shipped it: ingest_batches without file_name, no indexes."""
    v1 = MetaData()
    for table in schema.metadata.sorted_tables:
        if table.name in _ADDED_AFTER_V1:
            continue
        columns = [Column(c.name, Float() if (table.name, c.name) in _REAL_IN_V1 else c.type,
                          primary_key=c.primary_key, nullable=c.nullable, autoincrement=False)
                   for c in table.columns if (table.name, c.name) not in _COLUMNS_ADDED_AFTER_V1]
        Table(table.name, v1, *columns)
    return v1


def test_version_1_store_is_migrated_with_its_data(store_url: str) -> None:
    engine = create_engine(store_url)
    v1 = _v1_metadata()
    v1.create_all(engine)
    batch = {"ingest_batch": "b1", "source": "x", "file_sha256": "0" * 64, "started_at": datetime(2024, 1, 1),
             "rows_read": 1, "rows_loaded": 1, "rows_quarantined": 0, "rows_already_present": 0}
    mention = {"mention_id": "m1", "platform": "x", "native_id": "1", "entity": "acme", "created_at": datetime(2024, 1, 1),
               "likes": 3, "shares": 0, "comments": 0, "source": "x", "ingest_batch": "b1", "content_hash": "h",
               "is_bot": False, "is_spam": False, "is_employee": False}
    with engine.begin() as conn:
        conn.execute(insert(v1.tables["ingest_batches"]), [batch])
        conn.execute(insert(v1.tables["mentions"]), [mention])
        conn.execute(insert(v1.tables["kpigov_store_meta"]), [{"key": "schema_version", "value": "1"}])
    engine.dispose()

    with open_store(store_url, create=False) as store, store.transaction() as conn:
        assert store.schema_version == schema.SCHEMA_VERSION
        assert conn.execute(select(schema.mentions.c.likes)).scalar_one() == 3
        assert conn.execute(select(schema.ingest_batches.c.ingest_batch, schema.ingest_batches.c.file_name)).one() == ("b1", None)
        conn.execute(update(schema.mentions).values(sentiment_score=0.1))
        assert conn.execute(select(schema.mentions.c.sentiment_score)).scalar_one() == 0.1  # double, not REAL
        if conn.dialect.name == "postgresql":  # the indexes are PostgreSQL-only by design
            indexes = {i["name"] for i in inspect(conn).get_indexes("mentions")}
            assert {i.name for i in schema.mentions.indexes} <= indexes


def test_migrations_reach_the_code_schema_version_without_gaps() -> None:
    assert sorted(MIGRATIONS) == list(range(2, schema.SCHEMA_VERSION + 1))


def test_registering_a_second_migration_for_a_version_raises() -> None:
    with pytest.raises(ValueError, match="already registered"):
        migration(2, "again")(lambda conn: None)


def test_duckdb_file_locked_by_another_process_is_unreachable(duckdb_url: str) -> None:
    open_store(duckdb_url, create=True).close()
    path = duckdb_url.removeprefix("duckdb:///")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,sys,time; c=duckdb.connect({path!r}); print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreUnreachableError, match="cannot open store duckdb"):
            open_store(duckdb_url, create=False)
    finally:
        holder.kill()
        holder.wait()


def test_stage_exposes_arrow_rows_to_sql(store_url: str) -> None:
    data = pa.table({"mention_id": ["a", "b", None], "cib_cluster": ["x", "y", "z"]})
    columns = [schema.mentions.c.mention_id, schema.mentions.c.cib_cluster]
    with open_store(store_url, create=True) as store, store.transaction() as conn:
        with store.stage(conn, "kpigov_probe", columns, data) as staged:
            rows = conn.execute(select(staged.c.mention_id, staged.c.cib_cluster).order_by(staged.c.cib_cluster)).all()
            assert [tuple(r) for r in rows] == [("a", "x"), ("b", "y"), (None, "z")]
            assert conn.execute(select(func.count()).select_from(staged)).scalar_one() == 3


def test_duckdb_memory_is_bounded_by_default_and_the_url_wins(tmp_path: Path) -> None:
    def limit(url: str) -> str:
        with open_store(url, create=True) as store, store.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar_one()

    assert limit(f"duckdb:///{tmp_path / 'a.duckdb'}") == "366.2 MiB"  # 384MB, as DuckDB prints it
    assert limit(f"duckdb:///{tmp_path / 'b.duckdb'}?memory_limit=1GB") == "953.6 MiB"
