"""Generated rows have exactly the canonical columns and types, with derived columns left empty."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from kpigov.sample import LEFT_TO_INGESTION, MENTIONS_SCHEMA, OUTCOMES_SCHEMA, generate, generate_outcomes
from kpigov.store.arrow import arrow_schema
from kpigov.store.schema import mentions, outcomes

EXPECTED_TYPES = {
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "DATETIME": pa.timestamp("us"),
    "DOUBLE": pa.float64(),
    "TEXT": pa.string(),
}


def expected_type(sql_type: object) -> pa.DataType:
    name = str(sql_type).split("(")[0]
    return pa.string() if name == "VARCHAR" else EXPECTED_TYPES[name]


@pytest.fixture(scope="module")
def week() -> pa.Table:
    return pa.Table.from_batches(list(generate(start=dt.date(2026, 8, 17), end=dt.date(2026, 8, 23), mentions_per_day=300)))


def test_mention_columns_and_types_are_the_stores(week: pa.Table) -> None:
    assert week.column_names == [column.name for column in mentions.columns]
    assert [field.type for field in week.schema] == [expected_type(column.type) for column in mentions.columns]
    assert week.schema == MENTIONS_SCHEMA == arrow_schema(mentions)


def test_non_nullable_columns_are_filled_except_those_ingestion_derives(week: pa.Table) -> None:
    required = {column.name for column in mentions.columns if not column.nullable} - LEFT_TO_INGESTION
    assert {name: week[name].null_count for name in required} == dict.fromkeys(required, 0)


def test_derived_columns_are_left_to_ingestion(week: pa.Table) -> None:
    assert {name: week[name].null_count for name in LEFT_TO_INGESTION} == dict.fromkeys(LEFT_TO_INGESTION, week.num_rows)
    for flag in ("is_bot", "is_spam", "is_employee"):
        assert not pc.any(week[flag]).as_py()


def test_outcome_columns_and_types_are_the_stores() -> None:
    table = generate_outcomes(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 30))
    assert table.schema == OUTCOMES_SCHEMA == arrow_schema(outcomes)
    assert [field.type for field in table.schema] == [expected_type(column.type) for column in outcomes.columns]
    assert set(table["series"].to_pylist()) == {"weekly_sales", "support_tickets", "web_visits_noise"}
    assert all(monday.weekday() == 0 for monday in table["period_start"].to_pylist())


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="before start"):
        next(generate(start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1)))
    with pytest.raises(ValueError, match="mentions_per_day"):
        next(generate(mentions_per_day=0))
