"""Coordinated inauthentic behaviour: distinct accounts posting near-identical text in a window.

Candidates are bucketed before anything is compared: identical texts meet on ``content_hash``;
near-identical ones meet through *prefix filtering* (two token sets with Jaccard ≥ t must share
one of the rarest ``|s| - ceil(t·|s|) + 1`` tokens of each), so only posts sharing a rare token
within the window are compared, never all pairs. Accounts whose posts match become edges of a
networkx co-posting graph; each connected component with at least ``min_accounts`` accounts is
a cluster, identified by a hash of its sorted member accounts, and its matching posts get that
``cib_cluster``. Only posts within ``window`` of the ingest batch are (re)examined.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import networkx as nx
import pyarrow as pa
from sqlalchemy import Connection, func, select, update

from kpigov.ingest.rules import CIBRules
from kpigov.ingest.text import tokens
from kpigov.store import schema
from kpigov.store.store import Store

m = schema.mentions


@dataclass(frozen=True)
class _Post:
    mention_id: str
    account: str
    created_at: datetime
    content_hash: str
    words: frozenset[str]


def flag_coordination(store: Store, conn: Connection, rules: CIBRules, ingest_batch: str) -> int:
    """Set ``cib_cluster`` on coordinated posts near ``ingest_batch``; returns the number of clusters."""
    span = conn.execute(
        select(func.min(m.c.created_at), func.max(m.c.created_at)).where(m.c.ingest_batch == ingest_batch)
    ).one()
    if span[0] is None:
        return 0
    posts = _posts(conn, span[0] - rules.window, span[1] + rules.window)
    graph = nx.Graph()
    for a, b in _matching_pairs(posts, rules):
        if a.account != b.account:
            if graph.has_edge(a.account, b.account):
                graph[a.account][b.account]["posts"].update((a.mention_id, b.mention_id))
            else:
                graph.add_edge(a.account, b.account, posts={a.mention_id, b.mention_id})
    assignments: dict[str, str] = {}
    clusters = 0
    for accounts in nx.connected_components(graph):
        if len(accounts) < rules.min_accounts:
            continue
        clusters += 1
        cluster_id = hashlib.sha256("\n".join(sorted(accounts)).encode()).hexdigest()[:32]
        for _, _, data in graph.subgraph(accounts).edges(data=True):
            for mention in data["posts"]:
                assignments[mention] = cluster_id
    if assignments:
        staged = pa.table({"mention_id": list(assignments), "cib_cluster": list(assignments.values())})
        columns = [m.c.mention_id, m.c.cib_cluster]
        with store.stage(conn, "kpigov_cib", columns, staged) as cib:
            conn.execute(
                update(m).values(cib_cluster=cib.c.cib_cluster).where(m.c.mention_id == cib.c.mention_id)
            )
    return clusters


def _posts(conn: Connection, start: datetime, end: datetime) -> list[_Post]:
    """Posts in [start, end] by a known account, oldest first."""
    account = func.concat(m.c.platform, ":", func.coalesce(m.c.author_id, m.c.author_handle))
    rows = conn.execute(
        select(m.c.mention_id, account, m.c.created_at, m.c.content_hash, m.c.text)
        .where(m.c.created_at.between(start, end))
        .where(func.coalesce(m.c.author_id, m.c.author_handle).is_not(None))
        .order_by(m.c.created_at, m.c.mention_id)
    )
    return [_Post(r[0], r[1], r[2], r[3], tokens(r[4])) for r in rows]


def _matching_pairs(posts: list[_Post], rules: CIBRules) -> Iterable[tuple[_Post, _Post]]:
    """Pairs of near-identical posts within the window, from buckets only."""
    by_hash: dict[str, list[_Post]] = defaultdict(list)
    for post in posts:
        by_hash[post.content_hash].append(post)
    for group in by_hash.values():
        # Chaining neighbours in time keeps a group connected without pairing all its members.
        for a, b in zip(group, group[1:]):
            if b.created_at - a.created_at <= rules.window:
                yield a, b
    if rules.min_similarity >= 1.0:
        return
    frequency: dict[str, int] = defaultdict(int)
    for post in posts:
        for word in post.words:
            frequency[word] += 1
    buckets: dict[str, list[_Post]] = defaultdict(list)
    for post in posts:
        if not post.words:
            continue
        prefix = len(post.words) - math.ceil(rules.min_similarity * len(post.words)) + 1
        for word in sorted(post.words, key=lambda w: (frequency[w], w))[:prefix]:
            buckets[word].append(post)
    seen: set[tuple[str, str]] = set()
    for bucket in buckets.values():
        for i, a in enumerate(bucket):  # oldest first, so the inner loop stops at the window's end
            for b in bucket[i + 1 :]:
                if b.created_at - a.created_at > rules.window:
                    break
                pair = (a.mention_id, b.mention_id)
                if a.content_hash == b.content_hash or pair in seen:
                    continue
                seen.add(pair)
                if len(a.words & b.words) / len(a.words | b.words) >= rules.min_similarity:
                    yield a, b
