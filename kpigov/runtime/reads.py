"""Masked reads of the mention table, enforced in SQL.

The SELECT list is built from the decision: columns the policy hides are never selected, masked
columns are selected through their mask (``hash`` = SHA-256 hex, ``redact`` = ``'[redacted]'``,
``null`` = NULL, ``truncate`` = the first 8 characters), and the decision's row filter joins the
caller's own filter in the WHERE clause. The caller's filter may only name columns it could read
unmasked: filtering on a masked column would reveal its values one guess at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kpigov import expr
from kpigov.runtime.access import Decision
from kpigov.runtime.errors import QueryError
from kpigov.store import Store, schema
from kpigov.store.functions import sha256_hex

REDACTED: Final = "[redacted]"
TRUNCATE_TO: Final = 8
DEFAULT_LIMIT: Final = 1000

_MASKS: Final[Mapping[str, Callable[[ColumnElement[Any]], ColumnElement[Any]]]] = {
    "hash": lambda c: sha256_hex(sa.cast(c, sa.String)),
    "redact": lambda c: sa.cast(sa.literal(REDACTED), sa.String),
    "null": lambda c: sa.cast(sa.null(), c.type),
    "truncate": lambda c: sa.func.substr(sa.cast(c, sa.String), 1, TRUNCATE_TO),
}


@dataclass(frozen=True)
class MentionQuery:
    """What the caller asks for. ``where`` is a kpigov expression over unmasked visible columns."""

    columns: Sequence[str] | None = None
    where: str | None = None
    limit: int | None = DEFAULT_LIMIT
    dataset: str = "dataset/mentions"
    action: str = "read"


@dataclass(frozen=True)
class MaskedRows:
    """The rows returned, the decision that shaped them, and which column got which mask."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    masks: Mapping[str, str]
    decision: Decision

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def visible_columns(declared: Mapping[str, str], decision: Decision, requested: Sequence[str] | None
                    ) -> list[str]:
    """Declared columns the decision lets through, in declared order (or the caller's order)."""
    names = [name for name in declared if name in schema.mentions.c and name not in decision.hidden]
    if requested is None:
        return names
    unknown = [c for c in requested if c not in names]
    if unknown:
        raise QueryError(f"columns not readable here: {', '.join(unknown)} (undeclared, or hidden by "
                         f"{decision.rule.policy if decision.rule else 'policy'})")
    return list(dict.fromkeys(requested))


def build_select(declared: Mapping[str, str], decision: Decision, query: MentionQuery) -> sa.Select[Any]:
    """The masked SELECT for ``query`` under ``decision`` (already known to allow the read)."""
    table = schema.mentions
    names = visible_columns(declared, decision, query.columns)
    if not names:
        raise QueryError("the policy leaves no readable column")
    selected = [(_MASKS[decision.masks[n]](table.c[n]) if n in decision.masks else table.c[n]).label(n) for n in names]
    statement = sa.select(*selected)
    if decision.row_filter is not None:
        statement = statement.where(decision.row_filter.to_sqlalchemy(table.c))
    if query.where is not None:
        statement = statement.where(_caller_filter(query.where, declared, decision))
    statement = statement.order_by(table.c.mention_id)
    if query.limit is not None:
        if query.limit < 0:
            raise QueryError("limit must not be negative")
        statement = statement.limit(query.limit)
    return statement


def read(store: Store, declared: Mapping[str, str], decision: Decision, query: MentionQuery) -> MaskedRows:
    statement = build_select(declared, decision, query)
    with store.transaction() as conn:
        result = conn.execute(statement)
        columns = tuple(result.keys())
        rows = [tuple(row) for row in result.all()]
    return MaskedRows(columns, rows, {c: decision.masks[c] for c in columns if c in decision.masks}, decision)


def _caller_filter(text: str, declared: Mapping[str, str], decision: Decision) -> ColumnElement[Any]:
    usable = {name: kind for name, kind in declared.items()
              if name in schema.mentions.c and name not in decision.hidden and name not in decision.masks}
    try:
        tree = expr.parse(text)
    except expr.ExprError as error:
        raise QueryError(f"where: {error.message} (at character {error.offset + 1})") from None
    problems = expr.check(tree, usable, expect="boolean")
    if problems:
        raise QueryError("where: " + "; ".join(p.message for p in problems)
                         + " (only unmasked, visible columns can be filtered on)")
    return expr.to_sqlalchemy(tree, {name: schema.mentions.c[name] for name in usable})  # type: ignore[attr-defined]


__all__ = ["DEFAULT_LIMIT", "MaskedRows", "MentionQuery", "REDACTED", "TRUNCATE_TO", "build_select", "read",
           "visible_columns"]
