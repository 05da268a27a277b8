"""From an adapter's draft dict to a checked ``mentions`` row, or to a quarantine reason.

Adapters translate a platform's field names; this module owns what a valid mention is, so every
adapter rejects the same things for the same reasons (missing id, unparseable date, negative
count, wrong type, over-long value, no tracked entity).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import String

from kpigov.ingest.entities import EntityResolver
from kpigov.store import schema
from kpigov.store.arrow import arrow_schema

NO_ENTITY = "mentions no tracked entity"

REQUIRED_TEXT_FIELDS = ("platform", "native_id")
_OPTIONAL_TEXT = (
    "entity", "author_id", "author_handle", "language", "text", "url",
    "reply_to", "quote_of", "repost_of", "geo", "topic",
)  # fmt: skip
COUNT_FIELDS = ("likes", "shares", "comments")  # the platform not reporting one means 0
OPTIONAL_COUNT_FIELDS = ("views", "author_followers", "author_posts")  # unknown stays null
#: Columns ingestion always computes itself, whatever a file says (a forged id would break idempotence).
DERIVED_FIELDS = frozenset(
    {"mention_id", "content_hash", "sentiment_score", "sentiment_label", "lexicon_fingerprint", "duplicate_of", "cib_cluster"}
)
DRAFT_FIELDS = frozenset(
    (*REQUIRED_TEXT_FIELDS, *_OPTIONAL_TEXT, *COUNT_FIELDS, *OPTIONAL_COUNT_FIELDS, "created_at", "author_created_at")
)
MAX_LENGTH = {
    c.name: c.type.length
    for c in schema.mentions.columns
    if isinstance(c.type, String) and c.type.length is not None
}


class RowRejected(Exception):
    """Raised while converting one row; the message is the quarantine reason."""


@dataclass(frozen=True)
class Quarantined:
    """A row kept aside with why: ``row_number`` is the record's line (or position) in the file."""

    row_number: int
    reason: str
    raw: str


@dataclass(frozen=True)
class AdapterChunk:
    """One batch out of an adapter: checked mentions (canonical Arrow schema) and rejected rows."""

    mentions: pa.Table
    quarantined: tuple[Quarantined, ...]
    rows_read: int


def raw_text(raw: Any) -> str:
    """The raw row as stored in ``quarantine.raw``: JSON when possible, else its repr."""
    try:
        return json.dumps(raw, ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return repr(raw)


def check_draft(
    draft: Mapping[str, Any], raw: Mapping[str, Any], resolver: EntityResolver | None
) -> dict[str, Any]:
    """A complete, typed row for ``rows_to_arrow``; raises RowRejected naming the first problem."""
    unknown = set(draft) - DRAFT_FIELDS
    if unknown:
        raise TypeError(f"adapter produced unknown fields {sorted(unknown)}")  # adapter bug, not data
    row: dict[str, Any] = {}
    for name in REQUIRED_TEXT_FIELDS:
        value = draft.get(name)
        if value is None or value == "":
            raise RowRejected(f"missing {name}")
        row[name] = _text(name, value)
    for name in _OPTIONAL_TEXT:
        value = draft.get(name)
        row[name] = None if value is None or value == "" else _text(name, value)
    for name in COUNT_FIELDS:
        row[name] = _count(name, draft.get(name), default=0)
    for name in OPTIONAL_COUNT_FIELDS:
        row[name] = _count(name, draft.get(name), default=None)
    created = draft.get("created_at")
    if created is None:
        raise RowRejected("missing created_at")
    row["created_at"] = _utc_naive("created_at", created)
    author_created = draft.get("author_created_at")
    row["author_created_at"] = None if author_created is None else _utc_naive("author_created_at", author_created)
    if row["entity"] is None and resolver is not None:
        row["entity"] = resolver(row["text"] or "", raw)
    if row["entity"] is None:
        raise RowRejected(NO_ENTITY)
    return row


def rows_to_arrow(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Checked rows → a table in the full ``mentions`` Arrow schema.

    ``mention_id``, ``content_hash``, ``source`` and ``ingest_batch`` stay null: the pipeline
    fills them for the whole batch (the hashes inside the database).
    """
    target = arrow_schema(schema.mentions)
    columns: dict[str, list[Any]] = {name: [] for name in target.names}
    for row in rows:
        for name in DRAFT_FIELDS:
            columns[name].append(row[name])
    count = len(columns["platform"])
    for flag in ("is_bot", "is_spam", "is_employee"):
        columns[flag] = [False] * count
    for name, values in columns.items():
        if not values and count:
            values.extend([None] * count)
    return pa.Table.from_pydict(columns, schema=target)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise RowRejected(f"{name} must be a string, got {type(value).__name__} {value!r:.60}")
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(value) > limit:
        raise RowRejected(f"{name} is longer than {limit} characters")
    return value


def _count(name: str, value: Any, *, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowRejected(f"{name} must be an integer, got {type(value).__name__} {value!r:.60}")
    if value < 0:
        raise RowRejected(f"negative {name}: {value}")
    return value


def _utc_naive(name: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise RowRejected(f"{name} must be a timestamp, got {type(value).__name__} {value!r:.60}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
