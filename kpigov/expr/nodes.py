"""The allow-listed expression tree: the only shapes an expression can take.

Nodes are frozen, slotted dataclasses so a parsed tree can be cached and shared between threads.
``start``/``end`` are 0-based character offsets into the source text (``end`` exclusive); they are
excluded from equality and hashing, so two trees are equal when they mean the same thing,
wherever they were written. Enclosing parentheses are not part of a node's span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal as TypingLiteral, TypeAlias

LiteralValue: TypeAlias = str | int | float | bool | None
ArithmeticOp: TypeAlias = TypingLiteral["+", "-", "*", "/", "%"]
CompareOp: TypeAlias = TypingLiteral["=", "!=", "<", "<=", ">", ">="]
BoolOpName: TypeAlias = TypingLiteral["and", "or"]


def _offset() -> int:
    return field(default=0, compare=False)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant: integer, float, string, boolean or ``None`` for SQL NULL."""

    value: LiteralValue
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class Name:
    """A column, attribute or KPI id; dotted names (``brand.customer.net_sentiment``) are one name."""

    name: str
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class Unary:
    """Arithmetic negation; ``-<number>`` written in the text is folded into a negative Literal."""

    op: TypingLiteral["-"]
    operand: Expr
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic. ``/`` is always float division and, like ``%``, yields NULL on a zero divisor."""

    op: ArithmeticOp
    left: Expr
    right: Expr
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison; ``==`` and ``<>`` are normalised to ``=`` and ``!=`` by the parser."""

    op: CompareOp
    left: Expr
    right: Expr
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class InList:
    """``operand in (items...)``, or ``not in`` when ``negated``."""

    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class IsNull:
    """``operand is null``, or ``is not null`` when ``negated``; never NULL itself."""

    operand: Expr
    negated: bool = False
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class BoolOp:
    """N-ary ``and``/``or``: chains are flattened so long filters do not make deep trees."""

    op: BoolOpName
    operands: tuple[Expr, ...]
    start: int = _offset()
    end: int = _offset()


@dataclass(frozen=True, slots=True)
class Not:
    """Boolean negation (NULL stays NULL)."""

    operand: Expr
    start: int = _offset()
    end: int = _offset()


Expr: TypeAlias = Literal | Name | Unary | Binary | Compare | InList | IsNull | BoolOp | Not


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    if isinstance(node, (Literal, Name)):
        return ()
    if isinstance(node, (Unary, Not, IsNull)):
        return (node.operand,)
    if isinstance(node, (Binary, Compare)):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.items)
    return node.operands
