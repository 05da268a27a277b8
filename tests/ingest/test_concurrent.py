"""Two ingests of overlapping files at the same time on PostgreSQL (the warehouse path, where
several writers are possible): each is one transaction, and together they leave exactly the
union, each mention once, as ingesting them one after the other would."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpers import TEXT_DEDUP, mentions, write_canonical
from kpigov.ingest import IngestReport, ingest_file
from kpigov.store import open_store

pytestmark = pytest.mark.postgres


def _rows(first: int, last: int) -> list[dict[str, object]]:
    t = datetime(2026, 6, 1)
    return [{"platform": "x" if i % 3 else "reddit", "native_id": str(i), "created_at": t + timedelta(minutes=i),
             "entity": "acme", "text": f"acme post number {i % 50} with enough words", "author_id": f"a{i % 40}",
             "repost_of": str(i - 7) if i % 5 == 0 and i >= 7 else None} for i in range(first, last)]


def _load_at_once(pg_url: str, files: list[Path]) -> list[IngestReport]:
    """Ingest ``files`` into the PostgreSQL store at the same time, one thread (and engine) each."""
    reports: list[IngestReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def load(path: Path) -> None:
        with open_store(pg_url, create=False) as store:
            start.wait()
            try:
                reports.append(ingest_file(store, path, "canonical", rules=TEXT_DEDUP, batch_size=500))
            except BaseException as error:  # noqa: BLE001  (asserted below)
                errors.append(error)

    with open_store(pg_url, create=True):
        pass
    threads = [threading.Thread(target=load, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return reports


def _as_if_one_after_the_other(pg_url: str, files: list[Path], tmp_path: Path) -> None:
    with open_store(pg_url, create=False) as store:
        together = mentions(store, "mention_id", "duplicate_of")
    with open_store(f"duckdb:///{tmp_path / 'sequential.duckdb'}", create=True) as sequential:
        for path in files:
            ingest_file(sequential, path, "canonical", rules=TEXT_DEDUP)
        assert together == mentions(sequential, "mention_id", "duplicate_of")


def test_concurrent_ingests_of_overlapping_files_leave_each_mention_once(pg_url: str, tmp_path: Path) -> None:
    """Both load the rows they share: the second to commit finds them present (no key violation)."""
    files = [write_canonical(tmp_path / "a.parquet", _rows(0, 3_000)), write_canonical(tmp_path / "b.parquet", _rows(2_000, 5_000))]
    reports = _load_at_once(pg_url, files)
    assert sum(r.rows_loaded for r in reports) == 5_000 and sum(r.rows_already_present for r in reports) == 1_000
    _as_if_one_after_the_other(pg_url, files, tmp_path)


def test_concurrent_ingests_judge_against_each_others_rows(pg_url: str, tmp_path: Path) -> None:
    """Originals in one file, their reposts in the other, no id in common: judged side by side,
    neither would see the other's rows and every repost would collapse onto a sibling instead of
    its original. Ingests take turns (an advisory lock), so the result is the sequential one."""
    t = datetime(2026, 6, 1)
    originals = [{"platform": "x", "native_id": str(i), "created_at": t + timedelta(seconds=i), "entity": "acme",
                  "text": f"acme original {i}"} for i in range(20_000)]
    reposts = [{"platform": "x", "native_id": f"r{i}-{k}", "created_at": t + timedelta(seconds=i, minutes=k + 1),
                "entity": "acme", "text": f"RT acme original {i}", "repost_of": str(i)} for i in range(0, 20_000, 2) for k in (0, 1)]
    files = [write_canonical(tmp_path / "originals.parquet", originals), write_canonical(tmp_path / "reposts.parquet", reposts)]
    _load_at_once(pg_url, files)
    with open_store(pg_url, create=False) as store:
        parents = {d for _, d in mentions(store, "mention_id", "duplicate_of") if d is not None}
    assert len(parents) == 10_000  # every repost collapsed onto its original, not onto a sibling
    _as_if_one_after_the_other(pg_url, files, tmp_path)
