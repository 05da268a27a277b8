"""X (Twitter) API v2 search/timeline responses: ``data`` tweets joined to ``includes.users``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kpigov.ingest.adapters.base import RecordAdapter, get_path, id_text, iso_time, json_documents, optional_time
from kpigov.ingest.adapters.registry import register
from kpigov.ingest.errors import MalformedFileError
from kpigov.ingest.rows import RowRejected

_REFERENCE_FIELDS = {"retweeted": "repost_of", "quoted": "quote_of", "replied_to": "reply_to"}


class XAdapter(RecordAdapter):
    """One response object or JSON lines of them; each item is ``{"tweet": …, "author": …}``."""

    name = "x"

    def items(self, path: Path, encoding: str) -> Iterator[Mapping[str, Any]]:
        for response in json_documents(path, encoding):
            if not isinstance(response, Mapping):
                raise MalformedFileError(path, "an X API response must be a JSON object")
            users = get_path(response, "includes", "users") or []
            authors = {u.get("id"): u for u in users if isinstance(u, Mapping)}
            for tweet in response.get("data") or []:
                author_id = tweet.get("author_id") if isinstance(tweet, Mapping) else None
                yield {"tweet": tweet, "author": authors.get(author_id)}

    def draft(self, item: Mapping[str, Any]) -> dict[str, Any]:
        tweet, author = item["tweet"], item["author"] or {}
        if not isinstance(tweet, Mapping):
            raise RowRejected(f"a tweet must be an object, got {type(tweet).__name__}")
        native_id = id_text(tweet.get("id"), "id")
        handle = author.get("username")
        draft: dict[str, Any] = {
            "platform": "x",
            "native_id": native_id,
            "author_id": id_text(tweet.get("author_id"), "author_id"),
            "author_handle": handle,
            "author_followers": get_path(author, "public_metrics", "followers_count"),
            "author_posts": get_path(author, "public_metrics", "tweet_count"),
            "author_created_at": optional_time(author.get("created_at"), iso_time, "author created_at"),
            "created_at": iso_time(tweet.get("created_at"), "created_at"),
            "language": tweet.get("lang"),
            "text": tweet.get("text"),
            "url": f"https://x.com/{handle}/status/{native_id}" if handle and native_id else None,
            "likes": get_path(tweet, "public_metrics", "like_count"),
            "shares": get_path(tweet, "public_metrics", "retweet_count"),
            "comments": get_path(tweet, "public_metrics", "reply_count"),
            "views": get_path(tweet, "public_metrics", "impression_count"),
            "geo": get_path(tweet, "geo", "place_id"),
        }
        for reference in tweet.get("referenced_tweets") or []:
            field = _REFERENCE_FIELDS.get(reference.get("type")) if isinstance(reference, Mapping) else None
            if field:
                draft[field] = id_text(reference.get("id"), f"referenced {reference['type']} id")
        return draft


register(XAdapter())
