"""Scores as a store holds them, read back for audits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kpigov.store import Store, schema


@dataclass(frozen=True, slots=True)
class ScoredMentions:
    """Parallel columns of the scored canonical mentions (duplicates carry their canonical row's meaning)."""

    texts: list[str]
    scores: list[float]
    languages: list[str | None]


def scored_mentions(store: Store) -> ScoredMentions:
    m = schema.mentions
    query = select(m.c.text, m.c.sentiment_score, m.c.language).where(
        m.c.duplicate_of.is_(None), m.c.sentiment_score.is_not(None), m.c.text.is_not(None)
    )
    with store.transaction() as conn:
        rows = conn.execute(query).all()
    return ScoredMentions([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
