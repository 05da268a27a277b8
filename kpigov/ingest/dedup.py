"""Deduplication: which stored rows collapse onto another one (``duplicate_of``), in set-based SQL.

The outcome is a function of the stored rows alone, never of the order files came in:
ingesting A then B equals ingesting B then A. To keep that true incrementally, an ingest
recomputes exactly the rows *connected* to its batch, the closure over two relations:

- structure: a row and the post it reposts (or quotes, when quotes collapse), and the other
  reposts of that same post;
- text: rows sharing a ``content_hash`` (long enough to be compared), when cross-platform
  text dedup is on.

Nothing outside that closure can change. Within it, each row gets a parent that is strictly
earlier in (created_at, mention_id), so chains end and cycles are impossible:

1. a repost's parent is its original when stored, else the earliest repost of that original;
2. parents are followed to the root (``duplicate_of`` always names a canonical row);
3. a canonical row with the same normalised text as an earlier canonical row from another
   platform, within ``cross_platform_window`` of it, collapses onto the earliest such row;
4. roots are followed again and written back where they changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    FromClause,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    Select,
    select,
    tuple_,
    union,
    update,
)

from kpigov.ingest.rules import DedupRules
from kpigov.store import schema

_MAX_PASSES = 10_000  # a chain longer than this means a bug, not data: parents strictly precede children

m = schema.mentions


def deduplicate(conn: Connection, rules: DedupRules, ingest_batch: str | None) -> int:
    """Recompute ``duplicate_of`` for the rows connected to ``ingest_batch`` (None: the whole store,
    e.g. after the rules changed). Returns how many stored rows changed."""
    meta = MetaData()
    scope = Table("kpigov_dedup_scope", meta, Column("mention_id", String(64)), prefixes=["TEMPORARY"])
    plan = Table(
        "kpigov_dedup_plan",
        meta,
        Column("mention_id", String(64)),
        Column("platform", String(16)),
        Column("native_id", String(128)),
        Column("group_key", String(128)),
        Column("created_at", DateTime()),
        Column("content_hash", String(64)),
        Column("text_comparable", Boolean),
        Column("parent", String(64)),
        prefixes=["TEMPORARY"],
    )
    meta.create_all(conn, checkfirst=False)
    key = _group_key(rules)
    comparable = _text_comparable(rules)
    # The scope: every stored row (whole store), the batch's rows (nothing stored before: the batch
    # is its own closure), or the batch grown by _close_scope into the temporary scope table.
    closed = ingest_batch is not None and _stored_before(conn, ingest_batch)
    if closed:
        conn.execute(insert(scope).from_select(["mention_id"], select(m.c.mention_id).where(m.c.ingest_batch == ingest_batch)))
        _close_scope(conn, scope, key, comparable)

    def scoped(rows: Select[Any], table: FromClause) -> Select[Any]:
        if closed:
            return rows.join(scope, scope.c.mention_id == table.c.mention_id)
        return rows if ingest_batch is None else rows.where(table.c.ingest_batch == ingest_batch)

    conn.execute(insert(plan).from_select([c.name for c in plan.columns if c.name != "parent"], _plan_rows(rules, scoped)))
    _structural_parents(conn, plan)
    _follow_to_roots(conn, plan)
    if rules.cross_platform_window is not None:
        _cross_platform_parents(conn, plan, rules.cross_platform_window)
        _follow_to_roots(conn, plan)
    changed = conn.execute(
        update(m)
        .values(duplicate_of=plan.c.parent)
        .where(m.c.mention_id == plan.c.mention_id, m.c.duplicate_of.is_distinct_from(plan.c.parent))
    ).rowcount
    meta.drop_all(conn, checkfirst=False)
    return changed


def _plan_rows(rules: DedupRules, scoped: Callable[[Select[Any], FromClause], Select[Any]]) -> Select[Any]:
    """The scope's rows whose ``duplicate_of`` can be anything but null, the only ones planned.

    A row can only collapse, or be collapsed onto, when it is a repost or quote (a group key), the
    original a group key names, or a comparable text that another platform also has; a row that is
    collapsed now is planned too, so a rule turned off clears it. Every other row keeps (and has) a
    null ``duplicate_of``: leaving it out keeps the plan to a few percent of a fresh batch instead
    of every row of it (10M rows did not fit in memory as one plan table).

    The scope (``scoped`` restricts a select over a table to it) is read three times, each time for
    its own columns: DuckDB turns a subquery read twice into a CTE it materialises (every scoped row,
    uncompressed), while these three differ and each reads only its columns from the column store.
    "Another platform" is ``min(platform) <> max(platform)``, one hash aggregate where
    ``count(DISTINCT platform) > 1`` took two.
    """
    child, text = m.alias("child"), m.alias("text")
    child_key, text_comparable = _group_key(rules, child), _text_comparable(rules, text)
    originals = scoped(select(child.c.platform, child_key).where(child_key.is_not(None)), child)
    shared = scoped(select(text.c.content_hash).where(text_comparable), text).group_by(text.c.content_hash).having(
        func.min(text.c.platform) != func.max(text.c.platform))
    key, comparable = _group_key(rules), _text_comparable(rules)
    relevant = or_(
        key.is_not(None),
        m.c.duplicate_of.is_not(None),
        tuple_(m.c.platform, m.c.native_id).in_(originals),
        and_(comparable, m.c.content_hash.in_(shared)),
    )
    return scoped(select(m.c.mention_id, m.c.platform, m.c.native_id, key, m.c.created_at, m.c.content_hash, comparable)
                  .where(relevant), m)


def _stored_before(conn: Connection, ingest_batch: str) -> bool:
    """Whether any row came from another batch; if none did, the batch is its own closure."""
    return conn.execute(select(exists().where(m.c.ingest_batch != ingest_batch))).scalar_one()


def _group_key(rules: DedupRules, rows: FromClause = m) -> ColumnElement[str | None]:
    """The native id of the post a row collapses towards by structure (null: none)."""
    whens = []
    if rules.collapse_reposts:
        whens.append((rows.c.repost_of.is_not(None), rows.c.repost_of))
    if not rules.quotes_count_as_mentions:
        whens.append((rows.c.quote_of.is_not(None), rows.c.quote_of))
    return case(*whens, else_=null()) if whens else null()


def _text_comparable(rules: DedupRules, rows: FromClause = m) -> ColumnElement[bool]:
    if rules.cross_platform_window is None:
        return literal(False)
    return func.coalesce(func.length(rows.c.text), 0) >= rules.min_text_length_for_text_dedup


def _close_scope(conn: Connection, scope: Table, key: ColumnElement[str | None], comparable: ColumnElement[bool]) -> None:
    """Grow ``scope`` until no stored row outside it is connected to a row inside it."""
    for _ in range(_MAX_PASSES):
        inside = select(m.c.platform, m.c.native_id, key.label("group_key"), m.c.content_hash, comparable.label("comparable")).join(
            scope, scope.c.mention_id == m.c.mention_id
        ).subquery("inside")
        keys = union(
            select(inside.c.platform, inside.c.native_id.label("k")),
            select(inside.c.platform, inside.c.group_key).where(inside.c.group_key.is_not(None)),
        ).subquery("keys")
        hashes = select(inside.c.content_hash).where(inside.c.comparable).distinct().subquery("hashes")
        connected = union(
            select(m.c.mention_id).join(keys, and_(m.c.platform == keys.c.platform, m.c.native_id == keys.c.k)),
            select(m.c.mention_id).join(keys, and_(m.c.platform == keys.c.platform, key == keys.c.k)),
            select(m.c.mention_id).join(hashes, m.c.content_hash == hashes.c.content_hash).where(comparable),
        ).subquery("connected")
        outside = select(connected.c.mention_id).where(
            ~select(scope.c.mention_id).where(scope.c.mention_id == connected.c.mention_id).exists()
        )
        grown = insert(scope).from_select(["mention_id"], outside).execution_options(preserve_rowcount=True)
        if not conn.execute(grown).rowcount:
            return
    raise RuntimeError("dedup scope did not converge")


def _earlier(a_created: ColumnElement, a_id: ColumnElement, b_created: ColumnElement, b_id: ColumnElement) -> ColumnElement[bool]:
    """(a_created, a_id) < (b_created, b_id): the total order parents must respect."""
    return or_(a_created < b_created, and_(a_created == b_created, a_id < b_id))


def _structural_parents(conn: Connection, plan: Table) -> None:
    """Reposts onto their stored original, else onto the earliest repost of that original."""
    child, original = plan.alias("child"), plan.alias("original")
    first_sibling = func.first_value(child.c.mention_id).over(
        partition_by=(child.c.platform, child.c.group_key), order_by=(child.c.created_at, child.c.mention_id)
    )
    candidates = (
        select(
            child.c.mention_id,
            func.coalesce(original.c.mention_id, first_sibling).label("parent"),
        )
        .outerjoin(
            original,
            and_(
                original.c.platform == child.c.platform,
                original.c.native_id == child.c.group_key,
                _earlier(original.c.created_at, original.c.mention_id, child.c.created_at, child.c.mention_id),
            ),
        )
        .where(child.c.group_key.is_not(None))
        .subquery("structural")
    )
    conn.execute(
        update(plan)
        .values(parent=candidates.c.parent)
        .where(plan.c.mention_id == candidates.c.mention_id, candidates.c.parent != candidates.c.mention_id)
    )


def _cross_platform_parents(conn: Connection, plan: Table, window: timedelta) -> None:
    """Canonical rows onto the earliest canonical row with the same text from another platform."""
    row = plan.alias("row")
    candidate = and_(row.c.parent.is_(None), row.c.text_comparable)
    # Only a text on more than one platform can collapse: the window runs over those texts' rows
    # alone (a few percent of a batch) instead of sorting every row by text.
    shared = select(row.c.content_hash).where(candidate).group_by(row.c.content_hash).having(
        func.min(row.c.platform) != func.max(row.c.platform))
    order = (row.c.created_at, row.c.mention_id)
    by_text = dict(partition_by=row.c.content_hash, order_by=order)
    earliest = (
        select(
            row.c.mention_id,
            row.c.platform,
            row.c.created_at,
            func.first_value(row.c.mention_id).over(**by_text).label("first_id"),
            func.first_value(row.c.platform).over(**by_text).label("first_platform"),
            func.first_value(row.c.created_at).over(**by_text).label("first_created_at"),
        )
        .where(candidate, row.c.content_hash.in_(shared))
        .subquery("earliest")
    )
    conn.execute(
        update(plan)
        .values(parent=earliest.c.first_id)
        .where(
            plan.c.mention_id == earliest.c.mention_id,
            earliest.c.first_id != earliest.c.mention_id,
            earliest.c.platform != earliest.c.first_platform,
            earliest.c.created_at <= earliest.c.first_created_at + window,
        )
    )


def _follow_to_roots(conn: Connection, plan: Table) -> None:
    """Point every parent at a canonical row, one hop per pass (chains are short in practice)."""
    hop = plan.alias("hop")
    for _ in range(_MAX_PASSES):
        moved = conn.execute(
            update(plan)
            .values(parent=hop.c.parent)
            .where(plan.c.parent == hop.c.mention_id, hop.c.parent.is_not(None))
        ).rowcount
        if not moved:
            return
    raise RuntimeError("duplicate_of chains did not converge")
