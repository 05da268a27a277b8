"""Name resolution and obvious type errors, all reported at once.

Types are the strings used by dataset and KPI specs. ``number`` is a numeric of unknown
integer/float kind (KPI values in formulas). A sub-expression that already produced an error gets
the type ``any`` so one mistake is reported once, not again by every enclosing operator.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Final

from kpigov.expr.errors import ErrorCode, ExprError
from kpigov.expr.nodes import BoolOp, Binary, Compare, Expr, InList, IsNull, Literal, Name, Not, Unary

#: Types a name may be declared with.
TYPES: Final = frozenset({"string", "integer", "float", "boolean", "timestamp", "date", "number"})

_NUMERIC: Final = frozenset({"integer", "float", "number"})
_ANY, _NULL = "any", "null"


def check(
    expr: Expr,
    allowed: Mapping[str, str],
    *,
    expect: str | None = None,
    noun: str = "column",
) -> list[ExprError]:
    """Return every unknown name and obvious type error in ``expr``, sorted by offset.

    ``allowed`` maps each usable name to one of :data:`TYPES`. ``expect`` (``"boolean"`` for filters
    and conditions, ``"number"`` for formulas) also checks the type of the whole expression;
    ``noun`` names what a name refers to in messages ("column", "attribute", "KPI").
    """
    unknown_types = sorted({kind for kind in allowed.values() if kind not in TYPES})
    if unknown_types or (expect is not None and expect not in TYPES):
        raise ValueError(f"unknown type(s) {unknown_types or [expect]}; expected one of {sorted(TYPES)}")
    checker = _Checker(allowed, noun)
    result = checker.type_of(expr)
    if expect is not None and not _fits(result, expect):
        checker.fail(expr, f"expected a {expect} expression, got {result}")
    return sorted(set(checker.errors), key=ExprError.sort_key)


def _fits(actual: str, expected: str) -> bool:
    """Whether a result of type ``actual`` may stand where ``expected`` is wanted."""
    if actual in (_ANY, _NULL) or actual == expected:
        return True
    widenings = {("integer", "float"), ("integer", "number"), ("float", "number"), ("number", "float")}
    return (actual, expected) in widenings


def _comparable(left: str, right: str) -> bool:
    return left == right or (left in _NUMERIC and right in _NUMERIC)


class _Checker:
    def __init__(self, allowed: Mapping[str, str], noun: str) -> None:
        self.allowed = allowed
        self.noun = noun
        self.errors: list[ExprError] = []

    def fail(self, node: Expr, message: str, code: ErrorCode = ErrorCode.TYPE) -> str:
        self.errors.append(ExprError(code, message, node.start))
        return _ANY

    def type_of(self, node: Expr) -> str:
        if isinstance(node, Literal):
            return _literal_type(node.value)
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Binary):
            return self._arithmetic(node)
        if isinstance(node, Unary):
            kind = self.type_of(node.operand)
            return self._numeric_operand(node.operand, kind, "'-'") or kind
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, InList):
            kind = self.type_of(node.operand)
            if kind == _NULL:
                self.fail(node.operand, "'null in (...)' is always null; use 'is null'")
            for item in node.items:
                item_kind = self.type_of(item)
                unknown = {kind, item_kind} & {_ANY, _NULL}  # a null item is legal SQL, if pointless
                if not unknown and not _comparable(kind, item_kind):
                    self.fail(item, f"list item is {item_kind} but the value tested is {kind}")
            return "boolean"
        if isinstance(node, IsNull):
            self.type_of(node.operand)
            return "boolean"
        if isinstance(node, (BoolOp, Not)):
            operands = node.operands if isinstance(node, BoolOp) else (node.operand,)
            word = node.op if isinstance(node, BoolOp) else "not"
            for operand in operands:
                kind = self.type_of(operand)
                if kind not in ("boolean", _ANY, _NULL):
                    self.fail(operand, f"'{word}' needs boolean operands, got {kind}")
            return "boolean"
        raise TypeError(f"not an expression node: {node!r}")

    def _name(self, node: Name) -> str:
        kind = self.allowed.get(node.name)
        if kind is not None:
            return kind
        message = f"unknown {self.noun} {node.name!r}"
        close = difflib.get_close_matches(node.name, list(self.allowed), n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        return self.fail(node, message, ErrorCode.UNKNOWN_NAME)

    def _numeric_operand(self, node: Expr, kind: str, operator: str) -> str | None:
        """Return ``any`` after reporting a non-numeric operand, None when the operand is fine."""
        if kind == _NULL:
            return self.fail(node, f"{operator} with null is always null")
        if kind not in _NUMERIC and kind != _ANY:
            return self.fail(node, f"{operator} needs numbers, got {kind}")
        return None

    def _arithmetic(self, node: Binary) -> str:
        left, right = self.type_of(node.left), self.type_of(node.right)
        operator = f"'{node.op}'"
        failed = [self._numeric_operand(node.left, left, operator), self._numeric_operand(node.right, right, operator)]
        if any(failed) or _ANY in (left, right):
            return _ANY
        if node.op == "/":
            return "float"
        if node.op == "%":
            for side, kind in ((node.left, left), (node.right, right)):
                if kind == "float":
                    return self.fail(side, "'%' needs integer operands, got float")
            return "integer" if left == right == "integer" else "number"
        if left == right == "integer":
            return "integer"
        return "float" if "float" in (left, right) else "number"

    def _compare(self, node: Compare) -> str:
        left, right = self.type_of(node.left), self.type_of(node.right)
        for side, kind in ((node.left, left), (node.right, right)):
            if kind == _NULL:
                self.fail(side, "comparison with null is always null; use 'is null' or 'is not null'")
                return "boolean"
        if _ANY in (left, right):
            return "boolean"
        if not _comparable(left, right):
            self.fail(node.right, f"cannot compare {left} with {right}")
        elif left == "boolean" and node.op not in ("=", "!="):
            self.fail(node.right, f"booleans can only be compared with '=' or '!=', not '{node.op}'")
        return "boolean"


def _literal_type(value: object) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "string"
