"""``sha256_hex`` in SQL is hashlib's SHA-256 of the UTF-8 bytes, on every backend."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import literal, select

from kpigov.store import open_store
from kpigov.store.functions import sha256_hex

TEXTS = ["", "x:123", "Stridewell 这双鞋太好看了", "подошва отклеилась", "🔥 fire", "a\tb\nc", "ß İ ﬁ ｗ", "e\u0301"]


@pytest.mark.parametrize("text", TEXTS)
def test_sql_sha256_equals_hashlib(store_url: str, text: str) -> None:
    with open_store(store_url, create=True) as store, store.transaction() as conn:
        hashed = conn.execute(select(sha256_hex(literal(text)))).scalar_one()
    assert hashed == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_filtered_aggregates_equal_their_case_form(store_url: str) -> None:
    """FILTER (WHERE …) and the CASE spelling other warehouses get agree, NULLs and empty groups included."""
    from sqlalchemy import Column, Double, Integer, MetaData, String, Table, insert

    from kpigov.store.functions import case_form, filtered_count, filtered_sum

    t = Table("agg_probe", MetaData(), Column("g", Integer), Column("label", String(8)), Column("w", Double))
    rows = [{"g": i % 4, "label": (None, "pos", "neg", "neu")[i % 7 % 4], "w": None if i % 5 == 0 else i * 0.5}
            for i in range(200)] + [{"g": 9, "label": None, "w": None}]
    conditions = [t.c.label == "pos", t.c.label != "neg", t.c.w > 20, t.c.label.is_(None)]
    aggregates = [a for c in conditions for a in (filtered_count(c), filtered_sum(t.c.w, c))]
    with open_store(store_url, create=True) as store, store.transaction() as conn:
        t.create(conn)
        conn.execute(insert(t), rows)
        filtered = conn.execute(select(t.c.g, *aggregates).group_by(t.c.g).order_by(t.c.g)).all()
        spelled = conn.execute(select(t.c.g, *map(case_form, aggregates)).group_by(t.c.g).order_by(t.c.g)).all()
    assert filtered == spelled
    assert filtered[-1][1:] == (0, None, 0, None, 0, None, 1, None)  # group 9: a NULL condition never counts; sums NULL, not 0


def test_filtered_aggregates_fall_back_to_case_without_filter() -> None:
    from sqlalchemy import column, table
    from sqlalchemy.dialects import mssql, mysql

    from kpigov.store.functions import filtered_count, filtered_sum

    t = table("t", column("x"), column("y"))
    query = select(filtered_count(t.c.y == "a"), filtered_sum(t.c.x, t.c.x > 1))
    for dialect in (mysql.dialect(), mssql.dialect()):
        sql = str(query.compile(dialect=dialect))
        assert "FILTER" not in sql and sql.count("CASE WHEN") == 2, sql
