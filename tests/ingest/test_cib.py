"""CIB matching in SQL finds exactly the pairs a brute-force comparison of every two posts finds."""

from __future__ import annotations

import random
from datetime import timedelta

import pyarrow as pa
import pytest

from kpigov.ingest.cib import matching_pairs
from kpigov.ingest.rules import CIBRules

VOCABULARY = [f"w{i}" for i in range(14)]


def random_window(seed: int, posts: int = 400) -> tuple[pa.Table, pa.Table, list[tuple[str, int, frozenset[str]]]]:
    """Posts of few accounts, texts drawn from few words (so near-duplicates abound), oldest first."""
    rng = random.Random(seed)
    texts = [frozenset(rng.sample(VOCABULARY, rng.randint(0, 10))) for _ in range(60)]
    texts += [t | {"extra"} for t in texts[:20]]  # one more word: Jaccard |t| / (|t| + 1)
    rows = sorted((rng.randrange(0, 6 * 3600) * 1_000_000, rng.randrange(len(texts))) for _ in range(posts))
    accounts = [f"x:{rng.randrange(25)}" for _ in rows]
    posts_table = pa.table({
        "idx": pa.array(range(len(rows)), pa.int64()),
        "mention_id": [f"m{i}" for i in range(len(rows))],
        "account": accounts,
        "at_us": pa.array([at for at, _ in rows], pa.int64()),
        "text_id": pa.array([text for _, text in rows], pa.int64()),
    })
    words = pa.table({
        "text_id": pa.array([i for i, t in enumerate(texts) for _ in t], pa.int64()),
        "token": [w for t in texts for w in sorted(t)],
    })
    described = [(accounts[i], at, texts[text]) for i, (at, text) in enumerate(rows)]
    return posts_table, words, [(a, at, t, text) for (a, at, t), (_, text) in zip(described, rows, strict=True)]


def brute_force(described: list, rules: CIBRules) -> set[tuple[str, str]]:
    window = rules.window.total_seconds() * 1_000_000
    pairs = set()
    last_of_text: dict[int, int] = {}
    for j, (account_b, at_b, words_b, text_b) in enumerate(described):
        i = last_of_text.get(text_b)  # identical texts: chained to the previous post of that text
        if i is not None and at_b - described[i][1] <= window and described[i][0] != account_b:
            pairs.add((f"m{i}", f"m{j}"))
        last_of_text[text_b] = j
        if rules.min_similarity >= 1.0:  # 1.0 means the same normalised text, nothing else
            continue
        for i, (account_a, at_a, words_a, text_a) in enumerate(described[:j]):
            if text_a == text_b or account_a == account_b or at_b - at_a > window or not words_a | words_b:
                continue
            if len(words_a & words_b) / len(words_a | words_b) >= rules.min_similarity:
                pairs.add((f"m{i}", f"m{j}"))
    return pairs


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("similarity", [0.6, 0.9, 1.0])
def test_sql_matching_equals_brute_force(seed: int, similarity: float) -> None:
    posts, words, described = random_window(seed)
    rules = CIBRules(min_accounts=2, window=timedelta(minutes=20), min_similarity=similarity)
    found = matching_pairs(posts, words, rules)
    pairs = set(zip(found.column("mention_a").to_pylist(), found.column("mention_b").to_pylist(), strict=True))
    expected = brute_force(described, rules)
    assert len(expected) > 20  # the fixture really has matches to find
    assert pairs == expected
