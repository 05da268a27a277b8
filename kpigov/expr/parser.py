"""Precedence-climbing parser from tokens to the allow-listed tree.

Precedence, loosest first: ``or`` < ``and`` < ``not`` < comparisons (``= != < <= > >= in is``,
non-associative) < ``+ -`` < ``* / %`` < unary ``-``. Two limits keep every later tree walk
(rendering, checking, compiling) far from Python's recursion limit: parentheses and prefix
operators nest at most ``MAX_DEPTH`` deep, and the tree is at most ``MAX_DEPTH`` high (``and``/``or``
chains are flattened, so long filters stay shallow).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from kpigov.expr.errors import ErrorCode, ExprError
from kpigov.expr.lexer import Token, tokenize
from kpigov.expr.nodes import BoolOp, Binary, Compare, Expr, InList, IsNull, Literal, Name, Not, Unary

MAX_LENGTH: Final = 4096
MAX_DEPTH: Final = 64

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_TOO_DEEP = f"expression nests deeper than {MAX_DEPTH} levels"

_OR, _AND, _NOT, _COMPARE, _ADD, _MUL = 1, 2, 3, 4, 5, 6
#: Binding power of each token kind in infix position; ``not`` only as ``not in``.
_INFIX: Final[dict[str, int]] = {
    "or": _OR,
    "and": _AND,
    **dict.fromkeys(("in", "is", "not", "=", "==", "!=", "<>", "<", "<=", ">", ">="), _COMPARE),
    **dict.fromkeys(("+", "-"), _ADD),
    **dict.fromkeys(("*", "/", "%"), _MUL),
}
_CANONICAL_COMPARE: Final = {"==": "=", "<>": "!="}
_LITERAL_KEYWORDS: Final[dict[str, bool | None]] = {"true": True, "false": False, "null": None}


@lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """Parse ``text`` into a tree, raising :class:`ExprError` at the first problem.

    Cached on the text: the same filter or condition string appears in many specs and runs, and
    the returned tree is immutable.
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(ErrorCode.TOO_LONG, f"expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens = tokenize(text)
    if tokens[0][0] == "eof":
        raise ExprError(ErrorCode.EMPTY, "expression is empty", 0)
    return _Parser(tokens).parse()


class _Parser:
    """One-shot parser over a token list; helpers return ``(node, height)`` to enforce MAX_DEPTH."""

    __slots__ = ("_tokens", "_pos", "_depth")

    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._pos = 0
        self._depth = 0

    def parse(self) -> Expr:
        node, _ = self._expression(0)
        token = self._tokens[self._pos]
        if token[0] != "eof":
            raise _unexpected(token, "after the end of the expression")
        return node

    def _expression(self, min_power: int) -> tuple[Expr, int]:
        left, height = self._prefix()
        tokens = self._tokens
        compared = False
        while True:
            token = tokens[self._pos]
            power = _INFIX.get(token[0], 0)
            if power <= min_power:
                return left, height
            if power == _COMPARE:
                if compared:
                    raise ExprError(ErrorCode.SYNTAX, "comparisons cannot be chained; add parentheses", token[2])
                left, height = self._comparison(left, height, token)
                compared = True
            elif power <= _AND:
                left, height = self._bool_chain(left, height, token, power)
                compared = False
            else:
                self._pos += 1
                right, right_height = self._expression(power)
                height = _grow(max(height, right_height), token)
                left = Binary(token[0], left, right, left.start, right.end)  # type: ignore[arg-type]

    def _bool_chain(self, first: Expr, height: int, token: Token, power: int) -> tuple[Expr, int]:
        """Collect ``a and b and c`` into one n-ary node instead of a left-leaning tower."""
        word = token[0]
        operands = [first]
        tokens = self._tokens
        while tokens[self._pos][0] == word:
            self._pos += 1
            operand, operand_height = self._expression(power)
            operands.append(operand)
            height = max(height, operand_height)
        height = _grow(height, token)
        return BoolOp(word, tuple(operands), first.start, operands[-1].end), height  # type: ignore[arg-type]

    def _comparison(self, left: Expr, height: int, token: Token) -> tuple[Expr, int]:
        kind = token[0]
        self._pos += 1
        if kind == "is":
            negated = self._accept("not")
            null = self._tokens[self._pos]
            if null[0] != "null":
                raise _unexpected(null, "expected 'null' or 'not null' after 'is'")
            self._pos += 1
            return IsNull(left, negated, left.start, null[3]), _grow(height, token)
        if kind == "in" or kind == "not":
            if kind == "not" and not self._accept("in"):
                raise _unexpected(self._tokens[self._pos], "expected 'in' after 'not'")
            items, items_height, end = self._list()
            return InList(left, items, kind == "not", left.start, end), _grow(max(height, items_height), token)
        right, right_height = self._expression(_COMPARE)
        op = _CANONICAL_COMPARE.get(kind, kind)
        node = Compare(op, left, right, left.start, right.end)  # type: ignore[arg-type]
        return node, _grow(max(height, right_height), token)

    def _list(self) -> tuple[tuple[Expr, ...], int, int]:
        """Parse ``(item, ...)`` after ``in``; items are operands, never boolean expressions."""
        tokens = self._tokens
        opening = tokens[self._pos]
        if opening[0] != "(":
            raise _unexpected(opening, "expected '(' after 'in'")
        self._enter(opening)
        self._pos += 1
        if tokens[self._pos][0] == ")":
            raise ExprError(ErrorCode.SYNTAX, "an 'in' list needs at least one item", tokens[self._pos][2])
        items: list[Expr] = []
        height = 0
        while True:
            item, item_height = self._expression(_COMPARE)
            items.append(item)
            height = max(height, item_height)
            separator = tokens[self._pos]
            self._pos += 1
            if separator[0] == ")":
                self._depth -= 1
                return tuple(items), height, separator[3]
            if separator[0] != ",":
                raise _unexpected(separator, "expected ',' or ')' in the list")

    def _prefix(self) -> tuple[Expr, int]:
        tokens = self._tokens
        token = tokens[self._pos]
        kind = token[0]
        self._pos += 1
        if kind == "name":
            if tokens[self._pos][0] == "(":
                raise ExprError(ErrorCode.FUNCTION_CALL, "function calls are not allowed", token[2])
            return Name(token[1], token[2], token[3]), 0  # type: ignore[arg-type]
        if kind == "str":
            return Literal(token[1], token[2], token[3]), 0  # type: ignore[arg-type]
        if kind == "num":
            return _number(token[1], token[2], token[3], negative=False), 0  # type: ignore[arg-type]
        if kind in _LITERAL_KEYWORDS:
            return Literal(_LITERAL_KEYWORDS[kind], token[2], token[3]), 0
        if kind == "(":
            self._enter(token)
            inner, height = self._expression(0)
            closing = tokens[self._pos]
            if closing[0] != ")":
                raise _unexpected(closing, "expected ')'")
            self._pos += 1
            self._depth -= 1
            return inner, height
        if kind == "not":
            self._enter(token)
            operand, height = self._expression(_NOT)
            self._depth -= 1
            return Not(operand, token[2], operand.end), _grow(height, token)
        if kind == "-":
            number = tokens[self._pos]
            if number[0] == "num":
                self._pos += 1
                return _number(number[1], token[2], number[3], negative=True), 0  # type: ignore[arg-type]
            self._enter(token)
            operand, height = self._prefix()
            self._depth -= 1
            return Unary("-", operand, token[2], operand.end), _grow(height, token)
        self._pos -= 1
        raise _unexpected(token, "expected a value, a name or '('")

    def _accept(self, word: str) -> bool:
        if self._tokens[self._pos][0] == word:
            self._pos += 1
            return True
        return False

    def _enter(self, token: Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ExprError(ErrorCode.TOO_DEEP, _TOO_DEEP, token[2])


def _grow(height: int, token: Token) -> int:
    """One level taller, failing at the operator that made the tree too high."""
    if height >= MAX_DEPTH:
        raise ExprError(ErrorCode.TOO_DEEP, _TOO_DEEP, token[2])
    return height + 1


def _number(raw: str, start: int, end: int, *, negative: bool) -> Literal:
    """Build a numeric literal, keeping integers within BIGINT and floats finite, as SQL does."""
    text = "-" + raw if negative else raw
    if "." in raw:
        value: int | float = float(text)
        if value in (float("inf"), float("-inf")):
            raise ExprError(ErrorCode.NUMBER, "number out of range", start)
    else:
        value = int(text) if len(raw) <= 20 else _INT64_MAX + 1
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ExprError(ErrorCode.NUMBER, "integer out of range (64-bit)", start)
    return Literal(value, start, end)


def _unexpected(token: Token, expectation: str) -> ExprError:
    """The error for a token the grammar cannot take here; a lexical error is more precise, so it wins."""
    kind, value = token[0], token[1]
    if kind == "err":
        return value  # type: ignore[return-value]
    if kind == "eof":
        return ExprError(ErrorCode.SYNTAX, f"unexpected end of expression: {expectation}", token[2])
    what = {"str": f"string {value!r}", "num": f"number {value}", "name": f"name {value!r}"}.get(kind, repr(value))
    return ExprError(ErrorCode.SYNTAX, f"unexpected {what}: {expectation}", token[2])
