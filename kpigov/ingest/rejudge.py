"""``rejudge_store``: apply the repository's *current* dedup and exclusion rules to every stored row.

An ingest judges the rows it loads (and the rows connected to them) with the rules of the day.
When a governance team changes a rule (a bot threshold, a handle pattern, the employee list, the
link ratio, the dedup window, the CIB thresholds), rows loaded earlier keep the old verdicts until
they are judged again: ``kpigov rejudge`` does that for the whole store, in one transaction, as a
dry run unless asked to apply. Afterwards the flags are what a fresh ingest of every stored row
under the current rules would give (``tests/ingest/test_rejudge.py`` checks exactly that).

Set-based, like the rest of ingestion:

1. row-level flags: ``is_bot`` from the numeric thresholds and ``is_employee`` / ``row_spam`` from
   the handle rules, in one UPDATE. Handle patterns are Python regular expressions (as at ingest,
   see ``kpigov.ingest.flags``): they are decided once per distinct stored handle in Python, and the
   matching handles staged for the UPDATE to join;
2. the link ratio of every account (``judge_link_ratio`` over the whole store), which recombines
   ``is_spam`` from ``row_spam`` and ``link_spam``;
3. dedup over the whole store (``deduplicate`` with no batch);
4. CIB: clusters cleared and detected again over the store's whole time span (rule off: cleared).

What changed is counted against a snapshot of the flag columns taken first, so the report (and the
audit entry of an applied run) says how many rows each column changed on, not only new totals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    MetaData,
    String,
    Table,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from kpigov.ingest.accounts import judge_link_ratio
from kpigov.ingest.cib import flag_coordination
from kpigov.ingest.dedup import deduplicate
from kpigov.ingest.flags import handle_rules
from kpigov.ingest.pipeline import JUDGING
from kpigov.ingest.rules import BotRules, EmployeeRules, IngestRules
from kpigov.store import schema
from kpigov.store.functions import filtered_count
from kpigov.store.store import Store

m = schema.mentions
#: The columns a rejudgement may change, in report order.
JUDGED = ("is_bot", "is_spam", "is_employee", "duplicate_of", "cib_cluster")
_HANDLE = Column("author_handle", String(256))


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back after it was measured."""


@dataclass(frozen=True)
class RejudgeReport:
    """What a rejudgement changed (``applied``) or would change (dry run)."""

    applied: bool
    rows: int  # stored mentions
    changed: Mapping[str, int]  # column -> rows whose value changed
    before: Mapping[str, int]  # column -> rows flagged (booleans) or set (duplicate_of, cib_cluster)
    after: Mapping[str, int]
    cib_clusters: int = 0
    seconds: float = 0.0
    audit_seq: int | None = field(default=None)

    @property
    def rows_changed(self) -> int:
        return self.changed.get("any", 0)

    def to_json(self) -> dict[str, Any]:
        return {"applied": self.applied, "rows": self.rows, "rows_changed": self.rows_changed,
                "changed": dict(self.changed), "before": dict(self.before), "after": dict(self.after),
                "cib_clusters": self.cib_clusters, "seconds": round(self.seconds, 3), "audit_seq": self.audit_seq}


def rejudge_store(
    store: Store,
    rules: IngestRules,
    *,
    apply: bool = False,
    before_commit: Callable[[Connection, RejudgeReport], int | None] | None = None,
) -> RejudgeReport:
    """Judge every stored mention under ``rules``; with ``apply`` keep the result, else roll it back.

    ``before_commit`` (applied runs only) runs inside the transaction with the report and returns
    the audit entry's sequence number (the CLI writes the entry there, so the change and its record
    commit together); what it raises rolls everything back.
    """
    started = time.perf_counter()
    meta = MetaData()
    snapshot = Table("kpigov_rejudge_before", meta, Column("mention_id", String(64)),
                     *(Column(name, m.c[name].type) for name in JUDGED), prefixes=["TEMPORARY"])
    report: RejudgeReport | None = None
    try:
        with store.transaction() as conn:
            store.serialize(conn, JUDGING)  # no ingest judges beside it (kpigov.ingest.pipeline)
            meta.create_all(conn, checkfirst=False)
            conn.execute(insert(snapshot).from_select(["mention_id", *JUDGED], select(m.c.mention_id, *(m.c[n] for n in JUDGED))))
            before = _totals(conn, snapshot)
            _row_flags(store, conn, rules.bots, rules.employees)
            judge_link_ratio(conn, rules.bots, None)
            deduplicate(conn, rules.dedup, None)
            clusters = _coordination(store, conn, rules)
            rows, changed = _changes(conn, snapshot)
            report = RejudgeReport(apply, rows, changed, before, _totals(conn, m), clusters,
                                   time.perf_counter() - started)
            meta.drop_all(conn, checkfirst=False)
            if not apply:
                raise _DryRun
            if before_commit is not None:
                report = replace(report, audit_seq=before_commit(conn, report))
    except _DryRun:
        pass
    assert report is not None
    return report


