"""Bot, spam, employee and CIB flags: set by the documented rule, counted in the report."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers import PLAIN_RULES, mentions, write_canonical
from kpigov.ingest import BotRules, CIBRules, EmployeeRules, IngestRules, ingest_file
from kpigov.store import Store, open_store

T0 = datetime(2024, 5, 1, 10)


def row(native_id: str, handle: str, text: str, minutes: int = 0, **extra: Any) -> dict[str, Any]:
    return {"platform": "x", "native_id": native_id, "entity": "acme", "created_at": T0 + timedelta(minutes=minutes),
            "author_id": f"id_{handle}", "author_handle": handle, "text": text, **extra}


@pytest.fixture
def store(store_url: str) -> Store:
    with open_store(store_url, create=True) as opened:
        yield opened


def test_bot_spam_and_employee_rules(store: Store, tmp_path: Path) -> None:
    rows = [
        row("1", "fresh", "acme is great", author_followers=3, author_posts=10),
        row("2", "busy", "acme acme", author_followers=500, author_posts=900_000),
        row("3", "newborn", "hello acme", author_followers=500, author_posts=100, author_created_at=T0 - timedelta(days=2)),
        row("4", "deals4u_99999", "acme deal", author_followers=500, author_posts=100),
        row("5", "linky", "acme http://a.example http://b.example https://c.example", author_followers=500, author_posts=100),
        row("6", "Jane_Acme", "I work on acme", author_followers=500, author_posts=100),
        row("7", "acme_support", "we at acme can help", author_followers=500, author_posts=100),
        row("8", "normal", "acme rocks", author_followers=500, author_posts=100, author_created_at=T0 - timedelta(days=900)),
        row("9", "unknown", "acme without author numbers"),
    ]
    applied = IngestRules(
        PLAIN_RULES.dedup,
        bots=BotRules(max_followers=10, min_posts=5, max_posts=100_000, min_account_age_days=30,
                      handle_patterns=(r"\d{5,}$",), max_link_ratio=0.5),
        employees=EmployeeRules(handles=frozenset({"@jane_acme"}), handle_patterns=(r"^acme_",)),
    )
    report = ingest_file(store, write_canonical(tmp_path / "f.parquet", rows), "canonical", rules=applied)
    assert mentions(store, "native_id", "is_bot", "is_spam", "is_employee") == [
        ("1", True, False, False), ("2", True, False, False), ("3", True, False, False), ("4", False, True, False),
        ("5", False, True, False), ("6", False, False, True), ("7", False, False, True), ("8", False, False, False),
        ("9", False, False, False),
    ]
    assert report.flags == {"bot.max_followers": 1, "bot.max_posts": 1, "bot.min_account_age_days": 1,
                            "spam.handle_pattern": 1, "spam.link_ratio": 1, "employee.handle": 1, "employee.handle_pattern": 1}


def test_invalid_rules_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="invalid handle pattern"):
        BotRules(handle_patterns=("([",))
    with pytest.raises(ValueError, match="min_accounts"):
        CIBRules(min_accounts=1, window=timedelta(hours=1), min_similarity=0.8)


def test_coordinated_accounts_form_a_stable_cluster(store: Store, tmp_path: Path) -> None:
    script = "Acme rocket skates exploded and injured my whole family, boycott acme now"
    rows = [
        row("1", "sock1", script, 0),
        row("2", "sock2", script + " https://t.co/x", 5),  # same normalised text
        row("3", "sock3", script.replace("whole", "entire"), 9),  # near-identical (Jaccard 0.86)
        row("4", "sock1", script, 11),  # the same account again: no new member
        row("5", "late", script, 600),  # outside the window of the others
        row("6", "honest", "acme skates are fine for me", 3),
        row("7", "pairA", "globex acme merger rumours are everywhere today", 0),
        row("8", "pairB", "globex acme merger rumours are everywhere today", 1),  # only 2 accounts
    ]
    applied = IngestRules(PLAIN_RULES.dedup, cib=CIBRules(min_accounts=3, window=timedelta(minutes=30), min_similarity=0.8))
    report = ingest_file(store, write_canonical(tmp_path / "c.parquet", rows), "canonical", rules=applied)
    clusters = dict(mentions(store, "native_id", "cib_cluster"))
    import hashlib

    expected = hashlib.sha256("\n".join(sorted(["x:id_sock1", "x:id_sock2", "x:id_sock3"])).encode()).hexdigest()[:32]
    assert report.cib_clusters == 1
    assert clusters == {"1": expected, "2": expected, "3": expected, "4": expected,
                        "5": None, "6": None, "7": None, "8": None}
