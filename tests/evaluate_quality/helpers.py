"""Stores filled with canonical mention rows for gate tests and the gate benchmark.

Rows come from the seeded sample generator; the columns ingestion would derive are filled here
directly (serial ids, seeded sentiment), so a store of any size loads through the backend's native
Arrow path in seconds instead of running the whole ingest pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import insert, select

from kpigov.sample import generate, generate_outcomes
from kpigov.store import Store, schema

POSITIVE_AT, NEGATIVE_AT = 0.05, -0.05


def canonical(batch: pa.RecordBatch, first_serial: int, rng: np.random.Generator) -> pa.Table:
    """A generated batch with ids, lower-case entities, content hashes and sentiment filled in."""
    rows = pa.Table.from_batches([batch])
    serials = np.arange(first_serial, first_serial + rows.num_rows)
    ids = pa.array(np.char.add("m", serials.astype(str)))
    scores = rng.uniform(-1.0, 1.0, rows.num_rows)
    labels = np.where(scores >= POSITIVE_AT, "positive", np.where(scores <= NEGATIVE_AT, "negative", "neutral"))
    filled = {
        "mention_id": ids,
        "entity": pc.utf8_lower(rows.column("entity")),
        "content_hash": ids,
        "sentiment_score": pa.array(scores),
        "sentiment_label": pa.array(labels),
    }
    for name, values in filled.items():
        rows = rows.set_column(rows.schema.get_field_index(name), name, values)
    return rows


def load_mentions(store: Store, batches: Iterable[pa.RecordBatch], seed: int = 7) -> int:
    """Insert canonical versions of ``batches`` into ``mentions``; returns the number of rows."""
    rng = np.random.default_rng(seed)
    loaded = 0
    columns = list(schema.mentions.columns)
    with store.transaction() as conn:
        for batch in batches:
            rows = canonical(batch, loaded, rng)
            with store.stage(conn, "gate_sample", columns, rows) as staged:
                conn.execute(insert(schema.mentions).from_select([c.name for c in columns], select(*staged.c)))
            loaded += rows.num_rows
    return loaded


def load_sample(store: Store, start: date, end: date, mentions_per_day: int) -> int:
    """Generated mentions and the outcome series of the same period; returns the mention count."""
    count = load_mentions(store, generate(start=start, end=end, mentions_per_day=mentions_per_day))
    outcomes = generate_outcomes(start=start, end=end, mentions_per_day=mentions_per_day)
    with store.transaction() as conn:
        conn.execute(insert(schema.outcomes), outcomes.to_pylist())
    return count
