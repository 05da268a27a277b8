"""Tokenizer: turns expression text into a flat list of tokens, ending in ``eof`` or ``err``.

A lexical problem does not raise here: it becomes a final ``err`` token carrying the
:class:`ExprError`. The parser raises it only when it reaches that token, so the problem reported
is always the first one in reading order (``lower(x);`` reports the call, not the ``;``).

One ``findall`` splits the whole text into (whitespace, piece) pairs that cover it exactly (a
catch-all ``.`` takes any character no token starts with), so offsets are running sums of lengths
and the per-token work in Python is a dictionary lookup on the first character.
"""

from __future__ import annotations

import re
from typing import Final

from kpigov.expr.errors import ErrorCode, ExprError

#: ``(kind, value, start, end)``. ``kind`` is ``name``, ``num`` (value: source digits), ``str``
#: (value: unescaped text), ``eof``, ``err`` (value: the ExprError), or, for operators and keywords,
#: the operator or lower-cased keyword itself.
Token = tuple[str, object, int, int]

#: Words of the language itself, matched case-insensitively.
KEYWORDS: Final = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})

#: SQL words rejected as bare names so that pasted SQL fails loudly instead of parsing oddly.
#: Dotted names (``report.order``) are never keywords.
SQL_KEYWORDS: Final = frozenset(
    {
        "all", "alter", "any", "as", "attach", "between", "by", "call", "case", "cast", "copy",
        "create", "declare", "delete", "distinct", "drop", "else", "end", "except", "exec",
        "execute", "exists", "from", "grant", "group", "having", "ilike", "insert", "intersect",
        "into", "join", "like", "limit", "merge", "offset", "order", "pragma", "revoke", "select",
        "set", "some", "table", "then", "truncate", "union", "update", "values", "when", "where",
        "with",
    }
)  # fmt: skip

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
#: ``(leading whitespace, piece)`` pairs; the piece is empty only at the end of the text. Strings
#: are matched possessively, like a SQL lexer reads them: ``'it''s`` is one unterminated string.
_PIECES_RE: Final = re.compile(
    rf"""
    (\s*)
    ( -- | /\* | [0-9]+(?:\.[0-9]+)? | {_IDENT}(?:\.{_IDENT})*
    | '[^']*+(?:''[^']*+)*+' | "[^"]*+(?:""[^"]*+)*+"
    | <= | >= | <> | != | == | . | $ )
    """,
    re.VERBOSE | re.ASCII | re.DOTALL,
)

_DIGIT, _WORD, _QUOTE, _OPERATOR = "digit", "word", "quote", "operator"
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_CLASS_OF_FIRST: Final[dict[str, str]] = {
    **dict.fromkeys("0123456789", _DIGIT),
    **dict.fromkeys(_LETTERS, _WORD),
    **dict.fromkeys("'\"", _QUOTE),
    **dict.fromkeys("=<>!+-*/%(),", _OPERATOR),
}
#: Pieces of two characters that start with an operator character but are not operators.
_COMMENTS: Final = frozenset({"--", "/*"})
#: A number glued to one of these (``1e5``, ``1.2.3``, ``10px``) is malformed.
_NUMBER_GLUE: Final = frozenset("0123456789._" + _LETTERS)
_GLUED_NUMBER_RE: Final = re.compile(r"[A-Za-z0-9_.]+", re.ASCII)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; the last token is ``eof`` or an ``err`` holding the first problem."""
    tokens: list[Token] = []
    append = tokens.append
    classes = _CLASS_OF_FIRST
    start = 0
    previous = ""
    for space, piece in _PIECES_RE.findall(text):
        if not piece:
            break
        start += len(space)
        end = start + len(piece)
        first = piece[0]
        kind = classes.get(first)
        if previous == "num" and not space and first in _NUMBER_GLUE:
            number_start = tokens[-1][2]
            glued = _GLUED_NUMBER_RE.match(text, number_start).group()  # type: ignore[union-attr]
            tokens[-1] = _error(ErrorCode.NUMBER, f"malformed number {glued!r}", number_start)
            return tokens
        if kind == _WORD:
            lowered = piece.lower()  # dotted names never equal a keyword, so no "." test is needed
            if lowered in KEYWORDS:
                token = (lowered, lowered, start, end)
            elif lowered in SQL_KEYWORDS or "__" in piece:
                append(_bad_word(piece, start))
                return tokens
            else:
                token = ("name", piece, start, end)
        elif kind == _OPERATOR and piece not in _COMMENTS and piece != "!":
            token = (piece, piece, start, end)
        elif kind == _DIGIT:
            token = ("num", piece, start, end)
        elif kind == _QUOTE and len(piece) > 1:
            token = ("str", piece[1:-1].replace(first * 2, first), start, end)
        else:
            append(_bad_piece(text, piece, start))
            return tokens
        append(token)
        previous = token[0]
        start = end
    append(("eof", None, len(text), len(text)))
    return tokens


def _error(code: ErrorCode, message: str, start: int) -> Token:
    return ("err", ExprError(code, message, start), start, start + 1)


def _bad_word(piece: str, start: int) -> Token:
    if piece.lower() in SQL_KEYWORDS:
        return _error(ErrorCode.SQL_KEYWORD, f"SQL keyword {piece!r} is not allowed in an expression", start)
    return _error(ErrorCode.RESERVED_NAME, f"names containing '__' are reserved: {piece!r}", start)


def _bad_piece(text: str, piece: str, start: int) -> Token:
    """Explain a piece no token can be made of, naming the construct authors most likely meant."""
    if piece in _COMMENTS:
        return _error(ErrorCode.COMMENT, "SQL comments are not allowed", start)
    if piece in "'\"":
        return _error(ErrorCode.UNTERMINATED_STRING, "unterminated string", start)
    if piece == ";":
        return _error(ErrorCode.STATEMENT, "';' is not allowed: an expression is not a statement", start)
    if piece == "[":
        return _error(ErrorCode.SUBSCRIPT, "subscripts are not allowed", start)
    if piece == "`":
        return _error(ErrorCode.CHARACTER, "backticks are not allowed: write names bare", start)
    if piece == "." and text[start + 1 : start + 2].isascii() and text[start + 1 : start + 2].isdigit():
        return _error(ErrorCode.NUMBER, "write decimals with a leading digit, e.g. 0.5", start)
    if text.startswith("::", start):
        return _error(ErrorCode.CHARACTER, "casts ('::') are not allowed", start)
    return _error(ErrorCode.CHARACTER, f"unexpected character {piece!r}", start)
