"""``kpigov sample``, ``kpigov ingest``, ``kpigov rejudge`` and ``kpigov sentiment-audit`` end to end, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.store import open_store, schema
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
A_WEEK = ["--start", "2026-08-17", "--end", "2026-08-23", "--per-day", "60", "--seed", "5"]


def _run(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"KPIGOV_STORE_URL": "", **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    # Rich wraps at the terminal width, so a long temporary path can split a phrase: unwrap.
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture(scope="module")
def sample_week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    code, output = _run("sample", "--out", out, *A_WEEK)
    assert code == 0, output
    return out / "mentions-000.parquet"


def _count(url: str) -> int:
    with open_store(url, create=False) as store, store.transaction() as conn:
        return conn.execute(select(func.count()).select_from(schema.mentions)).scalar_one()


def test_sample_writes_mentions_and_outcomes(sample_week: Path) -> None:
    assert sample_week.is_file() and (sample_week.parent / "outcomes.csv").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--start", "2026-02-30"], "is not a date"),
    (["--start", "2026-03-01", "--end", "2026-02-01"], "is before --start"),
])
def test_sample_refuses_bad_dates(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = _run("sample", "--out", tmp_path / "s", *args)
    assert code == 2 and message in output
    assert not (tmp_path / "s").exists()


def test_ingest_loads_flags_and_scores_then_is_idempotent(sample_week: Path, store_url: str) -> None:
    code, output = _run("ingest", sample_week, "--source", "canonical", "--repo", ROOT, "--store", store_url)
    assert code == 0, output
    assert "ingest report" in output and "flag employee.handle_pattern" in output
    loaded = _count(store_url)
    assert loaded > 0
    with open_store(store_url, create=False) as store, store.transaction() as conn:
        m = schema.mentions
        entities = set(conn.execute(select(m.c.entity).distinct()).scalars())
        unscored = conn.execute(select(func.count()).where(m.c.duplicate_of.is_(None), m.c.sentiment_score.is_(None))).scalar_one()
    assert entities == {"stridewell", "apexrun", "kinetiq", "volta"}
    assert unscored == 0
    code, output = _run("ingest", sample_week, "--source", "canonical", "--repo", ROOT, "--store", store_url)
    assert code == 0 and _count(store_url) == loaded
    code, output = _run("sentiment-audit", "--repo", ROOT, "--store", store_url)
    assert code == 0, output
    assert "non_latin_script" in output and " zh " in output


@pytest.mark.parametrize(("args", "message"), [
    (["missing.json", "--source", "x"], "no such file: missing.json"),
    ([FIXTURES / "x_search.json", "--source", "myspace"], "unknown source 'myspace'"),
    ([FIXTURES / "x_search.json", "--source", "csv", "--mapping", "nowhere.yaml"], "no such mapping file"),
    ([FIXTURES / "x_search.json", "--source", "x", "--lexicon", "lexicon/nope"], "no Lexicon 'lexicon/nope'"),
])
def test_bad_input_exits_2_and_creates_no_store(tmp_path: Path, args: list[object], message: str) -> None:
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    code, output = _run("ingest", *args, "--repo", ROOT, "--store", url)
    assert code == 2, output
    assert message in output
    assert not (tmp_path / "store.duckdb").exists()


def test_an_invalid_repository_exits_2(example_repo: Path) -> None:
    dedup = example_repo / "policies" / "dedup.yaml"
    dedup.write_text(dedup.read_text(encoding="utf-8").replace("reposts: collapse", "reposts: squash"), encoding="utf-8")
    code, output = _run("ingest", FIXTURES / "x_search.json", "--source", "x", "--repo", example_repo)
    assert code == 2 and "the governance repository is invalid" in output and "error KG" in output
    assert not (example_repo / ".kpigov").exists()


def test_an_unreachable_store_exits_2() -> None:
    code, output = _run("ingest", FIXTURES / "x_search.json", "--source", "x", "--repo", ROOT,
                        "--store", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    assert code == 2 and "cannot open store" in output


def test_a_bad_mapping_exits_2(tmp_path: Path) -> None:
    mapping = tmp_path / "vendor.yaml"
    mapping.write_text("fields: {native_id: Id}\n", encoding="utf-8")
    code, output = _run("ingest", FIXTURES / "brandwatch_mentions.csv", "--source", "vendor", "--mapping", mapping,
                        "--repo", ROOT, "--store", f"duckdb:///{tmp_path / 's.duckdb'}")
    assert code == 2 and "lacks required fields: created_at, platform" in output


def test_a_mapping_file_names_a_vendor_source(tmp_path: Path) -> None:
    mapping = tmp_path / "vendor.yaml"
    mapping.write_text(
        "fields:\n  platform: {value: x}\n  native_id: id\n  created_at: created_at\n  text: text\n"
        "  author_handle: author_handle\n", encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text("id,created_at,text,author_handle\n1,2026-05-01T10:00:00+00:00,Kinetiq Flux is fire,ann\n"
                      "2,2026-05-01T11:00:00+00:00,no brand here,bob\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path / 's.duckdb'}"
    code, output = _run("ingest", export, "--source", "vendor", "--mapping", mapping, "--repo", ROOT, "--store", url)
    assert code == 0, output
    assert "mentions no tracked entity" in output
    with open_store(url, create=False) as store, store.transaction() as conn:
        m = schema.mentions
        assert conn.execute(select(m.c.source, m.c.entity)).all() == [("vendor", "kinetiq")]


def test_a_malformed_file_fails_with_1_and_keeps_earlier_files(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 's.duckdb'}"
    code, output = _run("ingest", FIXTURES / "x_search.json", FIXTURES / "x_broken.json", "--source", "x",
                        "--repo", ROOT, "--store", url)
    assert code == 1 and "x_broken.json" in output and "1 earlier file(s) stay loaded" in output


def test_the_store_comes_from_the_environment_then_the_repository_default(example_repo: Path, tmp_path: Path) -> None:
    from_env = tmp_path / "env.duckdb"
    code, output = _run("ingest", FIXTURES / "x_search.json", "--source", "x", "--repo", example_repo,
                        env={"KPIGOV_STORE_URL": f"duckdb:///{from_env}"})
    assert code == 0, output
    assert from_env.is_file() and not (example_repo / ".kpigov" / "store.duckdb").exists()
    code, output = _run("ingest", FIXTURES / "x_search.json", "--source", "x", "--repo", example_repo)
    assert code == 0, output
    assert (example_repo / ".kpigov" / "store.duckdb").is_file()


def test_sentiment_audit_without_a_store_exits_2(example_repo: Path) -> None:
    code, output = _run("sentiment-audit", "--repo", example_repo)
    assert code == 2 and "no store at" in output


def _outcomes(url: str) -> dict[tuple[str, str, str], float]:
    o = schema.outcomes
    with open_store(url, create=False) as store, store.transaction() as conn:
        rows = conn.execute(select(o.c.series, o.c.period_start, o.c.topic, o.c.value)).all()
    return {(s, p.isoformat(), t): v for s, p, t, v in rows}


def test_sample_outcomes_load_idempotently_and_bad_rows_are_quarantined(sample_week: Path, store_url: str,
                                                                        tmp_path: Path) -> None:
    outcomes_csv = sample_week.parent / "outcomes.csv"
    written = outcomes_csv.read_text().splitlines()[1:]
    for _ in range(2):  # the second load replaces the same keys: same table
        code, output = _run("ingest", outcomes_csv, "--source", "outcomes", "--repo", ROOT, "--store", store_url)
        assert code == 0, output
        stored = _outcomes(store_url)
        assert len(stored) == len(written) > 0
    series, day, topic, value = written[0].split(",")
    assert stored[(series, day, topic)] == float(value)
    corrected = tmp_path / "corrected.csv"
    corrected.write_text("series,period_start,topic,value\n"
                         f"{series},{day},{topic},42.5\n"
                         "weekly_sales,2026-02-30,,1\n"
                         f"{series},{day},{topic},43\n"
                         ",2026-01-05,,1\n"
                         "weekly_sales,2026-01-05,,inf\n")
    code, output = _run("ingest", corrected, "--source", "outcomes", "--repo", ROOT, "--store", store_url)
    assert code == 0, output
    assert "1 outcome rows loaded (1 replaced" in output and "4 quarantined" in output
    assert _outcomes(store_url)[(series, day, topic)] == 42.5 and len(_outcomes(store_url)) == len(written)
    with open_store(store_url, create=False) as store, store.transaction() as conn:
        q = schema.quarantine
        reasons = dict(conn.execute(select(q.c.row_number, q.c.reason).where(q.c.source == "outcomes")).all())
    assert reasons == {3: "period_start '2026-02-30' is not a date (YYYY-MM-DD)", 4: "repeats the key of line 2",
                       5: "missing series", 6: "value 'inf' is not finite"}


def test_an_outcomes_file_without_its_header_fails_with_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("week,sales\n2026-01-05,1\n")
    code, output = _run("ingest", bad, "--source", "outcomes", "--repo", ROOT, "--store", f"duckdb:///{tmp_path / 's.duckdb'}")
    assert code == 1 and "missing series, period_start, topic, value" in output


def test_rejudge_is_a_dry_run_until_applied_and_the_applied_run_is_audited(sample_week: Path, tmp_path: Path,
                                                                          example_repo: Path) -> None:
    """Rows loaded under looser rules are judged again after the repository's bot threshold changes."""
    url = f"duckdb:///{tmp_path / 's.duckdb'}"
    code, output = _run("ingest", sample_week, "--source", "canonical", "--repo", example_repo, "--store", url, "--no-lineage")
    assert code == 0, output
    code, output = _run("rejudge", "--repo", example_repo, "--store", url)
    assert code == 0 and "dry run: 0 of" in output, output  # nothing changed in the rules: nothing to change
    bots = [p for p in example_repo.rglob("*.yaml") if "max_followers: 25" in p.read_text()]
    assert len(bots) == 1
    bots[0].write_text(bots[0].read_text().replace("max_followers: 25", "max_followers: 2500"))
    before = _flags(url)
    code, output = _run("rejudge", "--repo", example_repo, "--store", url, "--format", "json")
    assert code == 0, output
    dry = json.loads(output[output.index("{"):])
    assert not dry["applied"] and dry["changed"]["is_bot"] > 0 and dry["audit_seq"] is None
    assert _flags(url) == before
    code, output = _run("rejudge", "--repo", example_repo, "--store", url, "--apply")
    assert code == 0 and f"{dry['rows_changed']:,} of" in output and "audit entry" in output, output
    assert sum(a != b for a, b in zip(before, _flags(url), strict=True)) == dry["rows_changed"]
    code, output = _run("audit", "verify", "--repo", example_repo, "--store", url)
    assert code == 0, output


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "yaml"], "must be text or json"),
    (["--store", "duckdb:////nonexistent/dir/s.duckdb"], "s.duckdb"),
    (["--dedup", "dedup/nope"], "dedup/nope"),
])
def test_rejudge_bad_input_exits_2(example_repo: Path, args: list[str], message: str) -> None:
    code, output = _run("rejudge", "--repo", example_repo, *args)
    assert code == 2 and message in output, output


def _flags(url: str) -> list[tuple[object, ...]]:
    m = schema.mentions
    with open_store(url, create=False) as store, store.transaction() as conn:
        return [tuple(r) for r in conn.execute(select(m.c.mention_id, m.c.is_bot, m.c.is_spam, m.c.is_employee,
                                                      m.c.duplicate_of, m.c.cib_cluster).order_by(m.c.mention_id))]
