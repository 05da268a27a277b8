"""Compile a tree to SQLAlchemy Core: bound parameters for every value, never SQL text.

Semantics are pinned to what :mod:`kpigov.expr.interpret` computes in Python, on every backend:

* ``/`` is float division and ``%`` integer remainder (sign of the dividend); both give NULL
  when the divisor is zero, through ``NULLIF(divisor, 0)``, instead of an error or ``inf``.
* Floats are cast to ``DOUBLE PRECISION``, not ``Float``: DuckDB reads ``FLOAT`` as 32-bit REAL.
* Integer literals are cast to ``BIGINT``: DuckDB types a bound Python int as INT32 and would
  overflow ``100000 * 100000`` where Python does not.
* A comparison with a ``null`` literal compiles to ``CAST(NULL AS BOOLEAN)``: SQLAlchemy would
  otherwise turn ``x = NULL`` into ``x IS NULL``, which is not what the author wrote.
* ``not`` is always parenthesised: SQLAlchemy leaves ``NOT column`` bare, and SQL reads
  ``NOT b IS NULL`` as ``NOT (b IS NULL)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, Grouping

from kpigov.expr.errors import ErrorCode, ExprError
from kpigov.expr.nodes import BoolOp, Binary, Compare, Expr, InList, IsNull, Literal, Name, Not, Unary

_Element = ColumnElement[Any]

_COMPARE: dict[str, Callable[[_Element, _Element], _Element]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def to_sqlalchemy(expr: Expr, columns: Mapping[str, _Element]) -> _Element:
    """Compile ``expr`` against ``columns`` (name -> column or any column expression).

    Raises :class:`ExprError` (``expr-unknown-name``) for a name missing from ``columns``. Run
    :func:`kpigov.expr.check` first: it reports every problem at once, and a tree with type errors
    (``-'text'``) may be refused by SQLAlchemy or the database.
    """
    return _Compiler(columns).compile(expr)


class _Compiler:
    def __init__(self, columns: Mapping[str, _Element]) -> None:
        self.columns = columns

    def compile(self, node: Expr) -> _Element:
        if isinstance(node, Literal):
            return _literal(node.value)
        if isinstance(node, Name):
            try:
                return self.columns[node.name]
            except KeyError:
                raise ExprError(ErrorCode.UNKNOWN_NAME, f"unknown name {node.name!r}", node.start) from None
        if isinstance(node, Unary):
            return -self.compile(node.operand)
        if isinstance(node, Binary):
            return self._arithmetic(node)
        if isinstance(node, Compare):
            if _is_null_literal(node.left) or _is_null_literal(node.right):
                return sa.cast(sa.null(), sa.Boolean)
            return _COMPARE[node.op](self.compile(node.left), self.compile(node.right))
        if isinstance(node, InList):
            operand = self.compile(node.operand)
            items = [self.compile(item) for item in node.items]
            return operand.not_in(items) if node.negated else operand.in_(items)
        if isinstance(node, IsNull):
            operand = self.compile(node.operand)
            return operand.is_not(sa.null()) if node.negated else operand.is_(sa.null())
        if isinstance(node, BoolOp):
            combine = sa.and_ if node.op == "and" else sa.or_
            return combine(*(self.compile(operand) for operand in node.operands))
        if isinstance(node, Not):
            # SQLAlchemy renders not_(column) bare, so "(not b) is null" would become "NOT b IS NULL".
            return Grouping(sa.not_(self.compile(node.operand)))
        raise TypeError(f"not an expression node: {node!r}")

    def _arithmetic(self, node: Binary) -> _Element:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            divisor = sa.func.nullif(sa.cast(right, sa.Double), sa.literal(0.0, sa.Double), type_=sa.Double)
            return sa.cast(left, sa.Double) / divisor
        divisor = sa.func.nullif(right, _literal(0), type_=right.type)
        return left % divisor


def _literal(value: object) -> _Element:
    if value is None:
        return sa.null()
    if isinstance(value, bool):
        return sa.literal(value, sa.Boolean)
    if isinstance(value, int):
        return sa.cast(sa.literal(value, sa.BigInteger), sa.BigInteger)
    if isinstance(value, float):
        return sa.literal(value, sa.Double)
    if isinstance(value, str):
        return sa.literal(value, sa.String)
    raise TypeError(f"unsupported literal value: {value!r}")


def _is_null_literal(node: Expr) -> bool:
    return isinstance(node, Literal) and node.value is None
