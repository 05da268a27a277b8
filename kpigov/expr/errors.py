"""Errors of the expression language: one exception type with a stable code and an offset.

Every problem found in an expression, whether by the parser (raised) or by ``check`` (returned as a
list), is an :class:`ExprError`. The offset is a 0-based character index into the expression text,
so callers that know where the text sits in a file can turn it into ``file:line:col``.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes; tests and downstream diagnostics match on these, never on messages."""

    EMPTY = "expr-empty"
    TOO_LONG = "expr-too-long"
    TOO_DEEP = "expr-too-deep"
    SYNTAX = "expr-syntax"
    CHARACTER = "expr-character"
    NUMBER = "expr-number"
    UNTERMINATED_STRING = "expr-unterminated-string"
    COMMENT = "expr-comment"
    STATEMENT = "expr-statement"
    SQL_KEYWORD = "expr-sql-keyword"
    FUNCTION_CALL = "expr-function-call"
    SUBSCRIPT = "expr-subscript"
    RESERVED_NAME = "expr-reserved-name"
    UNKNOWN_NAME = "expr-unknown-name"
    TYPE = "expr-type"


class ExprError(ValueError):
    """A problem in an expression, located by a 0-based character ``offset`` into its text.

    Subclasses ``ValueError`` so that code validating user input with ``except ValueError`` (pydantic
    validators, for one) turns it into a validation error instead of a crash.
    """

    __slots__ = ("code", "message", "offset")

    def __init__(self, code: ErrorCode | str, message: str, offset: int) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.offset = offset

    def __reduce__(self) -> tuple[type[ExprError], tuple[str, str, int]]:
        return (ExprError, (str(self.code), self.message, self.offset))  # picklable across processes

    def __str__(self) -> str:
        return f"{self.message} [{self.code} at offset {self.offset}]"

    def __repr__(self) -> str:
        return f"ExprError({str(self.code)!r}, {self.message!r}, {self.offset})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExprError):
            return NotImplemented
        return (self.code, self.message, self.offset) == (other.code, other.message, other.offset)

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.offset))

    def sort_key(self) -> tuple[int, str, str]:
        """Order errors by position, then code, so reports are stable."""
        return (self.offset, str(self.code), self.message)


def line_col(text: str, offset: int) -> tuple[int, int]:
    """Turn an offset into a 1-based (line, column) inside ``text`` itself.

    Multi-line expressions (YAML block scalars) need the line too; callers add the position where the
    text starts in its file.
    """
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
