"""Reddit listings: ``t3`` posts and ``t1`` comments, nested comment replies included.

Accepts one ``Listing``, or the two-listing array a comments page returns. ``likes`` is ``ups``
(never negative) when present, else ``score``; the native id is the fullname (``t3_abc``) because
that is what ``parent_id`` and ``crosspost_parent`` refer to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kpigov.ingest.adapters.base import RecordAdapter, epoch_time, id_text, json_documents
from kpigov.ingest.adapters.registry import register
from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import RowRejected

_DELETED = {"[deleted]", "[removed]"}


class RedditAdapter(RecordAdapter):
    name = "reddit"

    def items(self, path: Path, encoding: str) -> Iterator[Mapping[str, Any]]:
        for document in json_documents(path, encoding):
            listings = document if isinstance(document, list) else [document]
            for listing in listings:
                if not isinstance(listing, Mapping) or listing.get("kind") != "Listing":
                    raise MalformedFileError(path, "expected a Reddit Listing (kind: Listing)")
                yield from _things(listing)

    def draft(self, item: Mapping[str, Any]) -> dict[str, Any]:
        kind, data = item.get("kind"), item.get("data")
        if kind not in ("t1", "t3") or not isinstance(data, Mapping):
            raise RowRejected(f"not a post or comment: kind {kind!r}")
        native_id = id_text(data.get("name"), "name") or (f"{kind}_{data['id']}" if data.get("id") else None)
        author = data.get("author")
        if kind == "t3":
            text = "\n\n".join(part for part in (data.get("title"), data.get("selftext")) if part)
        else:
            text = data.get("body")
        crosspost = data.get("crosspost_parent")
        permalink = data.get("permalink")
        return {
            "platform": "reddit",
            "native_id": native_id,
            "author_id": data.get("author_fullname"),
            "author_handle": None if author in _DELETED else author,
            "created_at": epoch_time(data.get("created_utc"), "created_utc"),
            "text": text,
            "url": f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
            "likes": data["ups"] if "ups" in data else data.get("score"),
            "comments": data.get("num_comments"),
            "reply_to": data.get("parent_id") if kind == "t1" else None,
            "repost_of": crosspost if isinstance(crosspost, str) else None,
        }


def _things(listing: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Children in order, each comment followed by its replies (depth first)."""
    children = listing.get("data", {}).get("children") or []
    for child in children:
        if isinstance(child, Mapping) and child.get("kind") == "more":
            continue  # a "load more comments" stub, not a mention
        yield child
        replies = child.get("data", {}).get("replies") if isinstance(child, Mapping) else None
        if isinstance(replies, Mapping):
            yield from _things(replies)


register(RedditAdapter())
