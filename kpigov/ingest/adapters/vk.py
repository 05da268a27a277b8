"""VK API ``wall.search`` / ``newsfeed.search`` responses.

A wall post's id is ``{owner_id}_{id}``, VK's own notation; a repost points at the root of its
``copy_history`` (the last entry), so reposts through different walls meet on one original.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kpigov.ingest.adapters.base import RecordAdapter, epoch_time, get_path, json_documents
from kpigov.ingest.adapters.registry import register
from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import RowRejected


class VKAdapter(RecordAdapter):
    """Each item is ``{"post": …, "author": profile or group or None}``."""

    name = "vk"

    def items(self, path: Path, encoding: str) -> Iterator[Mapping[str, Any]]:
        for document in json_documents(path, encoding):
            if isinstance(document, Mapping) and "error" in document:
                message = get_path(document, "error", "error_msg") or document["error"]
                raise MalformedFileError(path, f"VK API error response, not posts: {message}")
            response = document.get("response") if isinstance(document, Mapping) else None
            if not isinstance(response, Mapping) or not isinstance(response.get("items", []), list):
                raise MalformedFileError(path, "expected a VK response object with an items list")
            authors: dict[int, Mapping[str, Any]] = {}
            for profile in response.get("profiles") or []:
                authors[profile.get("id")] = profile
            for group in response.get("groups") or []:
                authors[-abs(group.get("id", 0))] = group
            for post in response.get("items", []):
                author = authors.get(post.get("from_id")) if isinstance(post, Mapping) else None
                yield {"post": post, "author": author}

    def draft(self, item: Mapping[str, Any]) -> dict[str, Any]:
        post, author = item["post"], item["author"] or {}
        if not isinstance(post, Mapping):
            raise RowRejected(f"a post must be an object, got {type(post).__name__}")
        native_id = _wall_id(post)
        history = post.get("copy_history")
        return {
            "platform": "vk",
            "native_id": native_id,
            "author_id": _integer_text(post.get("from_id"), "from_id"),
            "author_handle": author.get("screen_name"),
            "created_at": epoch_time(post.get("date"), "date"),
            "text": post.get("text"),
            "url": f"https://vk.com/wall{native_id}" if native_id else None,
            "likes": get_path(post, "likes", "count"),
            "shares": get_path(post, "reposts", "count"),
            "comments": get_path(post, "comments", "count"),
            "views": get_path(post, "views", "count"),
            "repost_of": _wall_id(history[-1]) if isinstance(history, list) and history else None,
        }


def _integer_text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowRejected(f"{what} must be an integer, got {type(value).__name__} {value!r:.60}")
    return str(value)


def _wall_id(post: Any) -> str | None:
    if not isinstance(post, Mapping):
        raise RowRejected("copy_history entry is not an object")
    owner, number = _integer_text(post.get("owner_id"), "owner_id"), _integer_text(post.get("id"), "id")
    return f"{owner}_{number}" if owner and number else None


register(VKAdapter())
