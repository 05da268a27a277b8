"""``rejudge_store``: after a rule change, the whole store judged again equals a fresh ingest under the
new rules, on every backend; a dry run changes nothing; an applied run is one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

import kpigov
from helpers import PLAIN_RULES, mentions
from kpigov.ingest import BotRules, CIBRules, EmployeeRules, IngestRules, ingest_file
from kpigov.ingest.from_specs import ingest_setup
from kpigov.ingest.rejudge import JUDGED, rejudge_store
from kpigov.sample import write_sample
from kpigov.store import Store, open_store, schema
from tests.conftest import ROOT

FLAGS = ("mention_id", *JUDGED, "row_spam", "link_spam")


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The example sample (bot farm, employees, coordinated campaign, cross-posts) over a few weeks."""
    out = tmp_path_factory.mktemp("sample")
    summary = write_sample(out, seed=11, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 28), mentions_per_day=150)
    return list(summary.files)


@pytest.fixture(scope="module")
def repository_rules() -> IngestRules:
    return ingest_setup(kpigov.load(ROOT)).rules


def _ingest(store: Store, files: list[Path], rules: IngestRules) -> None:
    for path in files:
        ingest_file(store, path, "canonical", rules=rules)


def _flags(store: Store) -> list[tuple[object, ...]]:
    return sorted(mentions(store, *FLAGS))


@pytest.mark.parametrize("direction", ["plain_to_repository", "repository_to_plain"])
def test_rejudging_equals_a_fresh_ingest_under_the_new_rules(store_url: str, tmp_path: Path, sample_files: list[Path],
                                                             repository_rules: IngestRules, direction: str) -> None:
    old, new = (PLAIN_RULES, repository_rules) if direction == "plain_to_repository" else (repository_rules, PLAIN_RULES)
    with open_store(store_url, create=True) as store:
        _ingest(store, sample_files, old)
        before = _flags(store)
        report = rejudge_store(store, new, apply=True)
        rejudged = _flags(store)
    with open_store(f"duckdb:///{tmp_path / 'fresh.duckdb'}", create=True) as fresh:
        _ingest(fresh, sample_files, new)
        expected = _flags(fresh)
    assert rejudged == expected
    assert rejudged != before and report.rows_changed > 0  # the rules differ where this sample has rows
    changed = {name: sum(a[i] != b[i] for a, b in zip(before, rejudged, strict=True)) for i, name in enumerate(FLAGS) if name in JUDGED}
    assert {n: report.changed[n] for n in JUDGED} == changed
    assert report.rows == len(before) and report.applied


def test_a_dry_run_reports_and_changes_nothing(store_url: str, sample_files: list[Path], repository_rules: IngestRules) -> None:
    with open_store(store_url, create=True) as store:
        _ingest(store, sample_files[:1], PLAIN_RULES)
        before = _flags(store)
        dry = rejudge_store(store, repository_rules)
        assert _flags(store) == before and not dry.applied and dry.rows_changed > 0
        applied = rejudge_store(store, repository_rules, apply=True)
    assert (applied.changed, applied.before, applied.after) == (dry.changed, dry.before, dry.after)
    assert dry.after["is_bot"] > dry.before["is_bot"] and dry.after["is_employee"] > dry.before["is_employee"]


def test_rejudging_under_the_same_rules_changes_nothing(store_url: str, sample_files: list[Path],
                                                       repository_rules: IngestRules) -> None:
    with open_store(store_url, create=True) as store:
        _ingest(store, sample_files, repository_rules)
        report = rejudge_store(store, repository_rules, apply=True)
    assert report.rows_changed == 0 and report.before == report.after


def test_each_row_rule_is_judged_again(duckdb_url: str, tmp_path: Path) -> None:
    """One rule changed at a time: thresholds, handle patterns, employee list, account age, CIB off."""
    from helpers import write_canonical

    t = dt.datetime(2026, 5, 1)
    rows = [
        {"platform": "x", "native_id": "1", "created_at": t, "entity": "acme", "text": "acme one", "author_handle": "@Acme_Team",
         "author_followers": 10, "author_posts": 50, "author_created_at": t - dt.timedelta(days=3)},
        {"platform": "x", "native_id": "2", "created_at": t, "entity": "acme", "text": "acme two", "author_handle": "deals_99",
         "author_followers": None, "author_posts": None},
        {"platform": "x", "native_id": "3", "created_at": t, "entity": "acme", "text": "acme three", "author_handle": None,
         "author_followers": 5000, "author_posts": 100_000},
    ]
    rules = replace(PLAIN_RULES, bots=BotRules(max_followers=25, max_posts=30_000, min_account_age_days=7,
                                               handle_patterns=(r"^deals_\d+$",)),
                    employees=EmployeeRules(frozenset({"acme_team"}), ()))
    with open_store(duckdb_url, create=True) as store:
        ingest_file(store, write_canonical(tmp_path / "r.parquet", rows), "canonical", rules=PLAIN_RULES)
        assert rejudge_store(store, rules, apply=True).changed["any"] == 3
        judged = mentions(store, "native_id", "is_bot", "is_spam", "is_employee")
    assert judged == [("1", True, False, True), ("2", False, True, False), ("3", True, False, False)]


def test_a_failure_before_the_commit_leaves_the_store_and_the_audit_as_they_were(
        duckdb_url: str, sample_files: list[Path], repository_rules: IngestRules) -> None:
    def fail(conn: object, report: object) -> int:
        raise RuntimeError("the audit could not be written")

    with open_store(duckdb_url, create=True) as store:
        _ingest(store, sample_files[:1], PLAIN_RULES)
        before = _flags(store)
        with pytest.raises(RuntimeError, match="audit"):
            rejudge_store(store, repository_rules, apply=True, before_commit=fail)
        assert _flags(store) == before
        with store.transaction() as conn:  # no temporary table left behind in the pooled connection
            assert conn.execute(select(func.count()).select_from(schema.mentions)).scalar_one() == len(before)


def test_cib_clusters_are_cleared_when_the_rule_is_off(duckdb_url: str, sample_files: list[Path],
                                                       repository_rules: IngestRules) -> None:
    assert repository_rules.cib is not None
    with open_store(duckdb_url, create=True) as store:
        _ingest(store, sample_files, repository_rules)
        report = rejudge_store(store, replace(repository_rules, cib=None), apply=True)
        assert report.before["cib_cluster"] > 0 and report.after["cib_cluster"] == 0
        loose = rejudge_store(store, replace(repository_rules, cib=CIBRules(min_accounts=30, window=dt.timedelta(hours=1),
                                                                             min_similarity=0.9)), apply=True)
    assert loose.after["cib_cluster"] == report.before["cib_cluster"]


def test_an_empty_store_is_rejudged_to_nothing(store_url: str, repository_rules: IngestRules) -> None:
    with open_store(store_url, create=True) as store:
        report = rejudge_store(store, repository_rules, apply=True)
    assert report.rows == 0 and report.rows_changed == 0 and report.cib_clusters == 0
    assert set(report.after.values()) == {0}
