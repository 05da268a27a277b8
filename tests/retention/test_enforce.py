"""Retention enforcement on real stores (DuckDB always, PostgreSQL when reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

import kpigov
from kpigov.lineage import AuditLog
from kpigov.retention import ANON_PREFIX, enforce_retention, subtract
from kpigov.store import Store, open_store, schema

AS_OF = datetime(2026, 11, 25, 12, 0)
M = schema.mentions


def mention(i: int, created_at: datetime, *, deleted_at_source: datetime | None = None) -> dict[str, Any]:
    return {"mention_id": f"m{i:04d}", "platform": "x", "native_id": str(i), "entity": "stridewell",
            "author_id": f"a{i}", "author_handle": f"@runner{i}", "author_followers": 10 + i, "geo": "DE",
            "created_at": created_at, "text": f"loving my stridewell shoes #{i}", "url": f"https://x.com/{i}",
            "source": "x_api", "ingest_batch": "b1", "content_hash": f"h{i}", "deleted_at_source": deleted_at_source}


OLD = AS_OF - timedelta(days=500)
RECENT = AS_OF - timedelta(days=10)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url, create=True)
    rows = [mention(i, OLD) for i in range(5)] + [mention(i, RECENT) for i in range(5, 12)]
    rows[0]["deleted_at_source"] = RECENT  # old and deleted at source: deleted, never anonymised
    rows[7]["deleted_at_source"] = RECENT
    with s.transaction() as conn:
        conn.execute(insert(M), rows)
    yield s
    s.close()


def snapshot(store: Store) -> list[tuple[Any, ...]]:
    with store.transaction() as conn:
        return [tuple(r) for r in conn.execute(select(M).order_by(M.c.mention_id)).all()]


def audit_count(store: Store) -> int:
    return sum(1 for _ in AuditLog(store).entries())


def test_dry_run_changes_nothing_and_counts_what_apply_changes(store: Store) -> None:
    project = kpigov.load(".")
    before = snapshot(store)
    dry = enforce_retention(project, store, AS_OF)
    assert snapshot(store) == before and audit_count(store) == 0 and not dry.applied
    counts = {o.rule: o.rows for o in dry.outcomes}
    assert counts == {"retention/deleted-at-source": 2, "retention/raw-posts-personal-data": 4,
                      "retention/raw-posts-content": 4}
    done = enforce_retention(project, store, AS_OF, apply=True)
    assert {o.rule: o.rows for o in done.outcomes} == counts
    assert len(done.audit_seqs) == len(done.outcomes) == audit_count(store)
    rows = {r["mention_id"]: r for r in (dict(zip(M.c.keys(), row)) for row in snapshot(store))}
    assert set(rows) == {f"m{i:04d}" for i in range(12)} - {"m0000", "m0007"}
    for i in range(1, 5):
        old = rows[f"m{i:04d}"]
        assert old["author_handle"].startswith(ANON_PREFIX) and old["author_id"].startswith(ANON_PREFIX)
        assert old["author_followers"] is None and old["text"] is None and old["url"] is None
        assert old["entity"] == "stridewell"  # the row still counts in aggregates
    assert rows["m0005"]["author_handle"] == "@runner5" and rows["m0005"]["text"]
    # distinct authors survive anonymisation
    assert len({rows[f"m{i:04d}"]["author_id"] for i in range(1, 5)}) == 4
    again = enforce_retention(project, store, AS_OF)
    assert again.rows_changed == 0


def test_legal_hold_suspends_the_rule(store: Store, example_repo: Path) -> None:
    rules = example_repo / "policies" / "retention.yaml"
    rules.write_text(rules.read_text().replace("  action: anonymize\n", "  action: anonymize\n  legal_hold: true\n"))
    project = kpigov.load(example_repo)
    assert project.ok, project.diagnostics
    before = snapshot(store)
    report = enforce_retention(project, store, AS_OF, apply=True)
    held = [o for o in report.outcomes if o.legal_hold]
    # the hold on personal data also suspends deleting rows that hold personal data
    assert {o.rule: o.rows for o in held} == {"retention/raw-posts-personal-data": 5, "retention/deleted-at-source": 2}
    with store.transaction() as conn:
        handles = dict(conn.execute(select(M.c.mention_id, M.c.author_handle)).all())
    assert handles["m0001"] == "@runner1"  # held: untouched
    assert report.rows_changed == 5 and snapshot(store) != before  # the content rule still applied (no row deleted)


def test_hold_on_a_column_rule_suspends_deleting_its_rows(store: Store, example_repo: Path) -> None:
    rules = example_repo / "policies" / "retention.yaml"
    rules.write_text(rules.read_text().replace("  action: aggregate\n", "  action: aggregate\n  legal_hold: true\n"))
    report = enforce_retention(kpigov.load(example_repo), store, AS_OF, apply=True)
    deletion = next(o for o in report.outcomes if o.action == "delete")
    assert deletion.legal_hold and "raw-posts-content" in (deletion.hold_reason or "")
    with store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(M)).scalar_one() == 12


def test_failure_rolls_back_everything(store: Store) -> None:
    before = snapshot(store)
    with store.transaction() as conn:  # the last action (aggregate: text -> NULL) will now fail
        conn.execute(text("ALTER TABLE mentions ALTER COLUMN text SET NOT NULL"))
    with pytest.raises(DBAPIError):
        enforce_retention(kpigov.load("."), store, AS_OF, apply=True)
    assert snapshot(store) == before and audit_count(store) == 0


@pytest.mark.parametrize(("period", "expected"), [
    ("P13M", datetime(2025, 10, 25, 12)), ("P1M", datetime(2026, 10, 25, 12)), ("P7D", datetime(2026, 11, 18, 12)),
    ("P1Y", datetime(2025, 11, 25, 12)), ("PT6H", datetime(2026, 11, 25, 6))])
def test_periods_are_calendar_periods(period: str, expected: datetime) -> None:
    assert subtract(AS_OF, period) == expected
    assert subtract(datetime(2026, 3, 31), "P1M") == datetime(2026, 2, 28)
