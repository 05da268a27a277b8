"""Every adapter on its fixture: the exact rows stored and the exact quarantine reasons."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from helpers import FIXTURES, PLAIN_RULES, RESOLVER, mentions, quarantined
from kpigov.ingest import ADAPTERS, IngestError, IngestReport, MalformedFileError, UnknownSourceError, ingest_file, mention_id, register
from kpigov.store import Store, open_store

COLUMNS = ("platform", "native_id", "entity", "author_handle", "author_followers", "created_at",
           "likes", "shares", "comments", "views", "reply_to", "quote_of", "repost_of")


@pytest.fixture
def store(duckdb_url: str) -> Store:
    return open_store(duckdb_url, create=True)


def ingest(store: Store, name: str, source: str, **kwargs: object) -> IngestReport:
    return ingest_file(store, FIXTURES / name, source, rules=PLAIN_RULES, entity_resolver=RESOLVER, **kwargs)


def test_x_response_with_users_and_references(store: Store) -> None:
    report = ingest(store, "x_search.json", "x")
    assert mentions(store, *COLUMNS) == [
        ("x", "1790000000000000001", "acme", "roadrunner_fan", 1200, datetime(2024, 5, 1, 10), 15, 2, 1, 900, None, None, None),
        ("x", "1790000000000000002", "acme", "wile_e_bot123456", 2, datetime(2024, 5, 1, 10, 5), 0, 0, 0, None, None, None, "1790000000000000001"),
        ("x", "1790000000000000003", "acme", "coyote_reviews", 800, datetime(2024, 5, 1, 11), 4, 0, 3, None, None, "1790000000000000001", None),
    ]
    assert quarantined(store) == [
        (4, "unparseable created_at: 'yesterday'"),
        (5, "missing native_id"),
        (6, "likes must be an integer, got str '12'"),
        (7, "mentions no tracked entity"),
    ]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (7, 3, 4)


def test_x_json_lines(store: Store) -> None:
    ingest(store, "x_stream.jsonl", "x")
    assert mentions(store, "native_id", "entity", "author_handle", "likes") == [
        ("1790000000000000101", "globex", "analyst_jane", 30),
        ("1790000000000000102", "acme", "jobseeker", 1),
    ]


def test_reddit_listing_posts_comments_and_nested_replies(store: Store) -> None:
    ingest(store, "reddit_listing.json", "reddit")
    assert mentions(store, "native_id", "author_handle", "created_at", "likes", "comments", "reply_to", "url") == [
        ("t1_kc1", "beep_beep", datetime(2024, 5, 1, 11), 15, 0, "t3_1abcde",
         "https://www.reddit.com/r/gadgets/comments/1abcde/acme_rocket_skates_review/kc1/"),
        ("t1_kc2", None, datetime(2024, 5, 1, 12), 2, 0, "t1_kc1",
         "https://www.reddit.com/r/gadgets/comments/1abcde/acme_rocket_skates_review/kc2/"),
        ("t3_1abcde", "coyote_official", datetime(2024, 5, 1, 10), 120, 3, None,
         "https://www.reddit.com/r/gadgets/comments/1abcde/acme_rocket_skates_review/"),
    ]
    assert quarantined(store) == [(4, "negative likes: -5"), (5, "unparseable created_utc: 'last tuesday'")]


def test_youtube_threads_with_replies(store: Store) -> None:
    ingest(store, "youtube_comment_threads.json", "youtube")
    assert mentions(store, "native_id", "author_id", "author_handle", "likes", "comments", "reply_to", "text") == [
        ("UgzThread1", "UCtoonfan", "@ToonFan", 42, 1, None, "Acme's best ad yet"),
        ("UgzThread1.reply1", "UCother", "@Other", 3, 0, "UgzThread1", "agreed, acme nailed it"),
    ]
    assert quarantined(store) == [(3, "missing publishedAt")]


def test_weibo_statuses_with_a_bare_repost(store: Store) -> None:
    ingest(store, "weibo_statuses.json", "weibo")
    assert mentions(store, *COLUMNS) == [
        ("weibo", "11488058246", "acme", "zaku", 1204, datetime(2011, 5, 31, 9, 46, 55), 20, 8, 9, None, None, None, None),
        # "转发微博" names no brand itself: the entity comes from the embedded original.
        ("weibo", "11488058300", "acme", "fan_a", 10, datetime(2011, 5, 31, 10, 2, 10), 1, 0, 0, None, None, None, "11488058246"),
    ]
    assert quarantined(store) == [(3, "unparseable created_at: '31/05/2011 18:30'")]


def test_vk_wall_posts_and_reposts(store: Store) -> None:
    ingest(store, "vk_wall_search.json", "vk")
    assert mentions(store, "native_id", "author_id", "author_handle", "likes", "shares", "comments", "views", "repost_of", "url") == [
        ("-1000_501", "-1000", "acme_ru", 25, 2, 4, 1500, None, "https://vk.com/wall-1000_501"),
        ("555_77", "555", "ivan_p", 1, 0, 0, 20, "-1000_501", "https://vk.com/wall555_77"),
    ]
    assert quarantined(store) == [(3, "negative likes: -1")]


def test_brandwatch_export_with_report_header_lines(store: Store) -> None:
    ingest(store, "brandwatch_mentions.csv", "brandwatch")
    assert mentions(store, "platform", "native_id", "entity", "author_followers", "likes", "shares", "views", "geo") == [
        ("reddit", "t3_1xyz", "acme", None, 7, 0, None, "GB"),
        ("x", "1790000000000000201", "acme", 1250, 10, 1, 2000, "US"),
    ]
    assert quarantined(store) == [(3, "unparseable created_at: '04/05/2024 10:00'")]


def test_sprinklr_export_with_byte_order_mark(store: Store) -> None:
    ingest(store, "sprinklr_export.csv", "sprinklr")
    assert mentions(store, "platform", "native_id", "entity", "created_at", "topic", "author_followers") == [
        ("x", "1790000000000000301", "globex", datetime(2024, 5, 5, 14, 30), "Support", 340),
        ("youtube", "Ugz99", "globex", datetime(2024, 5, 5, 15), "Product", None),
    ]
    assert quarantined(store) == [(3, "likes must be an integer, got 'abc'")]


def test_same_post_from_a_vendor_and_the_api_is_one_mention(store: Store) -> None:
    """Sprinklr's TWITTER_<id> becomes the X id, so both sources meet on one mention_id."""
    ingest(store, "sprinklr_export.csv", "sprinklr")
    stored = {r[0] for r in mentions(store, "mention_id")}
    assert mention_id("x", "1790000000000000301") in stored


