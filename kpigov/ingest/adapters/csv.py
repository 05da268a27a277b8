"""Vendor CSV exports (Brandwatch, Sprinklr, FiveThirtyEight, …) through a column mapping.

A mapping is plain data, as loaded from YAML::

    encoding: utf-8-sig            # optional, the export's declared encoding
    delimiter: ","                 # optional
    timestamp_format: "%Y-%m-%d %H:%M:%S.%f"   # strptime format, or "iso"
    timezone: UTC                  # zone of naive timestamps
    unescape_html: false           # exports of the Twitter v1 API carry "&amp;"
    fields:                        # mention field -> how to get it
      native_id: Resource Id                       # a column
      platform: {column: Page Type, values: {twitter: x}}   # a column, values translated
      entity: {value: acme}                        # a constant
      repost_of: {column: Retweet Of, pattern: "status(?:es)?/(\\d+)"}  # first group of a regex

The header line is found, not assumed: vendors put report metadata above it, so the first line
holding the columns of platform, native_id and created_at is the header; other mapped columns
may be absent (the field is then empty).
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpigov.ingest.adapters.base import RecordAdapter, read_text
from kpigov.ingest.adapters.registry import register
from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import COUNT_FIELDS, DRAFT_FIELDS, OPTIONAL_COUNT_FIELDS, REQUIRED_TEXT_FIELDS, RowRejected

_TIMES = ("created_at", "author_created_at")
_INTEGERS = frozenset((*COUNT_FIELDS, *OPTIONAL_COUNT_FIELDS))
_MAPPING_KEYS = {"encoding", "delimiter", "timestamp_format", "timezone", "unescape_html", "fields"}
_HEADER_SEARCH_LINES = 50


@dataclass(frozen=True)
class FieldSource:
    """Where one mention field comes from: a column (optionally regex-extracted or translated) or a constant."""

    column: str | None = None
    value: str | None = None
    pattern: re.Pattern[str] | None = None
    values: Mapping[str, str] = field(default_factory=dict)

    def extract(self, row: Mapping[str, str]) -> str | None:
        if self.column is None:
            return self.value
        raw = (row.get(self.column) or "").strip()
        if not raw:
            return None
        if self.pattern is not None:
            found = self.pattern.search(raw)
            if found is None:
                raise RowRejected(f"column {self.column!r} does not match {self.pattern.pattern!r}: {raw!r:.60}")
            raw = found.group(1)
        return self.values.get(raw.casefold(), raw)


@dataclass(frozen=True)
class CsvMapping:
    """A checked column mapping; build it with ``from_dict``."""

    fields: Mapping[str, FieldSource]
    timestamp_format: str = "iso"
    timezone: ZoneInfo = ZoneInfo("UTC")
    encoding: str = "utf-8"
    delimiter: str = ","
    unescape_html: bool = False

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> CsvMapping:
        """Check a YAML-loaded mapping; every mistake is a ValueError saying which key."""
        unknown = set(spec) - _MAPPING_KEYS
        if unknown:
            raise ValueError(f"unknown CSV mapping keys: {', '.join(sorted(unknown))}")
        fields_spec = spec.get("fields")
        if not isinstance(fields_spec, Mapping):
            raise ValueError("CSV mapping needs a 'fields' table")
        sources = {name: _field_source(name, source) for name, source in fields_spec.items()}
        missing = {"platform", "native_id", "created_at"} - set(sources)
        if missing:
            raise ValueError(f"CSV mapping lacks required fields: {', '.join(sorted(missing))}")
        try:
            zone = ZoneInfo(spec.get("timezone", "UTC"))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {spec.get('timezone')!r}") from exc
        return cls(
            fields=sources,
            timestamp_format=str(spec.get("timestamp_format", "iso")),
            timezone=zone,
            encoding=str(spec.get("encoding", "utf-8")),
            delimiter=str(spec.get("delimiter", ",")),
            unescape_html=bool(spec.get("unescape_html", False)),
        )

    @property
    def required_columns(self) -> frozenset[str]:
        """Columns the header must have: those feeding the fields no mention can lack."""
        required = (*REQUIRED_TEXT_FIELDS, "created_at")
        return frozenset(s.column for n, s in self.fields.items() if n in required and s.column is not None)


def _field_source(name: str, source: Any) -> FieldSource:
    if name not in DRAFT_FIELDS:
        raise ValueError(f"CSV mapping field {name!r} is not a mention field")
    if isinstance(source, str):
        return FieldSource(column=source)
    if not isinstance(source, Mapping) or ("column" in source) == ("value" in source):
        raise ValueError(f"CSV mapping field {name!r}: give a column name, {{column: …}} or {{value: …}}")
    extra = set(source) - {"column", "value", "pattern", "values"}
    if extra:
        raise ValueError(f"CSV mapping field {name!r}: unknown keys {', '.join(sorted(extra))}")
    pattern = None
    if "pattern" in source:
        try:
            pattern = re.compile(source["pattern"])
        except re.error as exc:
            raise ValueError(f"CSV mapping field {name!r}: invalid pattern: {exc}") from exc
        if pattern.groups != 1:
            raise ValueError(f"CSV mapping field {name!r}: pattern needs exactly one group")
    values = {str(k).casefold(): str(v) for k, v in (source.get("values") or {}).items()}
    return FieldSource(column=source.get("column"), value=source.get("value"), pattern=pattern, values=values)


class CsvAdapter(RecordAdapter):
    """CSV rows → mentions through a ``CsvMapping``; ``name`` is what lands in ``source``."""

    def __init__(self, name: str, mapping: CsvMapping) -> None:
        self.name = name
        self.mapping = mapping
        self.default_encoding = mapping.encoding

    def items(self, path: Path, encoding: str) -> Iterator[Mapping[str, Any]]:
        reader = csv.reader(io.StringIO(read_text(path, encoding), newline=""), delimiter=self.mapping.delimiter)
        header = self._find_header(path, reader)
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield {"__row__": values, "__error__": f"{len(values)} cells, header has {len(header)}"}
                continue
            yield dict(zip(header, values, strict=True))

    def _find_header(self, path: Path, reader: Any) -> list[str]:
        wanted = self.mapping.required_columns
        for values in reader:
            if wanted <= {v.strip() for v in values}:
                return [v.strip() for v in values]
            if reader.line_num >= _HEADER_SEARCH_LINES:
                break
        raise MalformedFileError(path, f"no header line with the columns {', '.join(sorted(wanted))}")

    def draft(self, item: Mapping[str, Any]) -> dict[str, Any]:
        if "__error__" in item:
            raise RowRejected(item["__error__"])
        draft: dict[str, Any] = {}
        for name, source in self.mapping.fields.items():
            value = source.extract(item)
            if value is None:
                continue
            if name in _INTEGERS:
                draft[name] = _integer(name, value)
            elif name in _TIMES:
                draft[name] = self._time(name, value)
            elif name == "text" and self.mapping.unescape_html:
                draft[name] = html.unescape(value)
            else:
                draft[name] = value
        return draft

    def _time(self, name: str, value: str) -> datetime:
        try:
            if self.mapping.timestamp_format == "iso":
                parsed = datetime.fromisoformat(value)
            else:
                parsed = datetime.strptime(value, self.mapping.timestamp_format)
        except ValueError as exc:
            raise RowRejected(f"unparseable {name}: {value!r:.60}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.mapping.timezone)


def _integer(name: str, value: str) -> int:
    """Counts as exported: "1234" or "1,234"; anything else is a wrong type."""
    digits = value.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+", value) else value
    try:
        return int(digits)
    except ValueError as exc:
        raise RowRejected(f"{name} must be an integer, got {value!r:.60}") from exc


_PLATFORM_CODES = {
    "twitter": "x", "x": "x", "reddit": "reddit", "youtube": "youtube",
    "weibo": "weibo", "sina weibo": "weibo", "vk": "vk", "vkontakte": "vk",
}  # fmt: skip

#: Brandwatch "Mentions" export: report metadata lines, then the header.
BRANDWATCH = CsvMapping.from_dict({
    "timestamp_format": "%Y-%m-%d %H:%M:%S.%f",
    "fields": {
        "platform": {"column": "Page Type", "values": _PLATFORM_CODES},
        "native_id": "Resource Id",
        "entity": "Query Name",
        "created_at": "Date",
        "text": "Full Text",
        "url": "Url",
        "language": "Language",
        "geo": "Country Code",
        "author_id": "Twitter Author ID",
        "author_handle": "Author",
        "author_followers": "Twitter Followers",
        "author_posts": "Twitter Tweets",
        "likes": "Likes",
        "shares": "Twitter Retweets",
        "comments": "Twitter Reply Count",
        "views": "Impressions",
        "repost_of": {"column": "Twitter Retweet of", "pattern": r"status(?:es)?/(\d+)"},
        "reply_to": {"column": "Twitter Reply to", "pattern": r"status(?:es)?/(\d+)"},
    },
})  # fmt: skip

#: Sprinklr listening export: UTF-8 with a byte-order mark, US-style 12-hour timestamps.
SPRINKLR = CsvMapping.from_dict({
    "encoding": "utf-8-sig",
    "timestamp_format": "%m/%d/%Y %I:%M:%S %p",
    "fields": {
        "platform": {"column": "SocialNetwork", "values": _PLATFORM_CODES},
        "native_id": {"column": "Universal Message Id", "pattern": r"^(?:[A-Z]+_)?(.+)$"},  # TWITTER_123 -> 123
        "entity": "Topic",
        "created_at": "CreatedTime",
        "text": "Message",
        "url": "Permalink",
        "language": "Language",
        "geo": "Country",
        "author_id": "SenderId",
        "author_handle": "SenderScreenName",
        "author_followers": "Followers",
        "likes": "Likes",
        "shares": "Shares",
        "comments": "Comments",
        "topic": "Topic Group",
    },
})  # fmt: skip

#: FiveThirtyEight "twitter-ratio": Twitter v1 exports, mac_roman bytes, id only inside the URL.
#: The tracked entity is the account itself; the files state no timezone, UTC is assumed.
FIVETHIRTYEIGHT = CsvMapping.from_dict({
    "encoding": "mac_roman",
    "timestamp_format": "%m/%d/%y %H:%M",
    "unescape_html": True,
    "fields": {
        "platform": {"value": "x"},
        "native_id": {"column": "url", "pattern": r"/status/(\d+)"},
        "entity": "user",
        "author_handle": "user",
        "created_at": "created_at",
        "text": "text",
        "url": "url",
        "comments": "replies",
        "shares": "retweets",
        "likes": "favorites",
    },
})  # fmt: skip

#: Plain CSV whose headers are the mention field names themselves.
CANONICAL_COLUMNS = CsvMapping.from_dict({"fields": {name: name for name in sorted(DRAFT_FIELDS)}})

CSV_PRESETS: Mapping[str, CsvMapping] = {
    "brandwatch": BRANDWATCH,
    "sprinklr": SPRINKLR,
    "fivethirtyeight": FIVETHIRTYEIGHT,
}

for _name, _mapping in (("csv", CANONICAL_COLUMNS), *CSV_PRESETS.items()):
    register(CsvAdapter(_name, _mapping))
