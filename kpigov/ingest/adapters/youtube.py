"""YouTube Data API ``commentThreads.list`` responses: top-level comments and their replies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kpigov.ingest.adapters.base import RecordAdapter, get_path, id_text, iso_time, json_documents
from kpigov.ingest.adapters.registry import register
from kpigov.ingest.errors import MalformedFileError


class YouTubeAdapter(RecordAdapter):
    """Each item is one comment: ``{"comment": …, "reply_count": …}``."""

    name = "youtube"

    def items(self, path: Path, encoding: str) -> Iterator[Mapping[str, Any]]:
        for response in json_documents(path, encoding):
            if not isinstance(response, Mapping) or not isinstance(response.get("items", []), list):
                raise MalformedFileError(path, "expected a commentThreads response with an items list")
            for thread in response.get("items", []):
                top = get_path(thread, "snippet", "topLevelComment")
                yield {"comment": top, "reply_count": get_path(thread, "snippet", "totalReplyCount")}
                for reply in get_path(thread, "replies", "comments") or []:
                    yield {"comment": reply, "reply_count": None}

    def draft(self, item: Mapping[str, Any]) -> dict[str, Any]:
        comment = item["comment"] if isinstance(item["comment"], Mapping) else {}
        snippet = comment.get("snippet") or {}
        native_id = id_text(comment.get("id"), "id")
        video = snippet.get("videoId")
        return {
            "platform": "youtube",
            "native_id": native_id,
            "author_id": get_path(snippet, "authorChannelId", "value"),
            "author_handle": snippet.get("authorDisplayName"),
            "created_at": iso_time(snippet.get("publishedAt"), "publishedAt"),
            "text": snippet.get("textOriginal"),
            "url": f"https://www.youtube.com/watch?v={video}&lc={native_id}" if video and native_id else None,
            "likes": snippet.get("likeCount"),
            "comments": item["reply_count"],
            "reply_to": snippet.get("parentId"),
        }


register(YouTubeAdapter())