def test_invalid_json_names_file_and_line(store: Store) -> None:
    with pytest.raises(MalformedFileError, match=r"x_broken\.json:3: invalid JSON"):
        ingest(store, "x_broken.json", "x")


def test_undeclared_encoding_names_file_and_line_and_declaring_it_works(store: Store) -> None:
    with pytest.raises(MalformedFileError, match=r"latin1_canonical_columns\.csv:2: not valid utf-8"):
        ingest(store, "latin1_canonical_columns.csv", "csv")
    ingest(store, "latin1_canonical_columns.csv", "csv", encoding="latin-1")
    assert mentions(store, "text") == [("Café Acme",)]


def test_wrong_adapter_for_the_file_is_a_clear_error(store: Store) -> None:
    with pytest.raises(MalformedFileError, match="expected a Reddit Listing"):
        ingest(store, "x_search.json", "reddit")


def test_unknown_source_lists_the_known_ones(store: Store) -> None:
    with pytest.raises(UnknownSourceError, match="known sources: brandwatch, canonical, csv"):
        ingest(store, "x_search.json", "myspace")


def test_adapter_names_are_unique() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(ADAPTERS["x"])


def test_missing_file_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        ingest_file(store, tmp_path / "nope.json", "x", rules=PLAIN_RULES)
