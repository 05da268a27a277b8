"""Small builders shared by the ingestion tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from kpigov.ingest import DedupRules, IngestRules, KeywordEntityResolver
from kpigov.store import Store, schema

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ingest"
RESOLVER = KeywordEntityResolver({"acme": ["acme", "@acme"], "globex": ["globex"]})
PLAIN_RULES = IngestRules(DedupRules(collapse_reposts=True, quotes_count_as_mentions=True,
                                     cross_platform_window=None, min_text_length_for_text_dedup=10))
TEXT_DEDUP = IngestRules(DedupRules(True, True, timedelta(hours=1), 10))


def write_canonical(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """A canonical Parquet file from row dicts (missing columns are left out of the file)."""
    rows = list(rows)
    names = sorted({k for r in rows for k in r})
    pq.write_table(pa.Table.from_pylist([{n: r.get(n) for n in names} for r in rows]), path)
    return path


def mentions(store: Store, *columns: str) -> list[tuple[Any, ...]]:
    """Selected columns of every stored mention, ordered by platform and native id."""
    m = schema.mentions
    with store.transaction() as conn:
        rows = conn.execute(select(*(m.c[c] for c in columns)).order_by(m.c.platform, m.c.native_id)).all()
    return [tuple(r) for r in rows]


def quarantined(store: Store) -> list[tuple[int, str]]:
    q = schema.quarantine
    with store.transaction() as conn:
        return [tuple(r) for r in conn.execute(select(q.c.row_number, q.c.reason).order_by(q.c.row_number))]
