"""A store holding one successful run with the public KPI's exact value."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import insert

from kpigov.store import Store, open_store, schema

PUBLIC = "brand.customer.public_mention_volume"
TRUE_COUNT = 41_234


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url, create=True)
    now = datetime(2026, 11, 1)
    with s.transaction() as conn:
        conn.execute(insert(schema.runs).values(run_id="r1", as_of=date(2026, 11, 1), status="ok", started_at=now,
                                                finished_at=now, manifest_fingerprint="f", kpigov_version="t",
                                                kpis="[]"))
        conn.execute(insert(schema.kpi_results).values(run_id="r1", kpi_id=PUBLIC, period_start=date(2026, 10, 1),
                                                       period_end=date(2026, 10, 31), status="ok",
                                                       value=float(TRUE_COUNT), detail="{}"))
    yield s
    s.close()
