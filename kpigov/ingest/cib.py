"""Coordinated inauthentic behaviour: distinct accounts posting near-identical text in a window.

Only posts within ``window`` of the ingest batch are (re)examined. Matching posts are found by
set-based SQL over Arrow tables in an in-memory DuckDB (whatever the store's backend), never by
comparing posts in Python:

- identical texts meet on ``content_hash``: each post is paired with the previous post of the same
  hash when it is within the window (chaining neighbours keeps a group connected without pairing
  all its members);
- near-identical texts meet through *prefix filtering*: two token sets with Jaccard ≥ t must share
  one of the rarest ``|s| - ceil(t·|s|) + 1`` tokens of each, so only posts sharing such a token in
  the same or the next ``window``-wide time bucket become candidates, and the exact Jaccard is then
  computed once per distinct pair of texts, not per pair of posts.

Tokens depend only on the normalised text, so they are computed once per distinct
``content_hash``. Accounts whose posts match become edges of a networkx graph; each connected
component with at least ``min_accounts`` accounts is a cluster, identified by a hash of its sorted
member accounts, and every matching post of its accounts gets that ``cib_cluster``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Double,
    String,
    and_,
    create_engine,
    func,
    literal,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.sql.expression import TableClause

from kpigov.ingest.rules import CIBRules
from kpigov.ingest.text import tokens
from kpigov.store import schema
from kpigov.store.backends import BACKENDS
from kpigov.store.store import Store, fetch_arrow

m = schema.mentions
_US = 1_000_000  # microseconds per second: time buckets are integer microseconds since the epoch

# What the in-memory DuckDB sees: posts (one row per stored post of the window, ``idx`` in
# (created_at, mention_id) order) and words (the distinct tokens of each distinct text).
_POST_COLUMNS = [
    Column("idx", BigInteger), Column("mention_id", String), Column("account", String),
    Column("at_us", BigInteger), Column("text_id", BigInteger),
]  # fmt: skip
_WORD_COLUMNS = [Column("text_id", BigInteger), Column("token", String)]


def flag_coordination(store: Store, conn: Connection, rules: CIBRules, ingest_batch: str) -> int:
    """Set ``cib_cluster`` on coordinated posts near ``ingest_batch``; returns the number of clusters."""
    span = conn.execute(
        select(func.min(m.c.created_at), func.max(m.c.created_at)).where(m.c.ingest_batch == ingest_batch)
    ).one()
    if span[0] is None:
        return 0
    window = _window(conn, span[0] - rules.window, span[1] + rules.window)
    if window is None:
        return 0
    pairs = matching_pairs(*window, rules)
    assignments = _clusters(pairs, rules.min_accounts)
    if assignments.num_rows:
        columns = [m.c.mention_id, m.c.cib_cluster]
        with store.stage(conn, "kpigov_cib", columns, assignments) as cib:
            conn.execute(
                update(m).values(cib_cluster=cib.c.cib_cluster).where(m.c.mention_id == cib.c.mention_id)
            )
    return len(set(assignments.column("cib_cluster").to_pylist()))


def _window(conn: Connection, start: datetime, end: datetime) -> tuple[pa.Table, pa.Table] | None:
    """Posts in [start, end] by a known account, oldest first, and the words of their texts
    (None: no such post)."""
    account = func.concat(m.c.platform, ":", func.coalesce(m.c.author_id, m.c.author_handle))
    window = fetch_arrow(conn, (
        select(m.c.mention_id, account.label("account"), m.c.created_at, m.c.content_hash, m.c.text)
        .where(m.c.created_at.between(start, end))
        .where(func.coalesce(m.c.author_id, m.c.author_handle).is_not(None))
        .order_by(m.c.created_at, m.c.mention_id)
    ))  # fmt: skip
    if not window.num_rows:
        return None
    hashes = window.column("content_hash")
    distinct_hashes = pc.unique(hashes)
    first_texts = window.column("text").take(pc.index_in(distinct_hashes, value_set=hashes))
    token_sets = [sorted(tokens(text)) for text in first_texts.to_pylist()]
    posts = pa.table({
        "idx": pa.array(range(window.num_rows), pa.int64()),
        "mention_id": window.column("mention_id"),
        "account": window.column("account"),
        "at_us": pc.cast(pc.cast(window.column("created_at"), pa.timestamp("us")), pa.int64()),
        "text_id": pc.cast(pc.index_in(hashes, value_set=distinct_hashes), pa.int64()),
    })
    words = pa.table({
        "text_id": pa.array([i for i, words in enumerate(token_sets) for _ in words], pa.int64()),
        "token": pa.array([w for words in token_sets for w in words], pa.string()),
    })
    return posts, words


def matching_pairs(posts: pa.Table, words: pa.Table, rules: CIBRules) -> pa.Table:
    """Pairs of matching posts by different accounts: ``mention_a, account_a, mention_b, account_b``.

    ``posts``: ``idx`` (position in (created_at, mention_id) order), ``mention_id``, ``account``,
    ``at_us`` (created_at in µs), ``text_id`` (equal iff equal ``content_hash``); ``words``: the
    distinct tokens of each ``text_id``.
    """
    with _scratch() as scratch, _staged(scratch, "cib_posts", _POST_COLUMNS, posts) as p, \
            _staged(scratch, "cib_words", _WORD_COLUMNS, words) as w:  # fmt: skip
        window_us = int(rules.window.total_seconds() * _US)
        a, b = p.alias("a"), p.alias("b")
        pair_ids = [_exact_pairs(p, window_us)]
        if rules.min_similarity < 1.0:
            pair_ids.append(_similar_pairs(p, w, window_us, rules.min_similarity))
        ids = union(*pair_ids).subquery("pair_ids")
        statement = (
            select(a.c.mention_id.label("mention_a"), a.c.account.label("account_a"),
                   b.c.mention_id.label("mention_b"), b.c.account.label("account_b"))
            .select_from(ids)
            .join(a, a.c.idx == ids.c.a)
            .join(b, b.c.idx == ids.c.b)
            .where(a.c.account != b.c.account)
        )  # fmt: skip
        return fetch_arrow(scratch, statement)


def _exact_pairs(p: TableClause, window_us: int):  # noqa: ANN202  (a SQLAlchemy Select of two idx columns)
    """Each post with the previous post of the same text, when within the window."""
    previous = select(
        p.c.idx.label("b"),
        p.c.at_us,
        func.lag(p.c.idx).over(partition_by=p.c.text_id, order_by=p.c.idx).label("a"),
        func.lag(p.c.at_us).over(partition_by=p.c.text_id, order_by=p.c.idx).label("a_at"),
    ).subquery("previous")
    return select(previous.c.a, previous.c.b).where(
        previous.c.a.is_not(None), previous.c.at_us - previous.c.a_at <= window_us
    )


def _similar_pairs(p: TableClause, w: TableClause, window_us: int, threshold: float):  # noqa: ANN202
    """Post pairs of different texts sharing a prefix token in adjacent time buckets, Jaccard ≥ t."""
    # Token frequency counts posts, not texts: a token is rare when few posts of the window use it.
    frequency = (
        select(w.c.token, func.count().label("n")).join(p, p.c.text_id == w.c.text_id).group_by(w.c.token)
    ).subquery("frequency")
    sized = select(w.c.text_id, func.count().label("size")).group_by(w.c.text_id).subquery("sized")
    ranked = (
        select(
            w.c.text_id,
            w.c.token,
            sized.c.size,
            func.row_number().over(partition_by=w.c.text_id, order_by=(frequency.c.n, w.c.token)).label("rank"),
        )
        .select_from(w)
        .join(frequency, frequency.c.token == w.c.token)
        .join(sized, sized.c.text_id == w.c.text_id)
    ).subquery("ranked")
    prefix_length = ranked.c.size - func.ceil(literal(threshold, Double) * ranked.c.size) + 1
    prefix = select(ranked.c.text_id, ranked.c.token, ranked.c.size).where(ranked.c.rank <= prefix_length).subquery("prefix")
    bucket = func.floor(p.c.at_us / literal(window_us, BigInteger))
    keyed = (
        select(p.c.idx, p.c.at_us, p.c.text_id, prefix.c.token, prefix.c.size, bucket.label("bucket"))
        .select_from(p)
        .join(prefix, prefix.c.text_id == p.c.text_id)
    ).subquery("keyed")
    # A later post b within the window of a sits in a's bucket or the next one.
    probe = union_all(
        select(keyed.c.idx, keyed.c.at_us, keyed.c.text_id, keyed.c.token, keyed.c.size, keyed.c.bucket.label("key")),
        select(keyed.c.idx, keyed.c.at_us, keyed.c.text_id, keyed.c.token, keyed.c.size, (keyed.c.bucket + 1).label("key")),
    ).subquery("probe")
    later = keyed.alias("later")
    candidates = (
        select(probe.c.idx.label("a"), later.c.idx.label("b"), probe.c.text_id.label("text_a"),
               later.c.text_id.label("text_b"))
        .distinct()
        .select_from(probe)
        .join(later, and_(later.c.token == probe.c.token, later.c.bucket == probe.c.key))
        .where(probe.c.idx < later.c.idx, later.c.at_us - probe.c.at_us <= window_us,
               probe.c.text_id != later.c.text_id,
               # Jaccard ≤ min/max of the sizes, computed the same way as the Jaccard below.
               func.cast(func.least(probe.c.size, later.c.size), Double) / func.greatest(probe.c.size, later.c.size)
               >= threshold)
    ).cte("candidates")  # fmt: skip
    text_pairs = select(candidates.c.text_a, candidates.c.text_b).distinct().subquery("text_pairs")
    wa, wb, sa, sb = w.alias("wa"), w.alias("wb"), sized.alias("sa"), sized.alias("sb")
    shared = (
        select(text_pairs.c.text_a, text_pairs.c.text_b, func.count().label("shared"))
        .select_from(text_pairs)
        .join(wa, wa.c.text_id == text_pairs.c.text_a)
        .join(wb, and_(wb.c.text_id == text_pairs.c.text_b, wb.c.token == wa.c.token))
        .group_by(text_pairs.c.text_a, text_pairs.c.text_b)
    ).subquery("shared")
    jaccard = func.cast(shared.c.shared, Double) / (sa.c.size + sb.c.size - shared.c.shared)
    similar = (
        select(shared.c.text_a, shared.c.text_b)
        .select_from(shared)
        .join(sa, sa.c.text_id == shared.c.text_a)
        .join(sb, sb.c.text_id == shared.c.text_b)
        .where(jaccard >= threshold)
    ).subquery("similar")
    return select(candidates.c.a, candidates.c.b).select_from(candidates).join(
        similar, and_(similar.c.text_a == candidates.c.text_a, similar.c.text_b == candidates.c.text_b)
    )


def _clusters(pairs: pa.Table, min_accounts: int) -> pa.Table:
    """``mention_id, cib_cluster`` of every matching post whose account is in a large enough component."""
    graph = nx.Graph()
    graph.add_edges_from(zip(pairs.column("account_a").to_pylist(), pairs.column("account_b").to_pylist(), strict=True))
    cluster_of: dict[str, str] = {}
    for accounts in nx.connected_components(graph):
        if len(accounts) >= min_accounts:
            cluster_id = hashlib.sha256("\n".join(sorted(accounts)).encode()).hexdigest()[:32]
            cluster_of.update(dict.fromkeys(accounts, cluster_id))
    members: dict[str, str] = {}
    for side in ("a", "b"):
        for mention, account in zip(pairs.column(f"mention_{side}").to_pylist(),
                                    pairs.column(f"account_{side}").to_pylist(), strict=True):  # fmt: skip
            if account in cluster_of:
                members[mention] = cluster_of[account]
    return pa.table({"mention_id": pa.array(list(members), pa.string()),
                     "cib_cluster": pa.array(list(members.values()), pa.string())})  # fmt: skip


@contextmanager
def _scratch() -> Iterator[Connection]:
    """A private in-memory DuckDB: the matching is the same set-based SQL whatever the store is."""
    engine = create_engine("duckdb:///:memory:")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _staged(conn: Connection, name: str, columns: list[Column[object]], data: pa.Table):  # noqa: ANN202
    return BACKENDS["duckdb"].stage(conn, name, columns, data)
