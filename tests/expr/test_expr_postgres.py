"""PostgreSQL must agree with Python too (the same random trees as the DuckDB test).

Skips, saying why, when no server answers at ``KPIGOV_TEST_PG_URL``. Strings are drawn from
letters only and the table's string columns use the "C" collation, so ordering does not depend on
the server's locale.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from _expr_trees import ROWS, make_table, run_both, trees
from hypothesis import HealthCheck, given, settings

from kpigov.expr import Expr, to_text

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get("KPIGOV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def postgres_table() -> Iterator[tuple[sa.Connection, sa.Table]]:
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.DBAPIError as error:
        engine.dispose()
        pytest.skip(f"PostgreSQL unreachable at {engine.url.render_as_string()}: {error.orig}")
    name = f"kpigov_expr_agreement_{uuid.uuid4().hex[:12]}"
    table = make_table(name, sa.MetaData(), string_collation="C", prefixes=["TEMPORARY"])
    try:
        table.create(connection)
        connection.execute(table.insert(), ROWS)
        yield connection, table
    finally:
        table.drop(connection, checkfirst=True)
        connection.close()
        engine.dispose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(alphabet="ab"))
def test_postgres_agrees_with_python(postgres_table: tuple[sa.Connection, sa.Table], tree: Expr) -> None:
    connection, table = postgres_table
    problems = run_both(connection, table, tree)
    assert not problems, f"{to_text(tree)}\n" + "\n".join(problems)
