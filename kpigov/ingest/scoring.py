"""Sentiment for canonical, not yet scored rows, through a scorer supplied by ``kpigov.sentiment``.

Only canonical rows are scored (duplicates take their canonical row's meaning), each distinct
text once; the scorer's fingerprint is stored so a lexicon change can be re-scored later.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa
from sqlalchemy import Connection, select, update

from kpigov.store import schema
from kpigov.store.store import Store

m = schema.mentions


class SentimentScorer(Protocol):
    fingerprint: str

    def score_texts(self, texts: list[str]) -> list[float]: ...

    def label(self, score: float) -> str: ...


def score_unscored(store: Store, conn: Connection, scorer: SentimentScorer, chunk_size: int) -> int:
    """Score every canonical row with text and no score yet; returns how many rows were scored."""
    pending = conn.execute(
        select(m.c.mention_id, m.c.text).where(
            m.c.duplicate_of.is_(None), m.c.sentiment_score.is_(None), m.c.text.is_not(None)
        )
    ).all()
    scored = 0
    for start in range(0, len(pending), chunk_size):
        chunk = pending[start : start + chunk_size]
        texts = list(dict.fromkeys(text for _, text in chunk))
        scores = dict(zip(texts, scorer.score_texts(texts), strict=True))
        values = [scores[text] for _, text in chunk]
        staged = pa.table(
            {
                "mention_id": [mention for mention, _ in chunk],
                "sentiment_score": pa.array(values, pa.float64()),
                "sentiment_label": [scorer.label(v) for v in values],
                "lexicon_fingerprint": [scorer.fingerprint] * len(chunk),
            }
        )
        columns = [m.c.mention_id, m.c.sentiment_score, m.c.sentiment_label, m.c.lexicon_fingerprint]
        with store.stage(conn, "kpigov_scores", columns, staged) as scores_table:
            conn.execute(
                update(m)
                .values(
                    sentiment_score=scores_table.c.sentiment_score,
                    sentiment_label=scores_table.c.sentiment_label,
                    lexicon_fingerprint=scores_table.c.lexicon_fingerprint,
                )
                .where(m.c.mention_id == scores_table.c.mention_id)
            )
        scored += len(chunk)
    return scored
