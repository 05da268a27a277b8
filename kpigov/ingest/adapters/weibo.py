"""Weibo API ``statuses`` responses (timelines, search); a repost names its ``retweeted_status``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from kpigov.ingest.adapters.base import RecordAdapter, id_text, json_documents, optional_time
from kpigov.ingest.adapters.registry import register
from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import RowRejected

_WEIBO_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Tue May 31 17:46:55 +0800 2011"


class WeiboAdapter(RecordAdapter):
    name = "weibo"

    def items(self, path: Path, encoding: str) -> Iterator[Mapping[str, Any]]:
        for response in json_documents(path, encoding):
            if not isinstance(response, Mapping) or not isinstance(response.get("statuses", []), list):
                raise MalformedFileError(path, "expected a Weibo response with a statuses list")
            yield from response.get("statuses", [])

    def draft(self, item: Mapping[str, Any]) -> dict[str, Any]:
        user = item["user"] if isinstance(item.get("user"), Mapping) else {}
        native_id = id_text(item.get("idstr") or item.get("id"), "idstr")
        author_id = id_text(user.get("idstr") or user.get("id"), "user.idstr")
        original = item.get("retweeted_status")
        return {
            "platform": "weibo",
            "native_id": native_id,
            "author_id": author_id,
            "author_handle": user.get("screen_name"),
            "author_followers": user.get("followers_count"),
            "author_posts": user.get("statuses_count"),
            "author_created_at": optional_time(user.get("created_at"), weibo_time, "user created_at"),
            "created_at": weibo_time(item.get("created_at"), "created_at"),
            "text": item.get("text"),
            "url": f"https://weibo.com/{author_id}/{native_id}" if author_id and native_id else None,
            "likes": item.get("attitudes_count"),
            "shares": item.get("reposts_count"),
            "comments": item.get("comments_count"),
            "repost_of": (
                id_text(original.get("idstr") or original.get("id"), "retweeted_status.idstr")
                if isinstance(original, Mapping)
                else None
            ),
        }


def weibo_time(value: Any, what: str) -> datetime:
    if value is None:
        raise RowRejected(f"missing {what}")
    if not isinstance(value, str):
        raise RowRejected(f"unparseable {what}: {value!r:.60}")
    try:
        return datetime.strptime(value, _WEIBO_TIME)
    except ValueError as exc:
        raise RowRejected(f"unparseable {what}: {value!r:.60}") from exc


register(WeiboAdapter())
