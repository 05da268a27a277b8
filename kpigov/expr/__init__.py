"""The safe expression language shared by KPI filters, access conditions and derived formulas.

Authors write expressions inside YAML strings::

    not is_bot and platform in ('x', 'reddit') and followers >= 25     # filter
    topic = 'complaint' and created_at is not null                    # condition
    brand.customer.positive_volume / brand.customer.total_volume * 100 # formula

Text goes through one pipeline and never reaches SQL or ``eval`` as text::

    parse(text) -> Expr            allow-listed tree, cached; raises ExprError at the first problem
    check(expr, allowed)           every unknown name and obvious type error, as a list
    to_sqlalchemy(expr, columns)   SQLAlchemy Core with bound parameters
    compile_python(expr)           closure for runtime evaluation with SQL (three-valued) semantics
    to_text(expr)                  canonical text, for fingerprints

Errors: a single exception type, :class:`ExprError` (a ``ValueError``), with ``.code`` (an
:class:`ErrorCode`, stable), ``.message`` and ``.offset`` (0-based character index in the text).
"""

from kpigov.expr.errors import ErrorCode, ExprError, line_col
from kpigov.expr.interpret import Evaluator, compile_python, evaluate
from kpigov.expr.lexer import KEYWORDS, SQL_KEYWORDS
from kpigov.expr.nodes import BoolOp, Binary, Compare, Expr, InList, IsNull, Literal, LiteralValue, Name, Not, Unary
from kpigov.expr.parser import MAX_DEPTH, MAX_LENGTH, parse
from kpigov.expr.render import names, to_text
from kpigov.expr.typecheck import TYPES, check


def __getattr__(name: str) -> object:
    # SQLAlchemy costs ~0.25 s to import; validation never needs it, so it loads on first use.
    if name == "to_sqlalchemy":
        from kpigov.expr.sql import to_sqlalchemy

        return to_sqlalchemy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "SQL_KEYWORDS",
    "TYPES",
    "Binary",
    "BoolOp",
    "Compare",
    "ErrorCode",
    "Evaluator",
    "Expr",
    "ExprError",
    "InList",
    "IsNull",
    "Literal",
    "LiteralValue",
    "Name",
    "Not",
    "Unary",
    "check",
    "compile_python",
    "evaluate",
    "line_col",
    "names",
    "parse",
    "to_sqlalchemy",
    "to_text",
]
