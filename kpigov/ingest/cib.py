"""Coordinated inauthentic behaviour: distinct accounts posting near-identical text in a window.

Only posts within ``window`` of the ingest batch are (re)examined. Matching posts are found by
set-based SQL over Arrow tables in a private, memory-bounded DuckDB (whatever the store's
backend), never by comparing posts in Python:

- identical texts meet on ``content_hash``: each post is paired with the previous post of the same
  hash when it is within the window (chaining neighbours keeps a group connected without pairing
  all its members);
- near-identical texts meet through *prefix filtering*: two token sets with Jaccard ≥ t must share
  one of the rarest ``|s| - ceil(t·|s|) + 1`` tokens of each, so only posts sharing such a token in
  the same or the next ``window``-wide time bucket become candidates, and the exact Jaccard is then
  computed once per distinct pair of texts, not per pair of posts.

The window is processed in *time slices* of about ``SLICE_POSTS`` posts each. A pair belongs to
the slice of its later post, and every slice also reads the ``window`` before it, so each pair is
found exactly once while memory depends on the slice, not on the batch. Tokens depend only on the
normalised text, so they are computed once per distinct ``content_hash`` of a slice, by Arrow
kernels (``kpigov.ingest.text.word_lists``). Accounts whose posts match become edges of a networkx
graph; each connected component with at least ``min_accounts`` accounts is a cluster, identified by
a hash of its sorted member accounts, and every matching post of its accounts gets that
``cib_cluster``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    Connection,
    Double,
    and_,
    create_engine,
    func,
    literal,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.sql.expression import ColumnElement, Select, TableClause, column, table
from sqlalchemy.schema import CreateTableAs

from kpigov.ingest.rules import CIBRules
from kpigov.ingest.text import word_lists
from kpigov.store import schema
from kpigov.store.store import Store, fetch_arrow

m = schema.mentions
_US = 1_000_000  # microseconds per second: time buckets are integer microseconds since the epoch
#: Posts per time slice, besides the ``window`` of posts read before it: what bounds the memory
#: of the matching. At 1M mentions with CIB on (bench/bench_ingest.py --cib) 100k kept the ingest's
#: peak RSS at 923 MiB against 1,117 MiB with 200k, at the same speed.
SLICE_POSTS = 100_000
#: The scratch DuckDB's bounds: it spills to a private temporary directory beyond this much memory,
#: and does not take more cores than a small machine has.
_SCRATCH_CONFIG = {"memory_limit": "256MB", "threads": 2, "preserve_insertion_order": False}
#: Slack on ``t·|s|`` before ``ceil``: a product that floating point rounds just above an integer
#: would shorten the prefix by one and lose pairs; a longer prefix only adds candidates.
_EPSILON = 1e-9

# What the scratch DuckDB sees: posts (one row per stored post of the slice, ``idx`` in
# (created_at, mention_id) order) and words (the distinct tokens of each distinct text).
_POST_COLUMNS = ["idx", "mention_id", "account", "at_us", "text_id"]
_WORD_COLUMNS = ["text_id", "token"]
_PAIR_SCHEMA = pa.schema([("mention_a", pa.string()), ("account_a", pa.string()),
                          ("mention_b", pa.string()), ("account_b", pa.string())])  # fmt: skip


def flag_coordination(
    store: Store, conn: Connection, rules: CIBRules, ingest_batch: str | None, *, slice_posts: int = SLICE_POSTS
) -> int:
    """Set ``cib_cluster`` on coordinated posts near ``ingest_batch`` (None: over the whole store's
    time span); returns the number of clusters."""
    span_of = select(func.min(m.c.created_at), func.max(m.c.created_at))
    if ingest_batch is not None:
        span_of = span_of.where(m.c.ingest_batch == ingest_batch)
    span = conn.execute(span_of).one()
    if span[0] is None:
        return 0
    pairs = coordinated_pairs(conn, span[0] - rules.window, span[1] + rules.window, rules, slice_posts=slice_posts)
    assignments = _clusters(pairs, rules.min_accounts)
    if assignments.num_rows:
        columns = [m.c.mention_id, m.c.cib_cluster]
        with store.stage(conn, "kpigov_cib", columns, assignments) as cib:
            conn.execute(
                update(m).values(cib_cluster=cib.c.cib_cluster).where(m.c.mention_id == cib.c.mention_id)
            )
    return len(set(assignments.column("cib_cluster").to_pylist()))


def coordinated_pairs(
    conn: Connection, start: datetime, end: datetime, rules: CIBRules, *, slice_posts: int = SLICE_POSTS
) -> pa.Table:
    """``matching_pairs`` of the stored posts in [start, end], one time slice at a time."""
    if slice_posts < 1:
        raise ValueError("slice_posts must be positive")
    bounds = _slice_starts(conn, start, end, slice_posts)
    found = []
    for i, since in enumerate(bounds):
        until = bounds[i + 1] if i + 1 < len(bounds) else None
        window = _window(conn, since - rules.window, until or end, closed=until is None)
        if window is not None:
            found.append(matching_pairs(*window, rules, since_us=_microseconds(since)))
    return pa.concat_tables(found) if found else _PAIR_SCHEMA.empty_table()


def _has_account() -> ColumnElement[bool]:
    return func.coalesce(m.c.author_id, m.c.author_handle).is_not(None)


def _slice_starts(conn: Connection, start: datetime, end: datetime, slice_posts: int) -> list[datetime]:
    """Where each slice begins: ``start``, then every ``slice_posts``-th post's time (distinct, rising).

    Posts sharing a timestamp stay in one slice, so a slice can hold a few more than ``slice_posts``.
    """
    rank = func.row_number().over(order_by=(m.c.created_at, m.c.mention_id))
    numbered = (
        select(m.c.created_at, rank.label("rank")).where(m.c.created_at.between(start, end), _has_account())
    ).subquery("numbered")
    firsts = conn.execute(
        select(numbered.c.created_at).where((numbered.c.rank - 1) % slice_posts == 0, numbered.c.rank > 1)
    ).scalars()
    return sorted({start, *firsts})


def _microseconds(moment: datetime) -> int:
    """Microseconds since the epoch of a naive UTC datetime, as Arrow casts ``created_at``."""
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def _window(conn: Connection, start: datetime, end: datetime, *, closed: bool) -> tuple[pa.Table, pa.Table] | None:
    """Posts in [start, end] (``closed``) or [start, end) by a known account, oldest first, and the
    words of their texts (None: no such post)."""
    account = func.concat(m.c.platform, ":", func.coalesce(m.c.author_id, m.c.author_handle))
    until = m.c.created_at <= end if closed else m.c.created_at < end
    window = fetch_arrow(conn, (
        select(m.c.mention_id, account.label("account"), m.c.created_at, m.c.content_hash, m.c.text)
        .where(m.c.created_at >= start, until, _has_account())
        .order_by(m.c.created_at, m.c.mention_id)
    ))  # fmt: skip
    if not window.num_rows:
        return None
    hashes = window.column("content_hash")
    distinct_hashes = pc.unique(hashes)
    first_texts = window.column("text").take(pc.index_in(distinct_hashes, value_set=hashes))
    lists = word_lists(first_texts)
    posts = pa.table({
        "idx": pa.array(range(window.num_rows), pa.int64()),
        "mention_id": window.column("mention_id"),
        "account": window.column("account"),
        "at_us": pc.cast(pc.cast(window.column("created_at"), pa.timestamp("us")), pa.int64()),
        "text_id": pc.cast(pc.index_in(hashes, value_set=distinct_hashes), pa.int64()),
    })
    return posts, _distinct_words(lists)


def _distinct_words(lists: pa.ListArray) -> pa.Table:
    """``text_id, token`` once per distinct token of each list, tokens as dictionary codes.

    The SQL only compares tokens, and integers hash and sort faster than strings; a set of
    (text, token) pairs is one Arrow ``unique`` over ``text_id · |dictionary| + code``.
    """
    codes = pc.dictionary_encode(pc.list_flatten(lists))
    vocabulary = max(len(codes.dictionary), 1)
    text_ids = pc.cast(pc.list_parent_indices(lists), pa.int64())
    keys = pc.unique(pc.add(pc.multiply(text_ids, vocabulary), pc.cast(codes.indices, pa.int64())))
    text_id = pc.divide(keys, vocabulary)  # integer division: both are int64
    return pa.table({"text_id": text_id, "token": pc.subtract(keys, pc.multiply(text_id, vocabulary))})


def matching_pairs(posts: pa.Table, words: pa.Table, rules: CIBRules, *, since_us: int | None = None) -> pa.Table:
    """Pairs of matching posts by different accounts: ``mention_a, account_a, mention_b, account_b``.

    ``posts``: ``idx`` (position in (created_at, mention_id) order), ``mention_id``, ``account``,
    ``at_us`` (created_at in µs), ``text_id`` (equal iff equal ``content_hash``); ``words``: the
    tokens of each ``text_id`` (repeats are ignored). With ``since_us`` only pairs whose later post
    is at or after it: the posts before serve as earlier partners only (a slice's overlap).
    """
    window_us = int(rules.window.total_seconds() * _US)
    since_us = since_us if since_us is not None else -(2**62)
    with _scratch() as scratch, _staged(scratch, "cib_posts", _POST_COLUMNS, posts) as p, \
            _staged(scratch, "cib_words", _WORD_COLUMNS, words) as w:  # fmt: skip
        a, b = p.alias("a"), p.alias("b")
        pair_ids = [_exact_pairs(p, window_us, since_us)]
        if rules.min_similarity < 1.0:
            pair_ids.append(_similar_pairs(scratch, p, w, window_us, since_us, rules.min_similarity))
        ids = _materialise(scratch, "cib_pair_ids", union(*pair_ids))
        statement = (
            select(a.c.mention_id.label("mention_a"), a.c.account.label("account_a"),
                   b.c.mention_id.label("mention_b"), b.c.account.label("account_b"))
            .select_from(ids)
            .join(a, a.c.idx == ids.c.a)
            .join(b, b.c.idx == ids.c.b)
            .where(a.c.account != b.c.account)
        )  # fmt: skip
        return fetch_arrow(scratch, statement).cast(_PAIR_SCHEMA)


def _exact_pairs(p: TableClause, window_us: int, since_us: int) -> Select[tuple[int, int]]:
    """Each post (from ``since_us``) with the previous post of the same text, when within the window."""
    previous = select(
        p.c.idx.label("b"),
        p.c.at_us,
        func.lag(p.c.idx).over(partition_by=p.c.text_id, order_by=p.c.idx).label("a"),
        func.lag(p.c.at_us).over(partition_by=p.c.text_id, order_by=p.c.idx).label("a_at"),
    ).subquery("previous")
    return select(previous.c.a, previous.c.b).where(
        previous.c.a.is_not(None), previous.c.at_us - previous.c.a_at <= window_us, previous.c.at_us >= since_us
    )


def _similar_pairs(  # noqa: PLR0913  (the slice's tables and the rule's three numbers)
    scratch: Connection, p: TableClause, w: TableClause, window_us: int, since_us: int, threshold: float
) -> Select[tuple[int, int]]:
    """Post pairs of different texts sharing a prefix token in adjacent time buckets, Jaccard ≥ t.

    Each step is materialised once in the scratch DuckDB, so the window functions over all words
    run once, not once per reference.
    """
    sizes = _materialise(scratch, "cib_sizes", (
        select(w.c.text_id, func.count().label("size")).group_by(w.c.text_id)
    ))  # fmt: skip
    # Token frequency counts posts, not texts: a token is rare when few posts of the slice use it.
    uses = select(p.c.text_id, func.count().label("n")).group_by(p.c.text_id).subquery("uses")
    frequency = (
        select(w.c.token, func.sum(uses.c.n).label("n"))
        .join(uses, uses.c.text_id == w.c.text_id)
        .group_by(w.c.token)
    ).subquery("frequency")
    ranked = (
        select(
            w.c.text_id,
            w.c.token,
            frequency.c.n,
            sizes.c.size,
            func.row_number().over(partition_by=w.c.text_id, order_by=(frequency.c.n, w.c.token)).label("rank"),
        )
        .select_from(w)
        .join(frequency, frequency.c.token == w.c.token)
        .join(sizes, sizes.c.text_id == w.c.text_id)
    ).subquery("ranked")
    prefix_length = ranked.c.size - func.ceil(literal(threshold, Double) * ranked.c.size - _EPSILON) + 1
    # A prefix token that only one post of the slice uses cannot be shared: it never joins.
    prefix = _materialise(scratch, "cib_prefix", (
        select(ranked.c.text_id, ranked.c.token, ranked.c.size).where(ranked.c.rank <= prefix_length, ranked.c.n > 1)
    ))  # fmt: skip
    bucket = func.floor(p.c.at_us / literal(window_us, BigInteger))
    keyed = _materialise(scratch, "cib_keyed", (
        select(p.c.idx, p.c.account, p.c.at_us, p.c.text_id, prefix.c.token, prefix.c.size, bucket.label("bucket"))
        .select_from(p)
        .join(prefix, prefix.c.text_id == p.c.text_id)
        .where(p.c.at_us >= since_us - window_us)
    ))  # fmt: skip
    # A later post b within the window of a sits in a's bucket or the next one.
    probe = union_all(
        select(keyed.c.idx, keyed.c.account, keyed.c.at_us, keyed.c.text_id, keyed.c.size, keyed.c.token, keyed.c.bucket.label("key")),
        select(keyed.c.idx, keyed.c.account, keyed.c.at_us, keyed.c.text_id, keyed.c.size, keyed.c.token, (keyed.c.bucket + 1).label("key")),
    ).subquery("probe")
    later = keyed.alias("later")
    candidates = _materialise(scratch, "cib_candidates", (
        select(probe.c.idx.label("a"), later.c.idx.label("b"), probe.c.text_id.label("text_a"),
               later.c.text_id.label("text_b"))
        .distinct()
        .select_from(probe)
        .join(later, and_(later.c.token == probe.c.token, later.c.bucket == probe.c.key))
        .where(probe.c.idx < later.c.idx, later.c.at_us - probe.c.at_us <= window_us, later.c.at_us >= since_us,
               probe.c.text_id != later.c.text_id, probe.c.account != later.c.account,
               # Jaccard ≤ min/max of the sizes, computed the same way as the Jaccard below.
               func.cast(func.least(probe.c.size, later.c.size), Double) / func.greatest(probe.c.size, later.c.size)
               >= threshold)
    ))  # fmt: skip
    text_pairs = select(candidates.c.text_a, candidates.c.text_b).distinct().subquery("text_pairs")
    wa, wb, sa, sb = w.alias("wa"), w.alias("wb"), sizes.alias("sa"), sizes.alias("sb")
    # The tokens of each pair's first text, materialised: left to itself, DuckDB may join the
    # words of both sides on the token first, which for a common token is quadratic.
    pair_words = _materialise(scratch, "cib_pair_words", (
        select(text_pairs.c.text_a, text_pairs.c.text_b, wa.c.token)
        .select_from(text_pairs)
        .join(wa, wa.c.text_id == text_pairs.c.text_a)
    ))  # fmt: skip
    shared = (
        select(pair_words.c.text_a, pair_words.c.text_b, func.count().label("shared"))
        .select_from(pair_words)
        .join(wb, and_(wb.c.text_id == pair_words.c.text_b, wb.c.token == pair_words.c.token))
        .group_by(pair_words.c.text_a, pair_words.c.text_b)
    ).subquery("shared")
    jaccard = func.cast(shared.c.shared, Double) / (sa.c.size + sb.c.size - shared.c.shared)
    similar = _materialise(scratch, "cib_similar", (
        select(shared.c.text_a, shared.c.text_b)
        .select_from(shared)
        .join(sa, sa.c.text_id == shared.c.text_a)
        .join(sb, sb.c.text_id == shared.c.text_b)
        .where(jaccard >= threshold)
    ))  # fmt: skip
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
    """A private in-memory DuckDB: the matching is the same set-based SQL whatever the store is.

    Bounded like the store (``_SCRATCH_CONFIG``); what does not fit spills to a temporary
    directory of its own, not to DuckDB's default ``.tmp`` in the working directory.
    """
    with tempfile.TemporaryDirectory(prefix="kpigov-cib-") as spill:
        engine = create_engine("duckdb:///:memory:", connect_args={"config": {**_SCRATCH_CONFIG, "temp_directory": spill}})
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()


def _materialise(conn: Connection, name: str, statement: Select[tuple[object, ...]]) -> TableClause:
    """The rows of ``statement`` as the scratch DuckDB's temporary table ``name``, computed once."""
    conn.execute(CreateTableAs(statement, name, temporary=True))
    return table(name, *(column(c.name) for c in statement.selected_columns))


@contextmanager
def _staged(conn: Connection, name: str, columns: list[str], data: pa.Table) -> Iterator[TableClause]:
    """``data`` as the scratch DuckDB's view ``name``, scanned in place with the types it has.

    Not the store backend's staging (a typed copy): the scratch is private and disposed after
    each slice, so a registered view's Arrow data cannot outlive the slice.
    """
    raw = conn.connection.driver_connection
    raw.register(name, data.select(columns))
    try:
        yield table(name, *(column(c) for c in columns))
    finally:
        raw.unregister(name)
