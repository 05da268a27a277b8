"""Reposts, quotes and cross-posts collapse by the rules, the same whatever order files arrive in."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers import mentions, write_canonical
from kpigov.ingest import DedupRules, IngestRules, ingest_file, mention_id
from kpigov.store import Store, open_store

T0 = datetime(2024, 5, 1, 10)


def post(native_id: str, minutes: int, text: str = "", platform: str = "x", **extra: Any) -> dict[str, Any]:
    return {"platform": platform, "native_id": native_id, "entity": "acme", "created_at": T0 + timedelta(minutes=minutes),
            "text": text or f"acme post {native_id}", "author_id": f"a{native_id}", **extra}


def rules(*, quotes_count: bool = True, window: timedelta | None = timedelta(hours=1), min_length: int = 10) -> IngestRules:
    return IngestRules(DedupRules(collapse_reposts=True, quotes_count_as_mentions=quotes_count,
                                  cross_platform_window=window, min_text_length_for_text_dedup=min_length))


def load(store: Store, tmp_path: Path, rows: list[dict[str, Any]], applied: IngestRules, name: str = "batch") -> None:
    ingest_file(store, write_canonical(tmp_path / f"{name}.parquet", rows), "canonical", rules=applied)


def duplicates(store: Store) -> dict[str, str | None]:
    """native_id -> native_id of the row it collapses onto."""
    rows = mentions(store, "native_id", "mention_id", "duplicate_of")
    by_id = {mid: native for native, mid, _ in rows}
    return {native: by_id.get(dup) if dup else None for native, _, dup in rows}


@pytest.fixture
def store(store_url: str) -> Store:
    with open_store(store_url, create=True) as opened:
        yield opened


def test_retweet_cascade_collapses_onto_the_root(store: Store, tmp_path: Path) -> None:
    """A retweet of a quote whose original is stored ends on the original (quotes collapsing)."""
    load(store, tmp_path, [
        post("orig", 0),
        post("q", 5, "my take on acme", quote_of="orig"),
        post("rt_of_q", 6, "RT: my take on acme", repost_of="q"),
        post("rt_of_orig", 7, repost_of="orig"),
    ], rules(quotes_count=False, window=None))
    assert duplicates(store) == {"orig": None, "q": "orig", "rt_of_q": "orig", "rt_of_orig": "orig"}


def test_retweets_without_their_original_collapse_onto_the_earliest_then_onto_the_original(store: Store, tmp_path: Path) -> None:
    applied = rules(window=None)
    load(store, tmp_path, [post("rt2", 20, repost_of="orig"), post("rt1", 10, repost_of="orig")], applied, "reposts")
    assert duplicates(store) == {"rt1": None, "rt2": "rt1"}
    load(store, tmp_path, [post("orig", 0)], applied, "original")
    assert duplicates(store) == {"orig": None, "rt1": "orig", "rt2": "orig"}


def test_quotes_count_as_mentions_when_the_rule_says_so(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, [post("orig", 0), post("q", 5, "a different acme take", quote_of="orig")], rules(quotes_count=True, window=None))
    assert duplicates(store) == {"orig": None, "q": None}


def test_cross_post_within_the_window_is_one_mention(store: Store, tmp_path: Path) -> None:
    text = "Acme rocket skates are finally back in stock"
    load(store, tmp_path, [
        post("r1", 30, "acme ROCKET skates are finally back in stock https://redd.it/x", platform="reddit"),
        post("x1", 0, text),
        post("y1", 59, text + " @someone", platform="youtube"),
        post("v1", 61, text, platform="vk"),  # outside the hour after the earliest
        post("x2", 10, text),  # same platform: not a cross-post
        post("r_short", 1, "acme", platform="reddit"),
        post("x_short", 0, "acme"),  # too short to compare by text
    ], rules())
    assert duplicates(store) == {"r1": "x1", "x1": None, "y1": "x1", "v1": None, "x2": None, "r_short": None, "x_short": None}


def test_text_dedup_off_without_a_window(store: Store, tmp_path: Path) -> None:
    text = "Acme rocket skates are finally back in stock"
    load(store, tmp_path, [post("x1", 0, text), post("r1", 1, text, platform="reddit")], rules(window=None))
    assert duplicates(store) == {"x1": None, "r1": None}


def test_an_earlier_cross_post_arriving_later_takes_over(store: Store, tmp_path: Path) -> None:
    """Rows pointing at a row that stops being canonical follow it to the new root."""
    text = "Acme rocket skates are finally back in stock"
    applied = rules()
    load(store, tmp_path, [post("r1", 10, text, platform="reddit"), post("rt", 12, platform="reddit", repost_of="r1")], applied, "a")
    assert duplicates(store) == {"r1": None, "rt": "r1"}
    load(store, tmp_path, [post("x1", 0, text)], applied, "b")
    assert duplicates(store) == {"r1": "x1", "rt": "x1", "x1": None}


ROWS = [
    post("orig", 0, "Acme anvils on sale today only"), post("rt1", 3, repost_of="orig"), post("rt2", 1, repost_of="orig"),
    post("q1", 4, "quoting: acme anvils", quote_of="orig"), post("rt_q", 5, repost_of="q1"),
    post("cross", 20, "Acme anvils on sale today only", platform="reddit"),
    post("lone_rt", 30, repost_of="missing"), post("lone_rt2", 31, repost_of="missing"),
]


@pytest.mark.parametrize("split", [1, 3, 5, 7])
def test_outcome_does_not_depend_on_the_order_files_arrive_in(store_url: str, tmp_path: Path, split: int) -> None:
    applied = rules(quotes_count=False)
    with open_store(store_url, create=True) as whole:
        load(whole, tmp_path, ROWS, applied, "all")
        expected = duplicates(whole)
    other = tmp_path / "other"
    other.mkdir()
    with open_store(f"duckdb:///{other / 'kpigov.duckdb'}", create=True) as pieces:
        load(pieces, other, ROWS[split:], applied, "late")
        load(pieces, other, ROWS[:split], applied, "early")
        assert duplicates(pieces) == expected
    assert expected["rt_q"] == "orig" and expected["cross"] == "orig" and expected["lone_rt2"] == "lone_rt"


def test_ids_follow_the_documented_formula() -> None:
    import hashlib

    assert mention_id("x", "123") == hashlib.sha256(b"x:123").hexdigest()[:32]
