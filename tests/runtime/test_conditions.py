"""Property: a rule condition admits exactly the same rows in Python (check_access with a row) as in SQL
(read_mentions' WHERE), NULLs included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from kpigov.diagnostics import Location
from kpigov.runtime.access import CompiledRule, RowFilter
from kpigov.specs.policy import AccessRule

TABLE = sa.table("t", sa.column("i", sa.Integer), sa.column("entity", sa.String), sa.column("topic", sa.String),
                 sa.column("likes", sa.Integer))

atoms = st.one_of(
    st.sampled_from(["entity = 'stridewell'", "topic in ('delivery', 'sizing')", "topic is null", "likes > 3",
                     "likes % 2 = 1", "entity != topic", "likes / 2 >= 1", "topic not in ('launch', null)"]))
conditions = st.recursive(atoms, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    inner.map(lambda c: f"not ({c})")), max_leaves=6)
rows = st.lists(st.fixed_dictionaries({
    "entity": st.sampled_from(["stridewell", "apexrun", "delivery", None]),
    "topic": st.sampled_from(["delivery", "sizing", "launch", None]),
    "likes": st.one_of(st.none(), st.integers(-5, 9))}), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:")
    yield engine
    engine.dispose()


def rule(effect: str, condition: str, n: int) -> CompiledRule:
    spec = AccessRule(id=f"r{n}", effect=effect, roles=["role/x"], actions=["read"], resources=["dataset/t"],  # type: ignore[arg-type]
                      condition=condition)
    return CompiledRule.from_spec("access/p", spec, Location("p.yaml"))


@settings(max_examples=120, deadline=None)
@given(st.lists(conditions, min_size=1, max_size=2), st.lists(conditions, max_size=2), rows)
def test_python_and_sql_admit_the_same_rows(engine: sa.Engine, allow: list[str], deny: list[str],
                                             data: list[dict[str, Any]]) -> None:
    row_filter = RowFilter.of([rule("allow", c, i) for i, c in enumerate(allow)],
                              [rule("deny", c, 10 + i) for i, c in enumerate(deny)])
    numbered = [{"i": i, **row} for i, row in enumerate(data)]
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE OR REPLACE TABLE t (i INTEGER, entity VARCHAR, topic VARCHAR, likes INTEGER)"))
        conn.execute(sa.insert(TABLE), numbered)
        in_sql = {r[0] for r in conn.execute(sa.select(TABLE.c.i).where(row_filter.to_sqlalchemy(TABLE.c)))}
    in_python = {row["i"] for row in numbered if row_filter.judge(row)[0]}
    assert in_python == in_sql, (allow, deny)
