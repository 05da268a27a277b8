"""Inline test mentions → complete rows of the canonical ``mentions`` table.

A test states only the columns it is about; every other NOT NULL column gets the value an ingest
of a clean, original post would give it (no flags, no engagement, its own id and content hash), so
a KPI filter that excludes bots or duplicates sees exactly the rows the author marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime

from kpigov.ingest.text import content_hash, mention_id
from kpigov.store.schema import mentions

TEST_SOURCE = "policy-test"


def complete_rows(rows: Sequence[Mapping[str, Any]], created_at: datetime) -> list[dict[str, Any]]:
    """Rows with every column of ``mentions``; ``created_at`` is the default posting time."""
    completed = []
    for index, given in enumerate(rows, start=1):
        platform = given.get("platform", "x")
        native_id = given.get("native_id", f"{TEST_SOURCE}-{index}")
        row: dict[str, Any] = {column.name: None for column in mentions.c}
        row.update(platform=platform, native_id=native_id, mention_id=mention_id(platform, native_id),
                   created_at=created_at, likes=0, shares=0, comments=0, is_bot=False, is_spam=False,
                   is_employee=False, source=TEST_SOURCE, ingest_batch=TEST_SOURCE,
                   content_hash=content_hash(given.get("text")))
        row.update({name: _typed(name, value) for name, value in given.items()})
        completed.append(row)
    return completed


def _typed(name: str, value: Any) -> Any:
    """ISO date-time strings become datetimes for timestamp columns (validated when the file loaded)."""
    if isinstance(value, str) and isinstance(mentions.c[name].type, DateTime):
        return datetime.fromisoformat(value)
    return value


__all__ = ["TEST_SOURCE", "complete_rows"]
