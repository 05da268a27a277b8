"""Canonical text and name listing.

``to_text`` is the fingerprint form: keywords lower-case, ``=``/``!=``, single-quoted strings, one
space around binary operators and only the parentheses precedence needs, so ``a=1`` and
``A = (1)`` hash the same. Parsing the rendered text gives back an equal tree.
"""

from __future__ import annotations

from decimal import Decimal

from kpigov.expr.nodes import BoolOp, Binary, Compare, Expr, InList, IsNull, Literal, Name, Not, Unary, children

# Binding strength of each rendered form; a child binding looser than its slot needs parentheses.
_OR, _AND, _NOT, _COMPARE, _ADD, _MUL, _NEGATE, _ATOM = range(1, 9)
_ARITHMETIC_POWER = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "%": _MUL}


def to_text(expr: Expr) -> str:
    """Render ``expr`` in canonical form."""
    return _render(expr)[0]


def names(expr: Expr) -> list[Name]:
    """Every name occurrence, in source order, with its offsets (duplicates kept)."""
    found: list[Name] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.append(node)
        else:
            stack.extend(reversed(children(node)))
    return found


def _render(node: Expr) -> tuple[str, int]:
    """Return the text of ``node`` and how tightly that text binds."""
    if isinstance(node, Name):
        return node.name, _ATOM
    if isinstance(node, Literal):
        return _literal(node.value), _ATOM
    if isinstance(node, Binary):
        power = _ARITHMETIC_POWER[node.op]
        return f"{_slot(node.left, power)} {node.op} {_slot(node.right, power + 1)}", power
    if isinstance(node, Compare):
        return f"{_slot(node.left, _COMPARE + 1)} {node.op} {_slot(node.right, _COMPARE + 1)}", _COMPARE
    if isinstance(node, BoolOp):
        power = _AND if node.op == "and" else _OR
        return f" {node.op} ".join(_slot(operand, power + 1) for operand in node.operands), power
    if isinstance(node, Not):
        return f"not {_slot(node.operand, _NOT)}", _NOT
    if isinstance(node, Unary):
        value = node.operand.value if isinstance(node.operand, Literal) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _literal(-value), _ATOM  # as the parser folds "-5", so the text is a fixed point
        operand = _slot(node.operand, _NEGATE)
        # "--" would read as a SQL comment.
        return (f"-({operand})" if operand.startswith("-") else f"-{operand}"), _NEGATE
    if isinstance(node, InList):
        items = ", ".join(_slot(item, _COMPARE + 1) for item in node.items)
        keyword = "not in" if node.negated else "in"
        return f"{_slot(node.operand, _COMPARE + 1)} {keyword} ({items})", _COMPARE
    if isinstance(node, IsNull):
        keyword = "is not null" if node.negated else "is null"
        return f"{_slot(node.operand, _COMPARE + 1)} {keyword}", _COMPARE
    raise TypeError(f"not an expression node: {node!r}")


def _slot(node: Expr, required: int) -> str:
    text, power = _render(node)
    return text if power >= required else f"({text})"


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"unsupported literal value: {value!r}")


def _float(value: float) -> str:
    """Plain decimal notation (the language has no exponents) that still reads back as a float."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"non-finite float literal cannot be rendered: {value!r}")
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"
