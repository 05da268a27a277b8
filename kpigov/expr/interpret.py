"""Evaluate a tree in Python with SQL semantics, by compiling it once into nested closures.

Access-policy conditions are evaluated per request, so the tree is walked once and each node
becomes a small closure; evaluating is then a few function calls, with no dispatch on node types.

SQL semantics, matched against DuckDB and PostgreSQL by the tests:

* NULL (``None``) propagates through arithmetic, comparisons, ``not`` and ``in``;
* ``and``/``or`` are three-valued: ``None and False`` is False, ``None or True`` is True;
* ``/`` is float division, ``%`` truncates toward zero; both are None on a zero divisor;
* ``x in (...)`` is None when nothing matched but the value or an item was NULL.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

from kpigov.expr.errors import ErrorCode, ExprError
from kpigov.expr.nodes import BoolOp, Binary, Compare, Expr, InList, IsNull, Literal, Name, Not, Unary

Evaluator = Callable[[Mapping[str, Any]], Any]

_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _divide(a: Any, b: Any) -> Any:
    return None if b == 0 else float(a) / b


def _remainder(a: Any, b: Any) -> Any:
    """SQL ``%``: the sign follows the dividend (Python's follows the divisor)."""
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        result = abs(a) % abs(b)
        return -result if a < 0 else result
    return math.fmod(a, b)


_ARITHMETIC: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    "%": _remainder,
}

_CACHE_SIZE: Final = 1024
_compiled: dict[int, tuple[Expr, Evaluator]] = {}


def evaluate(expr: Expr, env: Mapping[str, Any]) -> Any:
    """Evaluate ``expr`` with names looked up in ``env`` (dotted names are plain keys).

    The compiled closure is cached by tree identity (the cache holds the tree, so ids are not
    reused); trees from :func:`kpigov.expr.parse` are cached too, so repeated calls are cheap.
    Hot paths should keep the result of :func:`compile_python` instead.
    """
    entry = _compiled.get(id(expr))
    if entry is None or entry[0] is not expr:
        if len(_compiled) >= _CACHE_SIZE:
            _compiled.clear()
        entry = _compiled[id(expr)] = (expr, compile_python(expr))
    return entry[1](env)


def compile_python(expr: Expr) -> Evaluator:
    """Turn ``expr`` into a function of an environment mapping names to values.

    A name missing from the environment raises :class:`ExprError` (``expr-unknown-name``) rather
    than reading as NULL, so a misspelt attribute in an access condition fails closed and loudly.
    """
    if isinstance(expr, Literal):
        value = expr.value
        return lambda env: value
    if isinstance(expr, Name):
        return _name(expr)
    if isinstance(expr, Unary):
        return _negate(expr)
    if isinstance(expr, (Binary, Compare)):
        return _binary(expr)
    if isinstance(expr, InList):
        return _in_list(expr)
    if isinstance(expr, IsNull):
        return _is_null(expr)
    if isinstance(expr, BoolOp):
        operands = [compile_python(operand) for operand in expr.operands]
        return _and(operands) if expr.op == "and" else _or(operands)
    if isinstance(expr, Not):
        return _not(compile_python(expr.operand))
    raise TypeError(f"not an expression node: {expr!r}")


def _name(node: Name) -> Evaluator:
    key, start = node.name, node.start

    def read(env: Mapping[str, Any]) -> Any:
        try:
            return env[key]
        except KeyError:
            raise ExprError(ErrorCode.UNKNOWN_NAME, f"no value for {key!r}", start) from None

    return read


def _type_error(node: Expr, error: TypeError) -> ExprError:
    return ExprError(ErrorCode.TYPE, f"cannot evaluate: {error}", node.start)


def _negate(node: Unary) -> Evaluator:
    operand = compile_python(node.operand)

    def negate(env: Mapping[str, Any]) -> Any:
        value = operand(env)
        if value is None:
            return None
        try:
            return -value
        except TypeError as error:
            raise _type_error(node, error) from None

    return negate


def _binary(node: Binary | Compare) -> Evaluator:
    left, right = compile_python(node.left), compile_python(node.right)
    apply = _ARITHMETIC[node.op] if isinstance(node, Binary) else _COMPARE[node.op]

    def binary(env: Mapping[str, Any]) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        try:
            return apply(a, b)
        except TypeError as error:
            raise _type_error(node, error) from None

    return binary


def _in_list(node: InList) -> Evaluator:
    operand = compile_python(node.operand)
    items = [compile_python(item) for item in node.items]
    negated = node.negated

    def contains(env: Mapping[str, Any]) -> Any:
        value = operand(env)
        if value is None:
            return None
        saw_null = False
        for item in items:
            candidate = item(env)
            if candidate is None:
                saw_null = True
            elif candidate == value:
                return not negated
        return None if saw_null else negated

    return contains


def _is_null(node: IsNull) -> Evaluator:
    operand = compile_python(node.operand)
    if node.negated:
        return lambda env: operand(env) is not None
    return lambda env: operand(env) is None


def _and(operands: list[Evaluator]) -> Evaluator:
    def all_true(env: Mapping[str, Any]) -> Any:
        result: bool | None = True
        for operand in operands:
            value = operand(env)
            if value is None:
                result = None
            elif not value:
                return False
        return result

    return all_true


def _or(operands: list[Evaluator]) -> Evaluator:
    def any_true(env: Mapping[str, Any]) -> Any:
        result: bool | None = False
        for operand in operands:
            value = operand(env)
            if value is None:
                result = None
            elif value:
                return True
        return result

    return any_true


def _not(operand: Evaluator) -> Evaluator:
    def negation(env: Mapping[str, Any]) -> Any:
        value = operand(env)
        return None if value is None else not value

    return negation
