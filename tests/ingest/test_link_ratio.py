"""``max_link_ratio`` is an account's verdict over all its stored posts, whatever order files came in."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

import kpigov
from helpers import PLAIN_RULES, mentions, write_canonical
from kpigov.ingest import BotRules, IngestRules, ingest_file
from kpigov.ingest.accounts import judge_link_ratio
from kpigov.ingest.errors import IngestSetupError
from kpigov.ingest.from_specs import ingest_setup
from kpigov.store import Store, open_store, schema

T0 = datetime(2024, 5, 1, 10)
BOTS = BotRules(handle_patterns=(r"^promo_",), max_link_ratio=0.5)
RULES = replace(PLAIN_RULES, bots=BOTS)
LINKS = ("deals at https://spam.example/x", "WWW.spam.example", "see HTTP://a.example/b now")
PLAIN = ("acme shoes are fine", "acme http:// is not a link", "no text link at all")


def post(native_id: str, author: str | None, link: bool, *, handle: str | None = None, platform: str = "x",
         minutes: int = 0, **extra: Any) -> dict[str, Any]:
    """A row by ``author`` (its author_id; None: known by ``handle`` only), with or without a link."""
    texts = LINKS if link else PLAIN
    return {"platform": platform, "native_id": native_id, "entity": "acme", "created_at": T0 + timedelta(minutes=minutes),
            "author_id": author, "author_handle": handle if handle is not None else author,
            "text": texts[int(native_id.encode().hex(), 16) % len(texts)], **extra}


def spam_columns(store: Store) -> dict[str, tuple[bool, bool | None, bool | None, bool | None]]:
    """native_id -> (is_spam, row_spam, link_spam, has_link)."""
    return {row[0]: tuple(row[1:]) for row in mentions(store, "native_id", "is_spam", "row_spam", "link_spam", "has_link")}


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as opened:
        yield opened


def ingest(store: Store, path: Path, rows: Sequence[dict[str, Any]], rules: IngestRules = RULES) -> dict[str, int]:
    return dict(ingest_file(store, write_canonical(path, rows), "canonical", rules=rules).flags)


def test_an_account_crossing_the_ratio_later_flags_its_earlier_rows(store: Store, tmp_path: Path) -> None:
    first = ingest(store, tmp_path / "1.parquet", [post("a1", "a", True), post("a2", "a", False), post("b1", "b", True)])
    assert first == {"spam.link_ratio": 1}  # b: 1 of 1; a: 1 of 2 is not more than half
    assert spam_columns(store) == {"a1": (False, False, False, True), "a2": (False, False, False, False),
                                   "b1": (True, False, True, True)}
    second = ingest(store, tmp_path / "2.parquet", [post("a3", "a", True, minutes=5)])
    assert second == {"spam.link_ratio": 1, "spam.link_ratio.earlier_flagged": 2}
    assert spam_columns(store) == {"a1": (True, False, True, True), "a2": (True, False, True, False),
                                   "a3": (True, False, True, True), "b1": (True, False, True, True)}


def test_an_account_falling_back_below_the_ratio_is_unflagged(store: Store, tmp_path: Path) -> None:
    ingest(store, tmp_path / "1.parquet", [post("a1", "a", True), post("a2", "a", True)])
    assert {k: v[0] for k, v in spam_columns(store).items()} == {"a1": True, "a2": True}
    report = ingest(store, tmp_path / "2.parquet", [post("a3", "a", False), post("a4", "a", False)])
    assert report == {"spam.link_ratio.earlier_cleared": 2}  # 2 of 4 is not more than half
    assert set(spam_columns(store).values()) == {(False, False, False, True), (False, False, False, False)}


def test_other_spam_reasons_are_never_cleared(store: Store, tmp_path: Path) -> None:
    rows = [post("p1", "p", True, handle="promo_1"), post("p2", "p", True, handle="promo_1"),
            post("c1", "c", True, handle="promo_9"), post("c2", "c", True, handle="clean_now")]  # c renamed itself
    assert ingest(store, tmp_path / "1.parquet", rows) == {"spam.handle_pattern": 3, "spam.link_ratio": 4}
    more = [post(f"{a}{i}", a, False, handle=h) for a, h in (("p", "promo_1"), ("c", "clean_now")) for i in (3, 4, 5)]
    report = ingest(store, tmp_path / "2.parquet", more)
    assert report == {"spam.handle_pattern": 3, "spam.link_ratio.earlier_cleared": 4}
    state = spam_columns(store)
    assert {k: v[:3] for k, v in state.items() if k.startswith("p")} == dict.fromkeys(
        ["p1", "p2", "p3", "p4", "p5"], (True, True, False))  # the handle still says spam
    assert {k: v[:3] for k, v in state.items() if k.startswith("c")} == {
        "c1": (True, True, False), "c2": (False, False, False), "c3": (False, False, False), "c4": (False, False, False),
        "c5": (False, False, False)}


def test_reingesting_a_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    rows = [post("a1", "a", True), post("a2", "a", True), post("a3", "a", False), post("b1", None, True, handle="bee")]
    path = write_canonical(tmp_path / "f.parquet", rows)
    first = ingest_file(store, path, "canonical", rules=RULES)
    before = spam_columns(store)
    again = ingest_file(store, path, "canonical", rules=RULES)
    assert (first.rows_loaded, again.rows_loaded, again.rows_already_present) == (4, 0, 4)
    assert dict(first.flags) == {"spam.link_ratio": 4}
    assert dict(again.flags) == {}
    assert spam_columns(store) == before


def test_accounts_are_ids_then_handles_per_platform(store: Store, tmp_path: Path) -> None:
    rows = [
        post("i1", "u", True, handle="same"), post("i2", "u", True, platform="reddit", handle="same"),
        post("i3", "u", False, platform="reddit", handle="same"),  # reddit's u: 1 of 2
        post("h1", None, True, handle="same"), post("h2", None, True, handle="same"),  # known by handle only: 2 of 2
        post("h3", None, False, handle="Same"),  # another handle, another account: 0 of 1
        post("n1", None, True, handle=""),  # no account at all: not judged
    ]
    rows[-1]["author_handle"] = None
    ingest(store, tmp_path / "f.parquet", rows)
    assert {k: v[2] for k, v in spam_columns(store).items()} == {
        "i1": True, "i2": False, "i3": False, "h1": True, "h2": True, "h3": False, "n1": None}


def test_accounts_with_too_few_posts_are_not_judged(store: Store, tmp_path: Path) -> None:
    rules = replace(RULES, bots=replace(BOTS, link_ratio_min_posts=3))
    assert ingest(store, tmp_path / "1.parquet", [post("a1", "a", True), post("a2", "a", True)], rules) == {}
    assert {v[2] for v in spam_columns(store).values()} == {None}
    assert ingest(store, tmp_path / "2.parquet", [post("a3", "a", False)], rules) == {
        "spam.link_ratio": 1, "spam.link_ratio.earlier_flagged": 2}
    assert {v[:3] for v in spam_columns(store).values()} == {(True, False, True)}
    with pytest.raises(ValueError, match="link_ratio_min_posts"):
        BotRules(max_link_ratio=0.5, link_ratio_min_posts=0)


def test_the_rule_turned_off_clears_the_accounts_it_touches_and_a_full_pass_rejudges(store: Store, tmp_path: Path) -> None:
    ingest(store, tmp_path / "1.parquet", [post("a1", "a", True), post("b1", "b", True), post("b2", "b", False)])
    off = replace(RULES, bots=BotRules(handle_patterns=BOTS.handle_patterns))
    assert ingest(store, tmp_path / "2.parquet", [post("a2", "a", True)], off) == {"spam.link_ratio.earlier_cleared": 1}
    assert {k: v[:3] for k, v in spam_columns(store).items()} == {
        "a1": (False, False, None), "a2": (False, False, None), "b1": (False, False, False), "b2": (False, False, False)}
    with store.transaction() as conn:
        counts = judge_link_ratio(conn, replace(BOTS, max_link_ratio=0.4), None)
    assert counts == {"spam.link_ratio": 4, "spam.link_ratio.earlier_flagged": 4}
    assert {v[0] for v in spam_columns(store).values()} == {True}


def test_a_store_never_judged_is_not_touched_with_the_rule_off(store: Store, tmp_path: Path) -> None:
    off = replace(RULES, bots=BotRules())
    assert ingest(store, tmp_path / "1.parquet", [post("a1", "a", True)], off) == {}
    assert spam_columns(store) == {"a1": (False, False, None, True)}


# -- order independence: any order of the same files, or one file, gives the same flags ----------

ACCOUNTS = [  # (author_id, handle, platform, chance that a post holds a link)
    ("u1", "alice", "x", 0.1), ("u2", "linker", "x", 0.9), ("u3", "promo_7", "x", 0.1), ("u2", "linker", "reddit", 0.4),
    (None, "anon", "x", 0.6), (None, "promo_anon", "reddit", 0.7), (None, None, "x", 1.0), ("u4", "half", "x", 0.5),
]


def random_files(seed: int) -> list[list[dict[str, Any]]]:
    """Three files of posts by ``ACCOUNTS``, each post in one file (a few files repeat posts)."""
    rng = random.Random(seed)
    posts = []
    for n in range(36):
        author, handle, platform, chance = rng.choice(ACCOUNTS)
        row = post(f"{n:03d}", author, rng.random() < chance, handle=handle or "", platform=platform, minutes=rng.randrange(600))
        row["author_handle"] = handle
        posts.append(row)
    files: list[list[dict[str, Any]]] = [[], [], []]
    for row in posts:
        files[rng.randrange(3)].append(row)
    files[rng.randrange(3)].extend(rng.sample(posts, 4))  # re-sent posts are already present or repeated
    return files


def expected(files: list[list[dict[str, Any]]], bots: BotRules) -> dict[str, tuple[bool, bool | None]]:
    """The definition, in Python: native_id -> (is_spam, link_spam)."""
    rows = {(r["platform"], r["native_id"]): r for f in files for r in f}
    def account(r: dict[str, Any]) -> tuple[str, str, str] | None:
        if r["author_id"] is not None:
            return (r["platform"], "id", r["author_id"])
        return None if r["author_handle"] is None else (r["platform"], "handle", r["author_handle"])
    posts: dict[Any, list[bool]] = {}
    for r in rows.values():
        posts.setdefault(account(r), []).append(r["text"] in LINKS)
    verdict = {a: sum(links) / len(links) > bots.max_link_ratio for a, links in posts.items() if a is not None}
    out = {}
    for r in rows.values():
        link_spam = verdict.get(account(r))
        handle_spam = bool(r["author_handle"] and bots.handle_regex.search(r["author_handle"]))
        out[r["native_id"]] = (handle_spam or bool(link_spam), link_spam)
    return out


def _empty(store: Store) -> None:
    with store.transaction() as conn:
        for table in (schema.mentions, schema.ingest_batches, schema.quarantine):
            conn.execute(delete(table))


@pytest.mark.parametrize("seed", [7, 2024])
def test_flags_do_not_depend_on_the_order_files_came_in(store: Store, tmp_path: Path, seed: int) -> None:
    files = random_files(seed)
    want = expected(files, BOTS)
    assert set(want.values()) >= {(True, True), (False, False), (True, False), (False, None)}  # the data exercises every case
    orders = [*([files[i] for i in order] for order in itertools.permutations(range(3))), [[r for f in files for r in f]]]
    for n, order in enumerate(orders):
        _empty(store)
        for i, rows in enumerate(order):
            ingest(store, tmp_path / f"{n}-{i}.parquet", rows)
        got = {k: (v[0], v[2]) for k, v in spam_columns(store).items()}
        assert got == want, f"order {n}"


# -- the rule's knobs come from the DedupPolicy ---------------------------------------------------

def test_link_ratio_min_posts_comes_from_the_policy(example_repo: Path) -> None:
    policy = example_repo / "policies/dedup.yaml"
    policy.write_text(policy.read_text().replace("max_link_ratio: 0.8", "max_link_ratio: 0.8\n    link_ratio_min_posts: 5"))
    assert ingest_setup(kpigov.load(example_repo)).rules.bots.link_ratio_min_posts == 5
    policy.write_text(policy.read_text().replace("link_ratio_min_posts: 5", "link_ratio_min_posts: 0"))
    with pytest.raises(IngestSetupError):
        ingest_setup(kpigov.load(example_repo))
