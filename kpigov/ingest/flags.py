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

    spam, employee = no, no
    handles = table.column("author_handle")
    distinct = [h for h in pc.unique(handles).to_pylist() if h is not None]
    for rule, matches in handle_rules(bots, employees).items():
        hits = _handles_matching(handles, distinct, matches)
        if rule.startswith("spam."):
            spam = fire(rule, hits, spam)
        else:
            employee = fire(rule, hits, employee)

    # has_link is set whatever the policy, so turning max_link_ratio on later judges every stored post.
    unjudged = pa.nulls(table.num_rows, pa.bool_())
    for name, values in (("is_bot", bot), ("is_spam", spam), ("is_employee", employee), ("row_spam", spam),
                         ("has_link", contains_link(table.column("text"))), ("link_spam", unjudged)):
        table = table.set_column(table.schema.get_field_index(name), name, values)
    return table, +counts


def handle_rules(bots: BotRules, employees: EmployeeRules) -> dict[str, Callable[[str], object]]:
    """The enabled rules decided by an author handle, by report name: ``spam.handle_pattern`` sets
    ``is_spam``; ``employee.handle`` (the declared list, ``@`` and case ignored) and
    ``employee.handle_pattern`` set ``is_employee``. Shared with ``kpigov.ingest.rejudge``."""
    rules: dict[str, Callable[[str], object]] = {}
    if bots.handle_regex is not None:
        rules["spam.handle_pattern"] = bots.handle_regex.search
    if employees.normalised_handles:
        listed = employees.normalised_handles
        rules["employee.handle"] = lambda h: h.removeprefix("@").casefold() in listed
    if employees.handle_regex is not None:
        rules["employee.handle_pattern"] = employees.handle_regex.search
    return rules


def _handles_matching(handles: pa.ChunkedArray, distinct: list[str], matches: Callable[[str], object]) -> pa.ChunkedArray:
    """Rows whose handle satisfies ``matches``, deciding once per distinct handle."""
    hits = [h for h in distinct if matches(h)]
    return pc.is_in(handles, value_set=pa.array(hits, pa.string()))


__all__ = ["apply_row_flags", "handle_rules"]
