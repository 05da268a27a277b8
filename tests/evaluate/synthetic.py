"""A seeded synthetic mention table with every column measures read, loaded the store's fast way.

Rows span the weeks before the as-of date used by the tests, over the example repository's
entities, platforms and topics, with duplicates, bots, spam, employees, CIB clusters, unscored
rows and null engagement counts, so every filter and measure branch meets real cases.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from kpigov.store import Store, schema
from kpigov.store.arrow import arrow_schema

AS_OF = date(2026, 11, 22)  # a Sunday: the weekly period is Mon 16 .. Sun 22 November
ENTITIES = ("stridewell", "apexrun", "kinetiq", "volta")
PLATFORMS = ("x", "reddit", "youtube", "weibo", "vk")
TOPICS = ("price", "launch", "delivery", "sizing", "customer_service", "durability", "design", None)


def synthetic_mentions(rows: int = 30_000, *, seed: int = 7, start: date = date(2026, 8, 1), end: date = AS_OF) -> pa.Table:
    rng = np.random.default_rng(seed)
    seconds = int((datetime.combine(end + timedelta(days=1), datetime.min.time())
                   - datetime.combine(start, datetime.min.time())).total_seconds())
    created = [datetime.combine(start, datetime.min.time()) + timedelta(seconds=int(s))
               for s in rng.integers(0, seconds, rows)]
    entity = rng.choice(len(ENTITIES), rows, p=[0.4, 0.25, 0.2, 0.15])
    score = np.round(rng.uniform(-1, 1, rows), 4)
    scored = rng.random(rows) > 0.02
    views = rng.integers(0, 5000, rows).astype(float)
    views_known = rng.random(rows) > 0.3
    ids = [f"m{i:07d}" for i in range(rows)]
    duplicate = rng.random(rows) < 0.05
    cib = rng.random(rows) < 0.01
    data = {
        "mention_id": ids,
        "platform": [PLATFORMS[i] for i in rng.choice(len(PLATFORMS), rows, p=[0.35, 0.25, 0.2, 0.1, 0.1])],
        "native_id": [str(i) for i in range(rows)],
        "entity": [ENTITIES[i] for i in entity],
        "created_at": created,
        "likes": rng.integers(0, 400, rows),
        "shares": rng.integers(0, 50, rows),
        "comments": rng.integers(0, 30, rows),
        "views": [int(v) if k else None for v, k in zip(views, views_known)],
        "topic": [TOPICS[i] for i in rng.integers(0, len(TOPICS), rows)],
        "source": ["synthetic"] * rows,
        "ingest_batch": ["b1"] * rows,
        "content_hash": [f"h{i}" for i in range(rows)],
        "sentiment_score": [float(s) if k else None for s, k in zip(score, scored)],
        "sentiment_label": [("positive" if s >= 0.05 else "negative" if s <= -0.05 else "neutral") if k else None
                            for s, k in zip(score, scored)],
        "duplicate_of": [ids[i - 1] if d and i else None for i, d in enumerate(duplicate)],
        "is_bot": rng.random(rows) < 0.03,
        "is_spam": rng.random(rows) < 0.02,
        "is_employee": rng.random(rows) < 0.01,
        "cib_cluster": [f"c{i % 3}" if c else None for i, c in enumerate(cib)],
    }
    target = arrow_schema(schema.mentions)
    return pa.table({f.name: pa.array(data.get(f.name, [None] * rows), f.type) for f in target}, schema=target)


def load(store: Store, table: pa.Table) -> None:
    """Insert ``table`` into ``mentions`` through the backend's staging fast path."""
    columns = list(schema.mentions.columns)
    with store.transaction() as conn, store.stage(conn, "staged_mentions", columns, table) as staged:
        names = [c.name for c in columns]
        conn.execute(sa.insert(schema.mentions).from_select(names, sa.select(*(staged.c[n] for n in names))))
