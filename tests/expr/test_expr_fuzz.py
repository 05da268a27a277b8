"""Whatever text authors write, ``parse`` either returns a tree or raises ``ExprError``.

Accepted text must then survive every later stage: canonical rendering (a fixed point), ``check``,
SQL compilation and Python compilation.
"""

from __future__ import annotations

import sqlalchemy as sa
from _expr_trees import trees
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql

from kpigov.expr import ErrorCode, ExprError, check, compile_python, names, parse, to_sqlalchemy, to_text

SAMPLES = [
    "not is_bot and not is_employee and platform in ('x', 'reddit', 'youtube') and followers >= 25",
    "topic = 'complaint' and created_at is not null",
    "brand.customer.positive_volume / (brand.customer.positive_volume + brand.customer.negative_volume) * 100",
    "a not in (1, -2.5, null) or -(b % 3) <> 'it''s'",
]
FRAGMENTS = [
    *"()'\"-;[]`_.,=<>!%*/+ \n\t0123456789aZ\u00e9\u00a0",
    "and", "or", "not", "in", "is", "null", "true", "select", "--", "/*", "__", "1e", "''", "::", "lower(",
]  # fmt: skip


def parse_or_reject(text: str) -> None:
    try:
        tree = parse(text)
    except ExprError as error:
        assert error.code in set(ErrorCode)
        assert 0 <= error.offset <= len(text)
        assert error.message
        return
    canonical = to_text(tree)
    assert to_text(parse(canonical)) == canonical
    for error in check(tree, {}):
        assert error.code == ErrorCode.UNKNOWN_NAME or error.code == ErrorCode.TYPE
    compile_python(tree)
    numeric = {name.name: "number" for name in names(tree)}
    if not check(tree, numeric):  # SQL compilation is only promised for checked trees
        columns = {name: sa.column(name, sa.Double) for name in numeric}
        str(to_sqlalchemy(tree, columns).compile(dialect=postgresql.psycopg.dialect()))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_random_text_never_crashes(text: str) -> None:
    parse_or_reject(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map(" ".join))
def test_random_token_soup_never_crashes(text: str) -> None:
    parse_or_reject(text)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), source=st.one_of(st.sampled_from(SAMPLES), trees().map(to_text)))
def test_mutated_valid_expressions_never_crash(data: st.DataObject, source: str) -> None:
    text = source
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        at = data.draw(st.integers(0, len(text)), label="position")
        action = data.draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]), label="action")
        fragment = data.draw(st.sampled_from(FRAGMENTS), label="fragment")
        span = data.draw(st.integers(1, 5), label="span")
        if action == "insert":
            text = text[:at] + fragment + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + span :]
        elif action == "replace":
            text = text[:at] + fragment + text[at + span :]
        else:
            text = text[:at] + text[at : at + span] * 2 + text[at + span :]
    parse_or_reject(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["(", ")", "- ", "not ", "a", " + ", " and ", " = ", "1"]), max_size=400).map("".join))
def test_deep_nesting_never_reaches_the_recursion_limit(text: str) -> None:
    parse_or_reject(text)
