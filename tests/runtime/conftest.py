"""Runtime fixtures: the example repository compiled once, and mention rows with personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kpigov.runtime import Governance
from tests.conftest import ROOT

HANDLES = ("@runner_anna", "@kicks4life", "@sole_searcher", None)


@pytest.fixture(scope="module")
def gov() -> Governance:
    return Governance.load(ROOT)


def mention_rows() -> list[dict[str, Any]]:
    """A small, varied mention table: brand and competitor, complaint topics and others, NULLs."""
    rows = []
    for i, (entity, topic, label) in enumerate([
        ("stridewell", "delivery", "negative"), ("stridewell", "sizing", "neutral"), ("stridewell", "launch", "positive"),
        ("stridewell", None, "negative"), ("apexrun", "delivery", "negative"), ("kinetiq", "durability", "positive"),
        ("stridewell", "durability", None), ("volta", "customer_service", "negative"),
    ]):
        rows.append({
            "mention_id": f"m{i:03d}", "platform": "x", "native_id": f"n{i}", "entity": entity,
            "author_id": f"author-{i}", "author_handle": HANDLES[i % len(HANDLES)], "author_followers": 100 + i,
            "created_at": datetime(2026, 11, 1 + i, 12), "language": "en", "text": f"post number {i} about shoes",
            "url": f"https://x.example/p/{i}", "likes": i, "shares": 0, "comments": 0, "geo": "DE-BE" if i % 2 else None,
            "topic": topic, "source": "x_api", "ingest_batch": "b1", "content_hash": f"h{i}",
            "sentiment_label": label, "sentiment_score": -0.5 if label == "negative" else 0.5,  # exact in 32-bit REAL
            "is_bot": False, "is_spam": False, "is_employee": False,
        })
    return rows
