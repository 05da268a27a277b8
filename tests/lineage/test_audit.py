"""The audit trail: committed entries verify; any edit, deletion, reordering or truncation is named."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from kpigov.lineage import (
    GENESIS,
    AuditEntryError,
    AuditKind,
    AuditLog,
    AuditRecord,
    Checkpoint,
    mask,
    read_export,
    verify_chain,
    verify_export,
)
from kpigov.store import Store, open_store, schema

LOG = schema.audit_log


def _fill(audit: AuditLog, n: int = 12) -> None:
    audit.append(AuditKind.EVALUATION_RUN, "run-0001", {"kpis": ["brand.customer.net_sentiment"], "ok": True}, "kpigov")
    audit.append_many(AuditRecord("manual_override", f"brand.customer.kpi_{i}",
                                  {"decision": "release", "reason": "crisis over, é ✓", "i": i}, "alice")
                      for i in range(n - 1))


def _python_verdict(audit: AuditLog, start: Checkpoint = GENESIS) -> tuple[bool, int | None, str | None]:
    report = verify_chain(audit.entries(after=start.seq), start=start, checkpoints=audit.checkpoints())
    return report.ok, report.first_bad, report.reason


def _tamper(store: Store, statement: object) -> None:
    with store.transaction() as conn:
        conn.execute(statement)


def test_appended_entries_verify_in_sql_and_python_alike(audit: AuditLog) -> None:
    _fill(audit)
    report = audit.verify()
    assert report.ok and report.entries == 12 and report.first_bad is None
    assert report.head == audit.head() and report.head.seq == 12
    assert _python_verdict(audit) == (True, None, None)
    assert [e.seq for e in audit.entries()] == list(range(1, 13))
    assert sorted(audit.checkpoints()) == [5, 10]
    first = next(audit.entries())
    assert first.prev_hash == GENESIS.hash and json.loads(first.payload)["ok"] is True


def test_large_batches_take_the_bulk_path_and_still_chain(audit: AuditLog) -> None:
    audit.append_many(AuditRecord("kpi_withheld", f"k{i}", {"i": i}, "kpigov") for i in range(300))
    audit.append("alert_routed", "k1", {"tier": 1}, "kpigov")
    report = audit.verify()
    assert report.ok and report.entries == 301
    assert _python_verdict(audit)[0]


def test_edited_payload_is_named(audit: AuditLog, store: Store) -> None:
    _fill(audit)
    _tamper(store, update(LOG).where(LOG.c.seq == 7).values(payload='{"decision":"recalibrate"}'))
    report = audit.verify()
    assert (report.ok, report.first_bad, report.entries, report.head.seq) == (False, 7, 6, 6)
    assert "edited" in (report.reason or "")
    assert _python_verdict(audit) == (False, 7, report.reason)


def test_edited_and_rehashed_entry_breaks_the_next_link(audit: AuditLog, store: Store) -> None:
    _fill(audit)
    forged = next(e for e in audit.entries() if e.seq == 3)
    from kpigov.lineage.chain import entry_hash

    new_hash = entry_hash(3, forged.recorded_at, forged.kind, forged.subject, "mallory", forged.payload, forged.prev_hash)
    _tamper(store, update(LOG).where(LOG.c.seq == 3).values(actor="mallory", hash=new_hash))
    report = audit.verify()
    assert (report.ok, report.first_bad) == (False, 4)
    assert "prev_hash" in (report.reason or "")
    assert _python_verdict(audit) == (False, 4, report.reason)


def test_deleted_entry_is_named(audit: AuditLog, store: Store) -> None:
    _fill(audit)
    _tamper(store, delete(LOG).where(LOG.c.seq == 8))
    report = audit.verify()
    assert (report.ok, report.first_bad) == (False, 8)
    assert "entry 8 is missing" in (report.reason or "")
    assert _python_verdict(audit) == (False, 8, report.reason)


def test_reordered_entries_are_detected(audit: AuditLog, store: Store) -> None:
    _fill(audit)
    _tamper(store, update(LOG).where(LOG.c.seq == 4).values(seq=-4))
    _tamper(store, update(LOG).where(LOG.c.seq == 5).values(seq=4))
    _tamper(store, update(LOG).where(LOG.c.seq == -4).values(seq=5))
    report = audit.verify()
    assert (report.ok, report.first_bad) == (False, 4)
    assert _python_verdict(audit) == (False, 4, report.reason)


def test_truncated_tail_is_detected_against_the_checkpoints(audit: AuditLog, store: Store) -> None:
    _fill(audit)
    _tamper(store, delete(LOG).where(LOG.c.seq > 9))  # checkpoint 10 survives
    report = audit.verify()
    assert (report.ok, report.first_bad, report.entries) == (False, 10, 9)
    assert "checkpoint" in (report.reason or "")
    assert _python_verdict(audit) == (False, 10, report.reason)


def test_rewritten_chain_is_caught_by_a_trusted_head(audit: AuditLog, store: Store) -> None:
    _fill(audit)
    anchor = audit.head()
    assert audit.verify(anchor).ok and audit.verify(Checkpoint(5, audit.checkpoints()[5])).entries == 7
    _tamper(store, delete(LOG))
    _tamper(store, delete(schema.audit_checkpoints))
    _fill(audit)  # a forged chain of the same length: consistent in itself
    assert audit.verify().ok
    report = audit.verify(anchor)
    assert (report.ok, report.first_bad) == (False, 12)


def test_bad_records_raise_and_write_nothing(audit: AuditLog) -> None:
    audit.append("evaluation_run", "run-1", {}, "kpigov")
    bad = [AuditRecord("evaluation_runs", "run-2", {}, "kpigov"),  # typo in the kind
           AuditRecord("evaluation_run", "run\x1f2", {}, "kpigov"),  # the field separator
           AuditRecord("evaluation_run", "", {}, "kpigov"),
           AuditRecord("evaluation_run", "run-2", {"share": math.nan}, "kpigov"),
           AuditRecord("evaluation_run", "run-2", {"at": object()}, "kpigov")]
    for record in bad:
        with pytest.raises(AuditEntryError):
            audit.append_many([AuditRecord("evaluation_run", "run-2", {}, "kpigov"), record])
    assert audit.head().seq == 1 and audit.verify().ok


def test_export_is_verifiable_offline_and_edits_to_it_are_named(audit: AuditLog, tmp_path: Path) -> None:
    _fill(audit)
    out = tmp_path / "audit" / "trail.jsonl"
    assert audit.export_jsonl(out) == 12
    assert [e.hash for e in read_export(out)] == [e.hash for e in audit.entries()]
    assert verify_export(out).ok and verify_export(out, audit.head()).ok
    lines = out.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[2])
    edited["payload"]["decision"] = "recalibrate"
    lines[2] = json.dumps(edited, ensure_ascii=False)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = verify_export(out)
    assert (report.ok, report.first_bad) == (False, 3)
    del lines[2]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert verify_export(out).first_bad == 3


def test_concurrent_writers_leave_no_gaps_or_duplicates(store_url: str, store: Store) -> None:
    writers, each = 4, 25
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:  # each thread its own engine and connections, as separate processes would have
            with open_store(store_url, create=False) as own:
                log = AuditLog(own, checkpoint_every=7)
                for i in range(each):
                    if i % 5 == 4:
                        log.append_many(AuditRecord("access_decision", f"w{worker}", {"i": i, "j": j}, "svc")
                                        for j in range(3))
                    else:
                        log.append("access_decision", f"w{worker}", {"i": i}, "svc")
        except BaseException as exc:  # surfaced below, with the worker's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    audit = AuditLog(store)
    expected = writers * (each - each // 5 + 3 * (each // 5))
    assert [e.seq for e in audit.entries()] == list(range(1, expected + 1))
    assert audit.verify().ok


def test_mask_hides_sensitive_fields_without_touching_the_rest() -> None:
    payload = {"role": "analyst", "subject": {"handle": "@runner42", "country": "DE"}, "rows": [1, 2]}
    hidden = mask(payload, ["subject.handle", "absent.path", "role.not_a_mapping"])
    assert hidden == {"role": "analyst", "subject": {"handle": "***", "country": "DE"}, "rows": [1, 2]}
    assert payload["subject"]["handle"] == "@runner42"
    linked = mask(payload, ["subject.handle"], key=b"k1")["subject"]["handle"]
    assert linked.startswith("hmac-sha256:") and "runner42" not in linked
    assert linked == mask({"subject": {"handle": "@runner42"}}, ["subject.handle"], key=b"k1")["subject"]["handle"]
    assert linked != mask(payload, ["subject.handle"], key=b"k2")["subject"]["handle"]
