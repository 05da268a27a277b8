"""The canonical Parquet fast path: vectorised checks, the row-by-row fallback, computed columns."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import PLAIN_RULES, RESOLVER, mentions, quarantined, write_canonical
from kpigov.ingest import MalformedFileError, content_hash, ingest_file, mention_id
from kpigov.store import Store, open_store

T = datetime(2024, 5, 1, 10)


@pytest.fixture
def store(duckdb_url: str) -> Store:
    with open_store(duckdb_url, create=True) as opened:
        yield opened


def test_bad_rows_are_quarantined_with_reasons_and_the_rest_completed(store: Store, tmp_path: Path) -> None:
    rows = [
        {"platform": "x", "native_id": "1", "created_at": T, "text": "Acme!", "likes": 3, "is_bot": True, "mention_id": "forged"},
        {"platform": "x", "native_id": "", "created_at": T, "text": "acme", "likes": 1},
        {"platform": "x", "native_id": "3", "created_at": None, "text": "acme", "likes": 1},
        {"platform": "x", "native_id": "4", "created_at": T, "text": "acme", "likes": -2},
        {"platform": "x", "native_id": "5", "created_at": T, "text": "nothing tracked", "likes": 0},
        {"platform": "x", "native_id": "6", "created_at": T, "text": "globex", "likes": None, "entity": "acme"},
    ]
    report = ingest_file(store, write_canonical(tmp_path / "c.parquet", rows), "canonical", rules=PLAIN_RULES,
                         entity_resolver=RESOLVER)
    assert mentions(store, "native_id", "mention_id", "entity", "likes", "is_bot", "content_hash") == [
        ("1", mention_id("x", "1"), "acme", 3, False, content_hash("Acme!")),
        ("6", mention_id("x", "6"), "acme", 0, False, content_hash("globex")),
    ]
    assert quarantined(store) == [(2, "missing native_id"), (3, "missing created_at"), (4, "negative likes"),
                                  (5, "mentions no tracked entity")]
    assert report.rows_quarantined == 4


def test_uncastable_columns_fall_back_to_row_by_row_checks(store: Store, tmp_path: Path) -> None:
    table = pa.table({"platform": ["x", "x"], "native_id": ["1", "2"], "entity": ["acme", "acme"],
                      "created_at": pa.array([T, T], pa.timestamp("us")), "likes": ["7", "many"]})
    pq.write_table(table, tmp_path / "typed.parquet")
    ingest_file(store, tmp_path / "typed.parquet", "canonical", rules=PLAIN_RULES)
    assert quarantined(store) == [(1, "likes must be an integer, got str '7'"), (2, "likes must be an integer, got str 'many'")]


def test_timezone_aware_timestamps_are_stored_as_naive_utc(store: Store, tmp_path: Path) -> None:
    table = pa.table({"platform": ["x"], "native_id": ["1"], "entity": ["acme"],
                      "created_at": pa.array([datetime(2024, 5, 1, 12, tzinfo=UTC)], pa.timestamp("ms", tz="Europe/Paris"))})
    pq.write_table(table, tmp_path / "tz.parquet")
    ingest_file(store, tmp_path / "tz.parquet", "canonical", rules=PLAIN_RULES)
    assert mentions(store, "created_at") == [(datetime(2024, 5, 1, 12),)]


def test_foreign_columns_and_non_parquet_files_are_malformed(store: Store, tmp_path: Path) -> None:
    pq.write_table(pa.table({"platform": ["x"], "native_id": ["1"], "created_at": [T], "colour": ["red"]}), tmp_path / "f.parquet")
    with pytest.raises(MalformedFileError, match="not mention columns: colour"):
        ingest_file(store, tmp_path / "f.parquet", "canonical", rules=PLAIN_RULES)
    (tmp_path / "g.parquet").write_text("hello")
    with pytest.raises(MalformedFileError, match="not a readable Parquet file"):
        ingest_file(store, tmp_path / "g.parquet", "canonical", rules=PLAIN_RULES)


def test_ids_and_hashes_computed_vectorised_equal_the_python_definitions(store_url: str, tmp_path: Path) -> None:
    texts = ["Acme  rocks", "ACME @bob http://x.y ok", "Acme 这双鞋太好看了 @李", "acme ΣΑΣ ß ﬁne", None, "acme\x0b\x1c end "]
    rows = [{"platform": "x", "native_id": f"{i}é", "created_at": T, "text": t, "entity": "acme"} for i, t in enumerate(texts)]
    with open_store(store_url, create=True) as store:
        ingest_file(store, write_canonical(tmp_path / "u.parquet", rows), "canonical", rules=PLAIN_RULES)
        stored = mentions(store, "native_id", "mention_id", "content_hash")
    assert stored == [(f"{i}é", mention_id("x", f"{i}é"), content_hash(t)) for i, t in enumerate(texts)]
