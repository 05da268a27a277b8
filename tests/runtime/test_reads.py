"""Masked reads on DuckDB and PostgreSQL: no principal ever gets an unmasked or hidden column back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from kpigov.runtime import AccessDeniedError, Governance, QueryError
from kpigov.runtime.reads import REDACTED, TRUNCATE_TO, MentionQuery
from kpigov.store import Store, open_store, schema
from tests.conftest import ROOT
from tests.runtime.conftest import mention_rows

PRINCIPALS = ("analyst", "care-agent", "pr-officer", "auditor", "viewer", "priya.raman@stridewell.example",
              frozenset({"analyst", "care-agent"}))
ACTIONS = ("read", "export", "read_raw")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as opened:
        with opened.transaction() as conn:
            conn.execute(sa.insert(schema.mentions), mention_rows())
        yield opened


def expected(mask: str | None, raw: object) -> object:
    if mask is None:
        return raw
    if raw is None and mask != "redact":
        return None
    return {"hash": lambda: hashlib.sha256(str(raw).encode()).hexdigest(), "redact": lambda: REDACTED,
            "null": lambda: None, "truncate": lambda: str(raw)[:TRUNCATE_TO]}[mask]()


def test_masked_reads_never_return_an_unmasked_column(store: Store) -> None:
    gov = Governance.load(ROOT, store=store, audit="off")
    raw = {row["mention_id"]: row for row in mention_rows()}
    checked = 0
    for principal in PRINCIPALS:
        for action in ACTIONS:
            decision = gov.check_access(principal, action, "dataset/mentions")
            if not decision.allowed:
                with pytest.raises(AccessDeniedError):
                    gov.read_mentions(principal, MentionQuery(action=action))
                continue
            result = gov.read_mentions(principal, MentionQuery(action=action))
            assert not set(result.columns) & decision.hidden
            assert dict(result.masks) == {c: m for c, m in decision.masks.items() if c in result.columns}
            for row in result.as_dicts():
                source = raw[row["mention_id"]] if "mention_id" not in decision.masks else None
                assert source is not None
                assert decision.row_filter is None or decision.row_filter.judge(source)[0]
                for column, value in row.items():
                    assert value == expected(decision.masks.get(column), source.get(column)), (principal, column)
                    checked += 1
    assert checked > 500


def test_row_filters_and_hidden_columns_are_enforced_in_sql(store: Store) -> None:
    gov = Governance.load(ROOT, store=store, audit="off")
    care = gov.read_mentions("care-agent", MentionQuery(columns=["mention_id", "entity", "topic", "author_id"]))
    assert [r["mention_id"] for r in care.as_dicts()] == ["m000", "m001", "m006"]
    assert all(r["author_id"] != f"author-{int(r['mention_id'][1:])}" for r in care.as_dicts())
    export = gov.read_mentions("analyst", MentionQuery(action="export"))
    assert {"author_handle", "author_id", "geo"}.isdisjoint(export.columns) and "text" in export.columns
    with pytest.raises(QueryError, match="not readable"):
        gov.read_mentions("analyst", MentionQuery(action="export", columns=["geo"]))
    filtered = gov.read_mentions("analyst", MentionQuery(where="entity = 'apexrun'", limit=5))
    assert [r["entity"] for r in filtered.as_dicts()] == ["apexrun"]


def test_filtering_on_a_masked_column_is_refused(store: Store) -> None:
    gov = Governance.load(ROOT, store=store, audit="off")
    for where in ("author_handle = '@runner_anna'", "entity = ", "nope = 1"):
        with pytest.raises(QueryError):
            gov.read_mentions("analyst", MentionQuery(where=where))
    with pytest.raises(AccessDeniedError, match="default deny"):
        gov.read_mentions("nobody@example.org")


def test_flagged_decisions_are_audited_with_contacts_masked(store: Store) -> None:
    from kpigov.lineage import AuditLog

    gov = Governance.load(ROOT, store=store, audit_key=b"k" * 32)
    assert gov.audit_mode == "flagged"
    gov.check_access("analyst", "read", "dataset/mentions")  # rule without log: true
    care = gov.check_access("luis.ortega@stridewell.example", "read", "dataset/mentions",
                            row={"entity": "stridewell", "topic": "sizing"})
    gov.check_many([("analyst", "export", "dataset/mentions:geo"), ("viewer", "read", "kpi/x")])
    entries = list(AuditLog(store).entries())
    payloads = [json.loads(e.payload) for e in entries]
    assert [p["decision_id"] for p in payloads][0] == care.decision_id
    assert len(entries) == 2 and {e.kind for e in entries} == {"access_decision"}
    assert payloads[0]["principal"].startswith("hmac-sha256:") and payloads[0]["row"].startswith("hmac-sha256:")
    assert payloads[1]["principal"] == "analyst" and payloads[1]["effect"] == "deny"
    assert AuditLog(store).verify().ok


def test_kpi_answer_reports_the_last_value(store: Store) -> None:
    now = datetime(2026, 11, 23, 6)
    with store.transaction() as conn:
        conn.execute(sa.insert(schema.runs), [{"run_id": "r1", "as_of": date(2026, 11, 23), "status": "ok",
                                               "started_at": now, "finished_at": now, "manifest_fingerprint": "f" * 64,
                                               "kpigov_version": "0.1.0", "kpis": "[]"}])
        conn.execute(sa.insert(schema.kpi_results), [{
            "run_id": "r1", "kpi_id": "brand.customer.net_sentiment", "period_start": date(2026, 11, 16),
            "period_end": date(2026, 11, 22), "status": "ok", "value": 0.25, "band": "amber", "detail": "{}"}])  # 0.25: Float is 32-bit REAL on DuckDB
    gov = Governance.load(ROOT, store=store, audit="off")
    answer = gov.kpi("brand.customer.net_sentiment")
    assert answer.last is not None and (answer.last.value, answer.last.band) == (0.25, "amber")
    assert answer.lineage.run_id == "r1" and answer.trustworthy
    assert "Last value: 0.25" in gov.explain("brand.customer.net_sentiment")
    missing = gov.kpi("brand.customer.public_mention_volume")
    assert missing.last is None and "no successful run has recorded a value" in missing.caveats
