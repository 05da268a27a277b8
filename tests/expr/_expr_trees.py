"""Shared by the agreement tests: a small typed table with NULLs and well-typed random trees.

Trees are built directly from nodes (not from text) so that rendering and re-parsing is part of
what is tested. Magnitudes are kept small so no backend overflows BIGINT: integer sub-trees are at
most three levels deep over values within +/-50, so a product has at most 8 such factors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

from kpigov.expr import (
    Binary,
    BoolOp,
    Compare,
    Expr,
    InList,
    IsNull,
    Literal,
    Name,
    Not,
    Unary,
    check,
    compile_python,
    parse,
    to_sqlalchemy,
    to_text,
)

SCHEMA: dict[str, str] = {
    "i1": "integer",
    "i2": "integer",
    "f1": "float",
    "f2": "float",
    "s1": "string",
    "s2": "string",
    "b1": "boolean",
    "b2": "boolean",
}

ROWS: list[dict[str, Any]] = [
    {"id": 1, "i1": 0, "i2": 0, "f1": 0.0, "f2": -0.5, "s1": "", "s2": "a", "b1": True, "b2": False},
    {"id": 2, "i1": 7, "i2": -2, "f1": 2.5, "f2": 0.0, "s1": "a", "s2": "a", "b1": False, "b2": False},
    {"id": 3, "i1": -7, "i2": 2, "f1": -1.25, "f2": 3.0, "s1": "b", "s2": "ab", "b1": True, "b2": True},
    {"id": 4, "i1": None, "i2": 5, "f1": None, "f2": 1.5, "s1": None, "s2": "b", "b1": None, "b2": True},
    {"id": 5, "i1": 50, "i2": None, "f1": 10.0, "f2": None, "s1": "ba", "s2": None, "b1": False, "b2": None},
    {"id": 6, "i1": None, "i2": None, "f1": None, "f2": None, "s1": None, "s2": None, "b1": None, "b2": None},
    {"id": 7, "i1": -50, "i2": 3, "f1": 0.1, "f2": 0.2, "s1": "a'b", "s2": "ab", "b1": True, "b2": None},
    {"id": 8, "i1": 1, "i2": 1, "f1": 1.0, "f2": 1.0, "s1": "bb", "s2": "bb", "b1": False, "b2": True},
    {"id": 9, "i1": 12, "i2": -5, "f1": -7.75, "f2": 2.0, "s1": "ab", "s2": "", "b1": None, "b2": False},
    {"id": 10, "i1": 3, "i2": 0, "f1": 4.0, "f2": -2.0, "s1": "b", "s2": "a'b", "b1": True, "b2": True},
]

_SA_TYPES = {"integer": sa.BigInteger, "float": sa.Double, "boolean": sa.Boolean}


def make_table(name: str, metadata: sa.MetaData, *, string_collation: str | None = None, **kw: Any) -> sa.Table:
    """The agreement table; ``string_collation="C"`` pins PostgreSQL string order to code points."""
    columns = [
        sa.Column(column, _SA_TYPES[kind]() if kind != "string" else sa.String(collation=string_collation))
        for column, kind in SCHEMA.items()
    ]
    return sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), *columns, **kw)


def _names(kind: str) -> st.SearchStrategy[Expr]:
    return st.sampled_from([Name(column) for column, column_kind in SCHEMA.items() if column_kind == kind])


def _int_literals() -> st.SearchStrategy[Expr]:
    return st.integers(-20, 20).map(Literal)


def _float_literals() -> st.SearchStrategy[Expr]:
    return st.integers(-400, 400).map(lambda quarters: Literal(quarters / 4))


def string_literals(alphabet: str) -> st.SearchStrategy[Expr]:
    return st.text(alphabet, max_size=3).map(Literal)


@cache
def integers(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(_names("integer"), _int_literals())
    if depth == 0:
        return leaf
    inner = integers(depth - 1)
    return st.one_of(
        leaf,
        st.builds(Binary, st.sampled_from(["+", "-", "*", "%"]), inner, inner),
        st.builds(Unary, st.just("-"), inner),
    )


@cache
def floats(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(_names("float"), _float_literals())
    if depth == 0:
        return leaf
    inner, any_number = floats(depth - 1), numbers(depth - 1)
    return st.one_of(
        leaf,
        st.builds(Binary, st.sampled_from(["+", "-", "*"]), inner, any_number),
        st.builds(Binary, st.sampled_from(["+", "-", "*"]), any_number, inner),
        st.builds(Binary, st.just("/"), any_number, any_number),
        st.builds(Unary, st.just("-"), inner),
    )


@cache
def numbers(depth: int) -> st.SearchStrategy[Expr]:
    return st.one_of(integers(depth), floats(depth))


@cache
def booleans(depth: int, alphabet: str) -> st.SearchStrategy[Expr]:
    strings = st.one_of(_names("string"), string_literals(alphabet))
    number = numbers(2)
    number_leaf = st.one_of(integers(0), floats(0))
    leaf = st.one_of(
        _names("boolean"),
        st.sampled_from([Literal(True), Literal(False)]),
        st.builds(Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), number, number),
        st.builds(Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), strings, strings),
        st.builds(Compare, st.sampled_from(["=", "!="]), _names("boolean"), _names("boolean")),
        st.builds(InList, number, _lists(number_leaf), st.booleans()),
        st.builds(InList, strings, _lists(strings), st.booleans()),
        st.builds(IsNull, st.one_of(number, strings), st.booleans()),
    )
    if depth == 0:
        return leaf
    inner = booleans(depth - 1, alphabet)
    operands = st.lists(inner, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        leaf,
        st.builds(BoolOp, st.sampled_from(["and", "or"]), operands),
        st.builds(Not, inner),
        st.builds(IsNull, inner, st.booleans()),
        st.builds(Compare, st.sampled_from(["=", "!="]), inner, inner),
    )


def _lists(items: st.SearchStrategy[Expr]) -> st.SearchStrategy[tuple[Expr, ...]]:
    with_nulls = st.one_of(items, items, items, st.just(Literal(None)))
    return st.lists(with_nulls, min_size=1, max_size=4).map(tuple)


def trees(alphabet: str = "ab'") -> st.SearchStrategy[Expr]:
    """Well-typed trees: boolean filters/conditions or numeric formulas."""
    return st.one_of(booleans(3, alphabet), numbers(3))


def same_value(python: Any, database: Any) -> bool:
    """NULL equals None; floats agree to 1e-9; booleans and everything else exactly."""
    if python is None or database is None:
        return python is None and database is None
    if isinstance(python, bool) or isinstance(database, bool):
        return type(python) is type(database) and python == database
    if isinstance(python, float) or isinstance(database, float):
        return math.isclose(python, database, rel_tol=1e-9, abs_tol=1e-9)
    return bool(python == database)


def disagreements(
    expected: Sequence[Any], rows: Sequence[Mapping[str, Any]], actual: Sequence[Any]
) -> list[str]:
    """Describe every row where the Python value and the database value differ."""
    return [
        f"row id={row['id']}: python={python!r} database={database!r}"
        for row, python, database in zip(rows, expected, actual, strict=True)
        if not same_value(python, database)
    ]


def run_both(connection: sa.Connection, table: sa.Table, tree: Expr) -> list[str]:
    """Round-trip ``tree`` through text, run it on the database and in Python; list the differences."""
    parsed = parse(to_text(tree))
    # Canonical after one parse (the parser folds ``-<number>`` into one literal, so not before).
    text = to_text(parsed)
    assert to_text(parse(text)) == text, f"the canonical text is not a fixed point: {text}"
    assert check(parsed, SCHEMA) == [], f"the checker rejects a well-typed tree: {text}"
    columns = {name: table.c[name] for name in SCHEMA}
    query = sa.select(table.c.id, to_sqlalchemy(parsed, columns).label("value")).order_by(table.c.id)
    database = [row.value for row in connection.execute(query)]
    evaluator = compile_python(parsed)
    python: list[Any] = [evaluator(row) for row in ROWS]
    return disagreements(python, ROWS, database)
