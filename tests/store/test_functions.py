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
