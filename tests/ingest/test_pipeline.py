"""One ingest, one transaction: idempotence, rollback, batching, progress — on every backend."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import kpigov.ingest.pipeline as pipeline
from helpers import FIXTURES, PLAIN_RULES, RESOLVER, mentions, quarantined, write_canonical
from kpigov.ingest import ingest_file
from kpigov.store import Store, open_store, schema

REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "fivethirtyeight-twitter-ratio"


@pytest.fixture
def store(store_url: str) -> Store:
    with open_store(store_url, create=True) as opened:
        yield opened


def _counts(store: Store) -> tuple[int, int, int]:
    with store.transaction() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (schema.mentions, schema.quarantine, schema.ingest_batches))


def test_reingesting_a_file_is_idempotent(store: Store) -> None:
    first = ingest_file(store, FIXTURES / "x_search.json", "x", rules=PLAIN_RULES, entity_resolver=RESOLVER)
    before = mentions(store, "mention_id", "duplicate_of")
    again = ingest_file(store, FIXTURES / "x_search.json", "x", rules=PLAIN_RULES, entity_resolver=RESOLVER)
    assert mentions(store, "mention_id", "duplicate_of") == before
    assert (again.rows_loaded, again.rows_already_present, again.rows_quarantined) == (0, 3, 4)
    assert first.file_sha256 == again.file_sha256
    with store.transaction() as conn:
        recorded = conn.execute(select(schema.ingest_batches.c.rows_already_present, schema.ingest_batches.c.file_name)
                                .order_by(schema.ingest_batches.c.rows_already_present)).all()
    assert [tuple(r) for r in recorded] == [(0, str(FIXTURES / "x_search.json")), (3, str(FIXTURES / "x_search.json"))]


def test_repeated_ids_within_one_file_are_loaded_once(store: Store, tmp_path: Path) -> None:
    twice = tmp_path / "twice.jsonl"
    line = (FIXTURES / "x_stream.jsonl").read_text().splitlines()[0]
    twice.write_text(f"{line}\n{line}\n")
    report = ingest_file(store, twice, "x", rules=PLAIN_RULES, entity_resolver=RESOLVER, batch_size=1)
    assert (report.rows_read, report.rows_loaded, report.rows_already_present) == (2, 1, 1)


def test_a_failure_after_the_insert_leaves_the_store_untouched(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_file(store, FIXTURES / "x_stream.jsonl", "x", rules=PLAIN_RULES, entity_resolver=RESOLVER)
    before = (_counts(store), mentions(store, "mention_id", "duplicate_of"))

    def explode(*args: object) -> int:
        raise RuntimeError("injected failure after the insert")

    monkeypatch.setattr(pipeline, "deduplicate", explode)
    with pytest.raises(RuntimeError, match="injected"):
        ingest_file(store, FIXTURES / "x_search.json", "x", rules=PLAIN_RULES, entity_resolver=RESOLVER)
    assert (_counts(store), mentions(store, "mention_id", "duplicate_of")) == before


def test_a_malformed_file_midway_leaves_the_store_untouched(store: Store, tmp_path: Path) -> None:
    lines = (FIXTURES / "x_stream.jsonl").read_text().split("\n")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(f"{lines[0]}\n{{not json\n")
    with pytest.raises(Exception, match=r"broken\.jsonl:2"):
        ingest_file(store, broken, "x", rules=PLAIN_RULES, entity_resolver=RESOLVER, batch_size=1)
    assert _counts(store) == (0, 0, 0)


def test_a_killed_connection_rolls_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database connection dies after rows were inserted: nothing of the ingest remains."""
    real = pipeline._quarantine

    def kill_connection(conn, *args):  # type: ignore[no-untyped-def]
        real(conn, *args)
        conn.connection.driver_connection.close()

    monkeypatch.setattr(pipeline, "_quarantine", kill_connection)
    with pytest.raises(Exception):
        ingest_file(store, FIXTURES / "x_search.json", "x", rules=PLAIN_RULES, entity_resolver=RESOLVER)
    monkeypatch.undo()
    store.engine.dispose()
    assert _counts(store) == (0, 0, 0)


def test_batches_and_progress(store: Store) -> None:
    seen: list[int] = []
    report = ingest_file(store, FIXTURES / "x_search.json", "x", rules=PLAIN_RULES, entity_resolver=RESOLVER,
                         batch_size=2, progress=seen.append)
    assert seen == [2, 4, 6, 7]
    assert report.rows_loaded == 3 and [r for r, _ in quarantined(store)] == [4, 5, 6, 7]


def test_a_first_batch_inserted_in_slices_reports_like_one(store: Store, tmp_path: Path) -> None:
    """The first batch goes to the database in slices (the prefetch's slow start): repeats across and
    within slices, quarantined rows and progress are reported as for one batch."""
    t = datetime(2026, 1, 1)
    rows = [{"platform": "x", "native_id": str(i % 40_000), "created_at": t + timedelta(seconds=i), "entity": "acme",
             "text": f"acme {i}"} for i in range(48_000)]
    rows += [{"platform": "x", "native_id": "bad", "created_at": None, "entity": "acme"}] * 3  # quarantined
    seen: list[int] = []
    report = ingest_file(store, write_canonical(tmp_path / "c.parquet", rows), "canonical", rules=PLAIN_RULES,
                         batch_size=100_000, progress=seen.append)
    assert (report.rows_read, report.rows_loaded, report.rows_already_present, report.rows_quarantined) == (48_003, 40_000, 8_000, 3)
    assert seen == [48_003]
    assert mentions(store, "text")[:1] == [("acme 0",)]  # the first occurrence of a repeated id is the one kept


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"real data not present at {REAL_DATA} (needs ../shared/data)")
def test_real_fivethirtyeight_tweets_load_with_their_declared_encoding(store: Store) -> None:
    reports = [ingest_file(store, REAL_DATA / f"{name}.csv", "fivethirtyeight", rules=PLAIN_RULES)
               for name in ("BarackObama", "realDonaldTrump")]
    assert [r.rows_loaded for r in reports] == [3207, 3232]
    assert sum(r.rows_quarantined for r in reports) == 0
    with store.transaction() as conn:
        m = schema.mentions
        by_entity = dict(conn.execute(select(m.c.entity, func.count()).group_by(m.c.entity)).all())
        mojibake = conn.execute(select(func.count()).where(m.c.text.contains("‰Û_"))).scalar_one()
        first = conn.execute(select(m.c.text, m.c.likes, m.c.created_at).where(m.c.native_id == "920061541986250758")).one()
    assert by_entity == {"BarackObama": 3207, "realDonaldTrump": 3232}
    assert mojibake > 0  # the files' own mojibake, decoded as the mac_roman it is, not a crash
    assert first.likes == 641842 and "Congratulations, John" in first.text
    assert "&amp;" not in "".join(t for (t,) in mentions(store, "text") if t)


def test_strict_utf8_reader_fails_on_the_real_files_with_the_line(store: Store) -> None:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data not present at {REAL_DATA} (needs ../shared/data)")
    with pytest.raises(Exception, match=r"BarackObama\.csv:\d+: not valid utf-8"):
        ingest_file(store, REAL_DATA / "BarackObama.csv", "fivethirtyeight", rules=PLAIN_RULES, encoding="utf-8")


