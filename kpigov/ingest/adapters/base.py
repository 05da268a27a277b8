"""The adapter contract, and the shared machinery of row-at-a-time adapters."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from kpigov.ingest.entities import EntityResolver
from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import AdapterChunk, Quarantined, RowRejected, check_draft, raw_text, rows_to_arrow


class Adapter(Protocol):
    """Reads one file format into checked ``mentions`` batches; ``name`` is the ``source`` column."""

    name: str

    def read(
        self, path: Path, *, encoding: str | None, batch_size: int, resolver: EntityResolver | None
    ) -> Iterator[AdapterChunk]:
        """Yield batches of at most ``batch_size`` rows read; raise MalformedFileError for a bad file."""
        ...


class RecordAdapter(ABC):
    """An adapter converting one raw item (tweet, comment, CSV row) at a time into a draft dict.

    Subclasses say how the file splits into items and how an item maps onto mention fields;
    checking, quarantining and batching are shared so all formats reject rows alike.
    """

    name: str
    default_encoding = "utf-8"

    @abstractmethod
    def items(self, path: Path, encoding: str) -> Iterator[Mapping[str, Any]]:
        """Every raw item of the file, in file order."""

    @abstractmethod
    def draft(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """Map one item onto mention fields; raise RowRejected when it cannot be."""

    def read(
        self, path: Path, *, encoding: str | None, batch_size: int, resolver: EntityResolver | None
    ) -> Iterator[AdapterChunk]:
        rows: list[dict[str, Any]] = []
        quarantined: list[Quarantined] = []
        read = 0
        for row_number, item in enumerate(self.items(path, encoding or self.default_encoding), start=1):
            read += 1
            try:
                if not isinstance(item, Mapping):
                    raise RowRejected(f"expected an object, got {type(item).__name__}")
                rows.append(check_draft(self.draft(item), item, resolver))
            except RowRejected as rejected:
                quarantined.append(Quarantined(row_number, str(rejected), raw_text(item)))
            if read == batch_size:
                yield AdapterChunk(rows_to_arrow(rows), tuple(quarantined), read)
                rows, quarantined, read = [], [], 0
        if read:
            yield AdapterChunk(rows_to_arrow(rows), tuple(quarantined), read)


def read_text(path: Path, encoding: str) -> str:
    """The whole file decoded; undecodable bytes are a MalformedFileError naming the line."""
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise MalformedFileError(
            path, f"not valid {encoding} ({exc.reason}); declare the file's encoding", line
        ) from exc
    except LookupError as exc:
        raise MalformedFileError(path, f"unknown encoding {encoding!r}") from exc


def json_documents(path: Path, encoding: str) -> Iterator[Any]:
    """One JSON document, or JSON lines (one document per non-blank line)."""
    text = read_text(path, encoding)
    try:
        yield json.loads(text)
        return
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise MalformedFileError(path, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            raise MalformedFileError(path, f"invalid JSON line: {exc.msg} (column {exc.colno})", number) from exc


def id_text(value: Any, what: str) -> str | None:
    """A platform id as text: JSON strings as they are, integers (VK, Weibo's ``id``) in decimal."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RowRejected(f"{what} must be a string or an integer, got {type(value).__name__} {value!r:.60}")


def get_path(item: Mapping[str, Any], *keys: str) -> Any:
    """``item[k1][k2]…`` or None when any level is absent or not an object."""
    value: Any = item
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def iso_time(value: Any, what: str) -> datetime:
    """An ISO 8601 timestamp ("2024-03-01T10:00:00.000Z")."""
    if value is None:
        raise RowRejected(f"missing {what}")
    if not isinstance(value, str):
        raise RowRejected(f"unparseable {what}: {value!r:.60}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RowRejected(f"unparseable {what}: {value!r:.60}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_time(value: Any, what: str) -> datetime:
    """Seconds since the Unix epoch, as Reddit (float) and VK (int) send them."""
    if value is None:
        raise RowRejected(f"missing {what}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowRejected(f"unparseable {what}: {value!r:.60}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise RowRejected(f"unparseable {what}: {value!r:.60}") from exc


def optional_time(value: Any, parse: Any, what: str) -> datetime | None:
    """Author-side timestamps are optional: absent stays None, present must parse."""
    return None if value is None else parse(value, what)
