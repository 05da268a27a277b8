"""``ingest_outcomes``: an outcomes CSV (``series,period_start,topic,value``) into ``outcomes``.

Outcomes are the business series KPIs are judged against (weekly sales, tickets per topic), so a
file is the truth for the keys it names: re-loading it, or a corrected version, replaces those
(series, period_start, topic) rows and leaves every other key alone. One file is one transaction
with its ``ingest_batches`` row; rows that cannot be read are quarantined with the reason, never
guessed at, and a key repeated within the file is quarantined rather than silently last-wins.
"""

from __future__ import annotations

import csv
import hashlib
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection, delete, insert, tuple_

from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import Quarantined, raw_text
from kpigov.store import schema
from kpigov.store.store import Store

SOURCE = "outcomes"
COLUMNS = ("series", "period_start", "topic", "value")
_KEY_LENGTH = {name: schema.outcomes.c[name].type.length for name in ("series", "topic")}
_KEYS_PER_DELETE = 1_000  # bound parameters per statement stay far below every backend's limit

Key = tuple[str, date, str]


@dataclass(frozen=True)
class OutcomesReport:
    """What one outcomes load did. ``rows_read = rows_loaded + rows_quarantined``."""

    ingest_batch: str
    path: Path
    rows_read: int
    rows_loaded: int
    rows_replaced: int  # keys that were stored before and now hold this file's value
    quarantined: tuple[Quarantined, ...]
    seconds: float


def ingest_outcomes(store: Store, path: str | Path, *,
                    before_commit: Callable[[Connection, OutcomesReport], None] | None = None) -> OutcomesReport:
    """Load ``path`` into ``outcomes``, replacing stored rows with the same keys, in one transaction.

    ``before_commit`` runs inside that transaction with the report (see ``ingest_file``).
    """
    started, started_at = time.perf_counter(), datetime.now(UTC).replace(tzinfo=None)
    path = Path(path)
    rows, quarantined, read = _read(path)
    batch_id = uuid.uuid4().hex
    with store.transaction() as conn:
        o, keys, replaced = schema.outcomes, list(rows), 0
        for i in range(0, len(keys), _KEYS_PER_DELETE):
            chunk = keys[i : i + _KEYS_PER_DELETE]
            replaced += conn.execute(
                delete(o).where(tuple_(o.c.series, o.c.period_start, o.c.topic).in_(chunk))
            ).rowcount
        if rows:
            conn.execute(insert(schema.outcomes), [
                {"series": s, "period_start": p, "topic": t, "value": v} for (s, p, t), v in rows.items()
            ])  # fmt: skip
        if quarantined:
            conn.execute(insert(schema.quarantine), [
                {"ingest_batch": batch_id, "source": SOURCE, "row_number": q.row_number, "reason": q.reason, "raw": q.raw}
                for q in quarantined
            ])  # fmt: skip
        conn.execute(insert(schema.ingest_batches).values(
            ingest_batch=batch_id, source=SOURCE, file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            file_name=str(path), started_at=started_at, rows_read=read, rows_loaded=len(rows),
            rows_quarantined=len(quarantined), rows_already_present=0,
        ))  # fmt: skip
        report = OutcomesReport(batch_id, path, read, len(rows), replaced, tuple(quarantined),
                                time.perf_counter() - started)
        if before_commit is not None:
            before_commit(conn, report)
    return report


def _read(path: Path) -> tuple[dict[Key, float], list[Quarantined], int]:
    """Checked rows by key, quarantined rows, rows read. A file without the header is malformed."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise MalformedFileError(path, f"outcomes CSV needs columns {', '.join(COLUMNS)}; missing {', '.join(missing)}", 1)
            rows: dict[Key, float] = {}
            first_line: dict[Key, int] = {}
            quarantined: list[Quarantined] = []
            read = 0
            for record in reader:
                read += 1
                line = reader.line_num
                try:
                    key, value = _check(record)
                except ValueError as exc:
                    quarantined.append(Quarantined(line, str(exc), raw_text(record)))
                    continue
                if key in rows:
                    quarantined.append(Quarantined(line, f"repeats the key of line {first_line[key]}", raw_text(record)))
                    continue
                rows[key], first_line[key] = value, line
    except UnicodeDecodeError as exc:
        raise MalformedFileError(path, f"not UTF-8: {exc}") from exc
    except csv.Error as exc:
        raise MalformedFileError(path, f"not a readable CSV: {exc}") from exc
    return rows, quarantined, read


def _check(record: dict[str, str | None]) -> tuple[Key, float]:
    """The row's key and value; raises ValueError naming the first problem (the quarantine reason)."""
    if None in record:
        raise ValueError("more fields than the header")
    series, day, topic, value = (record[c] for c in COLUMNS)
    if not series:
        raise ValueError("missing series")
    if day is None or value is None:
        raise ValueError("fewer fields than the header")
    for name, text in (("series", series), ("topic", topic or "")):
        if len(text) > _KEY_LENGTH[name]:
            raise ValueError(f"{name} is longer than {_KEY_LENGTH[name]} characters")
    try:
        period_start = date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"period_start {day!r} is not a date (YYYY-MM-DD)") from None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"value {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"value {value!r} is not finite")
    return (series, period_start, topic or ""), number
