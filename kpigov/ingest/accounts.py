"""Account-level spam: ``max_link_ratio`` judged on all of an account's stored posts, in set-based SQL.

A link ratio is not a property of one row but of its author: the share of the account's posts whose
text holds a link. Each row carries the fact its own text decides (``has_link``, set with Arrow
before the insert, see ``contains_link``); after the insert, the accounts the batch touched are
re-judged from all their stored rows, and the verdict is written to every row of each of them.
Nothing else can change: an account's share only moves when rows of that account arrive. So the
flags depend on the stored rows alone, never on the order files came in (A then B = B then A = A+B).

- An account is (``platform``, ``author_id``); a row without ``author_id`` belongs to the account
  (``platform``, ``author_handle``) of the rows that have no id either (handles compared exactly).
  Rows with neither are not judged.
- Every stored row counts, from every batch, canonical and collapsed alike: reposting links is how
  link spam spreads, and dedup must not hide it.
- The account is spam when more than ``max_link_ratio`` of its posts hold a link, once it has at
  least ``link_ratio_min_posts`` stored posts (unset: from its first post).

``is_spam`` is one column that row-level rules (handle patterns) also set, so the two verdicts are
stored apart and combined: ``row_spam`` (set by ``kpigov.ingest.flags``; null on rows stored before
schema version 7, whose ``is_spam`` is then row-level only), ``link_spam`` (this module's verdict,
null when not judged) and ``is_spam = coalesce(row_spam, is_spam) or coalesce(link_spam, false)``.
Clearing a link verdict therefore never clears a flag another rule set.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    CompoundSelect,
    Connection,
    Double,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)

from kpigov.ingest.rules import BotRules
from kpigov.store import schema
from kpigov.store.functions import filtered_count

#: What counts as a link (Arrow's RE2, the definition ``has_link`` is computed with).
LINK = r"(?i)(?:https?://|www\.)\S+"

m = schema.mentions


def contains_link(text: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Per text, whether it holds a link (``LINK``); a missing text holds none."""
    return pc.fill_null(pc.match_substring_regex(text, LINK), False)


def judge_link_ratio(conn: Connection, bots: BotRules, ingest_batch: str | None) -> Counter[str]:
    """Re-judge the accounts with rows in ``ingest_batch`` (None: every account, e.g. after the rule
    changed) and write ``link_spam`` / ``is_spam`` on all their rows.

    Returns the flag counts for the ingest report: ``spam.link_ratio`` (rows of the batch the rule
    flags; for the whole store, every flagged row), ``spam.link_ratio.earlier_flagged`` /
    ``.earlier_cleared`` (rows stored before whose verdict this call turned on or off). With the
    rule off, touched accounts lose a verdict they had; a store where no row was ever judged is not
    scanned at all.
    """
    if bots.max_link_ratio is None and not _ever_judged(conn):
        return Counter()
    meta = MetaData()
    accounts = Table(
        "kpigov_link_accounts",
        meta,
        Column("platform", String(16)),
        Column("author_id", String(128)),
        Column("author_handle", String(256)),  # only for accounts known by handle alone
        prefixes=["TEMPORARY"],
    )
    verdicts = Table(
        "kpigov_link_verdicts", meta, *(Column(c.name, c.type) for c in accounts.columns), Column("verdict", Boolean),
        prefixes=["TEMPORARY"],
    )
    meta.create_all(conn, checkfirst=False)
    try:
        _touched_accounts(conn, accounts, ingest_batch)
        _judge_accounts(conn, accounts, verdicts, bots)
        counts = _counts(conn, verdicts, ingest_batch)  # before the write: it compares with the old verdicts
        _write_verdicts(conn, verdicts)
        return counts
    finally:
        meta.drop_all(conn, checkfirst=False)


def _ever_judged(conn: Connection) -> bool:
    return conn.execute(select(exists().where(m.c.link_spam.is_not(None)))).scalar_one()


def _touched_accounts(conn: Connection, accounts: Table, ingest_batch: str | None) -> None:
    touched = select(
        m.c.platform, m.c.author_id, case((m.c.author_id.is_(None), m.c.author_handle), else_=null())
    ).where(or_(m.c.author_id.is_not(None), m.c.author_handle.is_not(None))).distinct()
    if ingest_batch is not None:
        touched = touched.where(m.c.ingest_batch == ingest_batch)
    conn.execute(insert(accounts).from_select(["platform", "author_id", "author_handle"], touched))


