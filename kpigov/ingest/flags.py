"""Row-level flags (``is_bot``, ``is_spam``, ``is_employee``), computed on each Arrow batch.

These depend only on the row itself, so they are set before the insert with vectorised kernels;
coordinated behaviour needs other rows and lives in ``kpigov.ingest.cib``, and the link ratio is
an account's (``kpigov.ingest.accounts``, after the insert): here each row only gets the fact it
contributes (``has_link``), its row-level spam verdict is kept apart in ``row_spam``, and
``link_spam`` is left for the account judgement. Handle patterns are matched with Python ``re``
over the batch's distinct handles (few) rather than in SQL, whose regex dialects differ between
DuckDB and PostgreSQL.

Every rule that fires is counted under its name in the returned counts (``bot.max_followers``,
``spam.handle_pattern``, ``employee.handle``…) so the ingest report says why rows were flagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc

from kpigov.ingest.accounts import contains_link
from kpigov.ingest.rules import BotRules, EmployeeRules


def apply_row_flags(table: pa.Table, bots: BotRules, employees: EmployeeRules) -> tuple[pa.Table, Counter[str]]:
    """``table`` with the row-level flag columns set, and how many rows each rule flagged."""
    counts: Counter[str] = Counter()
    no = pa.chunked_array([pa.repeat(pa.scalar(False), table.num_rows)], pa.bool_())

    def fire(rule: str, hits: pa.ChunkedArray | pa.Array, into: pa.ChunkedArray) -> pa.ChunkedArray:
        hits = pc.fill_null(hits, False)
        counts[rule] += pc.sum(hits).as_py() or 0
        return pc.or_(into, hits)

    followers, posts = table.column("author_followers"), table.column("author_posts")
    bot = no
    if bots.max_followers is not None:
        bot = fire("bot.max_followers", pc.less_equal(followers, bots.max_followers), bot)
    if bots.min_posts is not None:
        bot = fire("bot.min_posts", pc.less(posts, bots.min_posts), bot)
    if bots.max_posts is not None:
        bot = fire("bot.max_posts", pc.greater(posts, bots.max_posts), bot)
    if bots.min_account_age_days is not None:
        age = pc.subtract(table.column("created_at"), table.column("author_created_at"))
        bot = fire("bot.min_account_age_days", pc.less(age, pa.scalar(timedelta(days=bots.min_account_age_days))), bot)

    spam = no
    handles = table.column("author_handle")
    distinct = [h for h in pc.unique(handles).to_pylist() if h is not None]
    if bots.handle_regex is not None:
        spam = fire("spam.handle_pattern", _handles_matching(handles, distinct, bots.handle_regex.search), spam)

    employee = no
    if employees.normalised_handles:
        listed = employees.normalised_handles
        employee = fire("employee.handle", _handles_matching(handles, distinct, lambda h: h.removeprefix("@").casefold() in listed), employee)
    if employees.handle_regex is not None:
        employee = fire("employee.handle_pattern", _handles_matching(handles, distinct, employees.handle_regex.search), employee)

    # has_link is set whatever the policy, so turning max_link_ratio on later judges every stored post.
    unjudged = pa.nulls(table.num_rows, pa.bool_())
    for name, values in (("is_bot", bot), ("is_spam", spam), ("is_employee", employee), ("row_spam", spam),
                         ("has_link", contains_link(table.column("text"))), ("link_spam", unjudged)):
        table = table.set_column(table.schema.get_field_index(name), name, values)
    return table, +counts


def _handles_matching(handles: pa.ChunkedArray, distinct: list[str], matches: Callable[[str], object]) -> pa.ChunkedArray:
    """Rows whose handle satisfies ``matches``, deciding once per distinct handle."""
    hits = [h for h in distinct if matches(h)]
    return pc.is_in(handles, value_set=pa.array(hits, pa.string()))


__all__ = ["apply_row_flags"]
