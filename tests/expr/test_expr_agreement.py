"""SQL and Python must agree: random well-typed trees run on DuckDB and through ``evaluate``.

Each tree is rendered with ``to_text`` and parsed again first, so the round trip through the
canonical text is part of every example.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from _expr_trees import ROWS, make_table, run_both, trees
from hypothesis import HealthCheck, given, settings

from kpigov.expr import Expr, parse, to_text


@pytest.fixture(scope="module")
def duckdb_table() -> Iterator[tuple[sa.Connection, sa.Table]]:
    engine = sa.create_engine("duckdb:///:memory:")
    table = make_table("agreement", sa.MetaData())
    with engine.connect() as connection:
        table.create(connection)
        connection.execute(table.insert(), ROWS)
        yield connection, table
    engine.dispose()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees())
def test_duckdb_agrees_with_python(duckdb_table: tuple[sa.Connection, sa.Table], tree: Expr) -> None:
    connection, table = duckdb_table
    problems = run_both(connection, table, tree)
    assert not problems, f"{to_text(tree)}\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "text",
    [
        "i1 / i2",
        "i1 % i2",
        "f1 / (f2 - f2)",
        "-i1 % -i2",
        "b1 and b2",
        "b1 or b2",
        "not b1",
        "i1 in (1, 7, null)",
        "i1 not in (1, 7, null)",
        "s1 in ('a', 'a''b')",
        "s1 < s2",
        "(b1 and b2) is null",
        "i1 * i1 * i1 * i1 * i2 * 1000000",
        "f1 * 3 = 0.3",
        "(not b1) is null",
        "(not b1) = b2",
        "b1 != (not b2)",
        "(i1 in (1, 7)) = b1",
        "-(-i1) - -i2",
    ],
)
def test_duckdb_agrees_on_edge_cases(duckdb_table: tuple[sa.Connection, sa.Table], text: str) -> None:
    connection, table = duckdb_table
    problems = run_both(connection, table, parse(text))
    assert not problems, f"{text}\n" + "\n".join(problems)