def _row_flags(store: Store, conn: Connection, bots: BotRules, employees: EmployeeRules) -> None:
    """``is_bot``, ``row_spam`` and ``is_employee`` from the row-level rules, as ``apply_row_flags`` sets them."""
    handles = [h for (h,) in conn.execute(select(m.c.author_handle).where(m.c.author_handle.is_not(None)).distinct())]
    rules = handle_rules(bots, employees)
    spam = [h for h in handles if any(matches(h) for rule, matches in rules.items() if rule.startswith("spam."))]
    staff = [h for h in handles if any(matches(h) for rule, matches in rules.items() if rule.startswith("employee."))]
    with store.stage(conn, "kpigov_rejudge_spam", [_HANDLE], pa.table({"author_handle": pa.array(spam, pa.string())})) as spam_handles, \
         store.stage(conn, "kpigov_rejudge_staff", [_HANDLE], pa.table({"author_handle": pa.array(staff, pa.string())})) as staff_handles:
        row_spam = _handle_in(select(spam_handles.c.author_handle))
        employee = _handle_in(select(staff_handles.c.author_handle))
        bot = _bot(bots)
        conn.execute(
            update(m)
            .values(is_bot=bot, row_spam=row_spam, is_employee=employee,
                    is_spam=or_(row_spam, func.coalesce(m.c.link_spam, false())))
            .where(or_(m.c.is_bot.is_distinct_from(bot), m.c.row_spam.is_distinct_from(row_spam),
                       m.c.is_employee.is_distinct_from(employee)))
        )


def _handle_in(handles: Any) -> ColumnElement[bool]:
    return func.coalesce(m.c.author_handle.in_(handles), false())


def _bot(bots: BotRules) -> ColumnElement[bool]:
    """The bot criteria in SQL; a criterion whose input is null does not fire (as with Arrow's nulls)."""
    fired: list[ColumnElement[bool]] = []
    if bots.max_followers is not None:
        fired.append(m.c.author_followers <= bots.max_followers)
    if bots.min_posts is not None:
        fired.append(m.c.author_posts < bots.min_posts)
    if bots.max_posts is not None:
        fired.append(m.c.author_posts > bots.max_posts)
    if bots.min_account_age_days is not None:
        # created_at - author_created_at < age, said without interval arithmetic on a difference
        fired.append(m.c.author_created_at > m.c.created_at - literal(timedelta(days=bots.min_account_age_days)))
    return or_(false(), *(func.coalesce(c, false()) for c in fired))


def _coordination(store: Store, conn: Connection, rules: IngestRules) -> int:
    conn.execute(update(m).values(cib_cluster=None).where(m.c.cib_cluster.is_not(None)))
    return flag_coordination(store, conn, rules.cib, None) if rules.cib is not None else 0


def _totals(conn: Connection, table: Table) -> dict[str, int]:
    def flagged(name: str) -> ColumnElement[int]:
        column = table.c[name]
        return filtered_count(column.is_(True) if name.startswith("is_") else column.is_not(None))

    values = conn.execute(select(*(flagged(n) for n in JUDGED))).one()
    return {name: int(v) for name, v in zip(JUDGED, values, strict=True)}


def _changes(conn: Connection, snapshot: Table) -> tuple[int, dict[str, int]]:
    differs = [m.c[name].is_distinct_from(snapshot.c[name]) for name in JUDGED]
    values = conn.execute(
        select(func.count(), *(filtered_count(c) for c in differs), filtered_count(or_(*differs)))
        .select_from(m.join(snapshot, m.c.mention_id == snapshot.c.mention_id))
    ).one()
    total, *per_column, any_row = (int(v) for v in values)
    return total, {**dict(zip(JUDGED, per_column, strict=True)), "any": any_row}


__all__ = ["JUDGED", "RejudgeReport", "rejudge_store"]
