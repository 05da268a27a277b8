"""CIB in time slices finds exactly the pairs of one pass over the window, on stored posts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from helpers import PLAIN_RULES, write_canonical
from test_cib import VOCABULARY, brute_force, random_window

from kpigov.ingest import ingest_file, mention_id
from kpigov.ingest.cib import _slice_starts, coordinated_pairs, flag_coordination, matching_pairs
from kpigov.ingest.rules import CIBRules
from kpigov.store import open_store, schema

T0 = datetime(2024, 5, 1)
RULES = CIBRules(min_accounts=2, window=timedelta(minutes=20), min_similarity=0.8)


def store_posts(url: str, path: Path, posts: list[tuple[str, int, str]]) -> list[tuple[str, int, frozenset[str], str]]:
    """Ingest (account, seconds after T0, text) posts; returns them as ``brute_force`` describes
    posts, in (created_at, mention_id) order and labelled ``m<position>``, and the mention ids."""
    rows = [{"platform": "x", "native_id": str(i), "entity": "acme", "author_id": account,
             "created_at": T0 + timedelta(seconds=at), "text": text} for i, (account, at, text) in enumerate(posts)]  # fmt: skip
    with open_store(url, create=True) as store:
        ingest_file(store, write_canonical(path, rows), "canonical", rules=PLAIN_RULES)
    order = sorted(range(len(posts)), key=lambda i: (posts[i][1], mention_id("x", str(i))))
    return [(f"x:{posts[i][0]}", posts[i][1] * 1_000_000, frozenset(posts[i][2].split()), posts[i][2]) for i in order], [
        mention_id("x", str(i)) for i in order
    ]


def found_pairs(url: str, rules: CIBRules, slice_posts: int, ids: list[str]) -> set[tuple[str, str]]:
    """The pairs ``coordinated_pairs`` finds over everything stored, labelled like ``brute_force``'s."""
    label = {mention: f"m{i}" for i, mention in enumerate(ids)}
    with open_store(url, create=False) as store, store.transaction() as conn:
        pairs = coordinated_pairs(conn, T0 - timedelta(days=1), T0 + timedelta(days=1), rules, slice_posts=slice_posts)
    found = [(label[a], label[b]) for a, b in zip(pairs.column("mention_a").to_pylist(), pairs.column("mention_b").to_pylist(), strict=True)]
    assert len(found) == len(set(found)), "a pair was found by two slices"
    return set(found)


@pytest.mark.parametrize("similarity", [0.7, 1.0])
def test_slices_find_exactly_the_brute_force_pairs(store_url: str, tmp_path: Path, similarity: float) -> None:
    rng = random.Random(11)
    texts = [" ".join(sorted(rng.sample(VOCABULARY, rng.randint(1, 8)))) for _ in range(25)]
    posts = [(str(rng.randrange(12)), rng.randrange(0, 3 * 3600), rng.choice(texts)) for _ in range(160)]
    posts += [(str(rng.randrange(12)), 1800, texts[0]) for _ in range(6)]  # many posts at one instant
    described, ids = store_posts(store_url, tmp_path / "p.parquet", posts)
    rules = CIBRules(min_accounts=2, window=timedelta(minutes=20), min_similarity=similarity)
    expected = brute_force(described, rules)
    assert len(expected) > 20
    for slice_posts in (3, 7, 40, 10_000):  # 3: many slices, each pair across boundaries; 10,000: one slice
        assert found_pairs(store_url, rules, slice_posts, ids) == expected, slice_posts


def test_a_pair_straddling_a_slice_boundary_is_found(store_url: str, tmp_path: Path) -> None:
    near = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    posts = [
        ("filler", 0, "nothing to see"),
        ("a", 600, near),  # the last post of the first slice of two posts ...
        ("b", 900, near.replace("kappa", "lambda") + " mu"),  # ... Jaccard 9/12 = 0.75, first of the next
        ("c", 1000, near),  # identical to a's, 400 s later: chained across the boundary too
    ]
    rules = CIBRules(min_accounts=2, window=timedelta(minutes=20), min_similarity=0.75)
    described, ids = store_posts(store_url, tmp_path / "p.parquet", posts)
    with open_store(store_url, create=False) as store, store.transaction() as conn:
        starts = _slice_starts(conn, T0 - timedelta(minutes=20), T0 + timedelta(hours=1), 2)
    assert starts == [T0 - timedelta(minutes=20), T0 + timedelta(seconds=900)]  # the boundary falls between a and b
    expected = {("m1", "m2"), ("m1", "m3"), ("m2", "m3")}
    assert brute_force(described, rules) == expected
    assert found_pairs(store_url, rules, 2, ids) == expected
    assert found_pairs(store_url, rules, 1, ids) == expected


def test_flagging_in_slices_gives_the_same_clusters(tmp_path: Path) -> None:
    rng = random.Random(5)
    texts = [" ".join(sorted(rng.sample(VOCABULARY, 6))) for _ in range(10)]
    posts = [(str(rng.randrange(150)), rng.randrange(0, 8 * 3600), rng.choice(texts)) for _ in range(200)]
    rules = CIBRules(min_accounts=3, window=timedelta(minutes=5), min_similarity=0.8)
    clusters = []
    for slice_posts in (3, 1_000):
        url = f"duckdb:///{tmp_path / f'{slice_posts}.duckdb'}"
        store_posts(url, tmp_path / "p.parquet", posts)
        with open_store(url, create=False) as store, store.transaction() as conn:
            batch = conn.execute(select(schema.mentions.c.ingest_batch).limit(1)).scalar_one()
            count = flag_coordination(store, conn, rules, batch, slice_posts=slice_posts)
            flagged = conn.execute(select(schema.mentions.c.native_id, schema.mentions.c.cib_cluster)).all()
        clusters.append((count, sorted(flagged)))
    assert clusters[0][0] > 1
    assert clusters[0] == clusters[1]


@pytest.mark.parametrize("seed", range(3))
def test_only_pairs_whose_later_post_is_in_the_slice(seed: int) -> None:
    posts, words, described = random_window(seed)
    since = sorted(at for _, at, _, _ in described)[len(described) // 2]
    rules = CIBRules(min_accounts=2, window=timedelta(minutes=20), min_similarity=0.6)
    found = matching_pairs(posts, words, rules, since_us=since)
    pairs = set(zip(found.column("mention_a").to_pylist(), found.column("mention_b").to_pylist(), strict=True))
    expected = {(a, b) for a, b in brute_force(described, rules) if described[int(b[1:])][1] >= since}
    assert len(expected) > 10
    assert pairs == expected


def test_slices_must_hold_posts() -> None:
    with pytest.raises(ValueError, match="slice_posts must be positive"):
        coordinated_pairs(None, T0, T0, RULES, slice_posts=0)  # type: ignore[arg-type]
