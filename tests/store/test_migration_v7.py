"""Schema version 7: a version-6 store gains has_link (computed for its rows), row_spam and link_spam."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Column, MetaData, Table, create_engine, insert, select

from kpigov.ingest import BotRules, DedupRules, IngestRules, ingest_file
from kpigov.store import Store, open_store, schema

_ADDED_IN_V7 = {"has_link", "row_spam", "link_spam"}
RULES = IngestRules(DedupRules(True, True, None, 10), bots=BotRules(max_link_ratio=0.5))

TEXTS = {  # native_id -> (text, holds a link by the ingest's definition)
    "1": ("deals HTTPS://spam.example/x", True),
    "2": ("visit www.acme.example today", True),
    "3": ("a bare http:// is no link", False),
    "4": ("acme shoes are fine", False),
    "5": (None, False),
    "6": ("WwW.caps.example", True),
}


def _v6_metadata() -> MetaData:
    v6 = MetaData()
    for table in schema.metadata.sorted_tables:
        columns = [Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, autoincrement=False)
                   for c in table.columns if not (table.name == "mentions" and c.name in _ADDED_IN_V7)]
        Table(table.name, v6, *columns)
    return v6


def _mention(native_id: str, text: str | None, *, is_spam: bool) -> dict[str, object]:
    return {"mention_id": f"m{native_id}", "platform": "x", "native_id": native_id, "entity": "acme",
            "author_id": "acct", "author_handle": "acct", "created_at": datetime(2024, 1, int(native_id)), "text": text,
            "likes": 0, "shares": 0, "comments": 0, "source": "x", "ingest_batch": "old", "content_hash": f"h{native_id}",
            "is_bot": False, "is_spam": is_spam, "is_employee": False}


def test_version_6_store_gets_has_link_and_keeps_its_spam_flags(store_url: str, tmp_path: Path) -> None:
    engine = create_engine(store_url)
    v6 = _v6_metadata()
    v6.create_all(engine)
    with engine.begin() as conn:
        # "1" was flagged by the per-text link rule of version 6: the migration cannot tell it from a handle
        # pattern, so it stays spam; the account judgement later adds to it, never clears it.
        conn.execute(insert(v6.tables["mentions"]), [_mention(n, t, is_spam=n == "1") for n, (t, _) in TEXTS.items()])
        conn.execute(insert(v6.tables["kpigov_store_meta"]), [{"key": "schema_version", "value": "6"}])
    engine.dispose()

    m = schema.mentions
    with open_store(store_url, create=False) as store:
        assert store.schema_version == schema.SCHEMA_VERSION
        with store.transaction() as conn:
            rows = conn.execute(select(m.c.native_id, m.c.has_link, m.c.row_spam, m.c.link_spam, m.c.is_spam)
                                .order_by(m.c.native_id)).all()
        assert [tuple(r) for r in rows] == [(n, link, None, None, n == "1") for n, (_, link) in TEXTS.items()]

        # 3 of 6 posts hold a link: not more than half. One more plain post keeps it so; the old flag stays.
        ingest_file(store, _one(tmp_path / "7.parquet", "7", "ok"), "canonical", rules=RULES)
        assert _column(store, "is_spam") == _column(store, "row_spam") == {n: n == "1" for n in "1234567"}

        # A lower ratio makes the account link spam (4 of 8): every row is flagged ...
        ingest_file(store, _one(tmp_path / "8.parquet", "8", "https://x.example"), "canonical",
                    rules=replace(RULES, bots=BotRules(max_link_ratio=0.4)))
        assert _column(store, "is_spam") == dict.fromkeys("12345678", True)
        # ... and when the account falls back below the ratio, the old row-level flag survives.
        ingest_file(store, _one(tmp_path / "9.parquet", "9", "fine"), "canonical", rules=RULES)
        assert _column(store, "is_spam") == {n: n == "1" for n in "123456789"}  # 4 of 9 is not more than half


def _one(path: Path, native_id: str, text: str) -> Path:
    pq.write_table(pa.Table.from_pylist([{"platform": "x", "native_id": native_id, "entity": "acme", "author_id": "acct",
                                          "author_handle": "acct", "created_at": datetime(2024, 1, int(native_id)),
                                          "text": text}]), path)
    return path


def _column(store: Store, name: str) -> dict[str, object]:
    m = schema.mentions
    with store.transaction() as conn:
        return dict(conn.execute(select(m.c.native_id, m.c[name])).all())