def _judge_accounts(conn: Connection, accounts: Table, verdicts: Table, bots: BotRules) -> None:
    """Judge each touched account from all its stored rows: a hash aggregate into ``verdicts``."""
    members = _rows_of(accounts, m.c.has_link).subquery("members")
    key = (members.c.platform, members.c.author_id, members.c.author_handle)
    posts, links = func.count(), func.sum(case((members.c.has_link, 1), else_=0))
    judged = select(*key, _verdict(bots, posts, links)).group_by(*key)
    conn.execute(insert(verdicts).from_select(["platform", "author_id", "author_handle", "verdict"], judged))


def _rows_of(accounts: Table, *columns: ColumnElement[Any]) -> CompoundSelect:
    """``columns`` of every stored row of the ``accounts``: joined by id, or by handle for rows without one."""
    return union_all(*(
        select(*columns, accounts.c.platform, accounts.c.author_id, accounts.c.author_handle).join(
            accounts, and_(m.c.platform == accounts.c.platform, same_account))
        for same_account in _account_joins(accounts)
    ))


def _account_joins(accounts: Table) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """How a stored row belongs to an account of ``accounts``: by id, or by handle when neither has an id."""
    return (m.c.author_id == accounts.c.author_id,
            and_(m.c.author_id.is_(None), accounts.c.author_id.is_(None), m.c.author_handle == accounts.c.author_handle))


def _verdict(bots: BotRules, posts: ColumnElement[int], links: ColumnElement[int]) -> ColumnElement[bool | None]:
    """True when more than the ratio of the account's posts hold a link; null when not judged.

    The share is compared as a division in double precision, exactly as Python's ``links / posts >
    ratio`` would (``links > ratio * posts`` rounds differently, e.g. 57 posts of 100 at 0.57).
    """
    if bots.max_link_ratio is None:
        return null()
    share = cast(links, Double) / cast(posts, Double)
    over = case((share > literal(bots.max_link_ratio, Double), True), else_=False)
    if bots.link_ratio_min_posts is None:
        return over
    return case((posts >= literal(bots.link_ratio_min_posts, Integer), over), else_=null())


def _write_verdicts(conn: Connection, verdicts: Table) -> None:
    """Set the verdict and recombine ``is_spam`` where either changed; row-level spam is kept as is.

    One UPDATE per way an account is known (by id, or by handle for rows without one): a join on
    either condition would not be a hash join. No per-row plan is materialised: at 10M rows one
    did not fit in memory.
    """
    row_level = func.coalesce(m.c.row_spam, m.c.is_spam)
    combined = or_(row_level, func.coalesce(verdicts.c.verdict, false()))
    for same_account in _account_joins(verdicts):
        conn.execute(
            update(m)
            .values(link_spam=verdicts.c.verdict, row_spam=row_level, is_spam=combined)
            .where(m.c.platform == verdicts.c.platform, same_account,
                   or_(m.c.link_spam.is_distinct_from(verdicts.c.verdict), m.c.row_spam.is_(None),
                       m.c.is_spam.is_distinct_from(combined)))
        )


def _counts(conn: Connection, verdicts: Table, ingest_batch: str | None) -> Counter[str]:
    """The report's counts, from the touched accounts' rows with their old and new verdicts."""
    rows = _rows_of(verdicts, m.c.ingest_batch, m.c.link_spam, verdicts.c.verdict).subquery("rows")
    flagged = func.coalesce(rows.c.verdict, false())
    was_flagged = func.coalesce(rows.c.link_spam, false())
    # Re-judging the whole store: every row was stored before, so every change counts as one.
    in_batch = literal(False) if ingest_batch is None else rows.c.ingest_batch == ingest_batch
    batch, newly, cleared = conn.execute(
        select(
            filtered_count(flagged) if ingest_batch is None else filtered_count(and_(in_batch, flagged)),
            filtered_count(and_(~in_batch, flagged, ~was_flagged)),
            filtered_count(and_(~in_batch, ~flagged, was_flagged)),
        )
    ).one()
    counts = Counter({
        "spam.link_ratio": int(batch),
        "spam.link_ratio.earlier_flagged": int(newly),
        "spam.link_ratio.earlier_cleared": int(cleared),
    })
    return +counts


__all__ = ["LINK", "contains_link", "judge_link_ratio"]
