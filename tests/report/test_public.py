"""The public variant: kpigov publish's releases only, never an exact value, no ε spent by reporting."""

from __future__ import annotations

import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kpigov.cli.main import app
from kpigov.diagnostics import ExitCode
from kpigov.evaluate import open_for_evaluation
from kpigov.project import Project
from kpigov.publish import PublicScorecard, publish
from kpigov.report import RELEASE_LABEL, PublishedScorecardError, read_published
from kpigov.report.summary import fmt
from kpigov.store import schema
from tests.conftest import ROOT
from tests.evaluate.synthetic import AS_OF

runner = CliRunner()
PUBLIC_KPI = "brand.customer.public_mention_volume"
CRISIS_DAY = date(2026, 8, 20)  # inside the sole-recall crisis of policies/calendar.yaml


class _Text(HTMLParser):
    """The page's visible text and attribute values: everything a reader (or a scraper) can see."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.extend(v for _, v in attrs if v)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(site: Path) -> str:
    parser = _Text()
    for page in sorted(site.rglob("*.html")):
        parser.feed(page.read_text(encoding="utf-8"))
    return " ".join(parser.parts) + (site / "summary.md").read_text(encoding="utf-8")


@pytest.fixture
def store_copy(report_store_url: str, tmp_path: Path) -> str:
    """A private copy of the evaluated store: publishing spends ε, which other tests must not see."""
    copy = tmp_path / "store.duckdb"
    shutil.copy(report_store_url.removeprefix("duckdb:///"), copy)
    return f"duckdb:///{copy}"


def _publish(url: str, project: Project, as_of: date, out: Path) -> PublicScorecard:
    with open_for_evaluation(url) as store:
        return publish(project, store, as_of, out)


def _exact_values(url: str) -> list[float]:
    k = schema.kpi_results
    with open_for_evaluation(url) as store, store.engine.connect() as conn:
        return [v for v in conn.execute(sa.select(k.c.value).where(k.c.kpi_id == PUBLIC_KPI)).scalars() if v is not None]


def _ledger(url: str) -> list[tuple]:
    s = schema.privacy_spend
    with open_for_evaluation(url) as store, store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(s.c.release_id, s.c.kpi_id, s.c.epsilon).order_by(s.c.release_id))]


def _report(*args: str) -> None:
    result = runner.invoke(app, [args[0], str(ROOT), *args[1:]])
    assert result.exit_code == ExitCode.OK, result.output


def test_public_site_shows_the_released_value_and_no_exact_value(store_copy: str, project: Project, tmp_path: Path) -> None:
    card = _publish(store_copy, project, AS_OF, tmp_path / "scorecard.json")
    (released,) = card.values
    assert released.status == "published" and released.value is not None
    site = tmp_path / "site"
    # an absent store proves the public report never reads exact values
    _report("report", "--as-of", AS_OF.isoformat(), "--public", "--published", str(tmp_path / "scorecard.json"),
            "--store", f"duckdb:///{tmp_path / 'absent.duckdb'}", "--out", str(site))
    shown = f'{fmt(released.value)} <small class="release-label">({RELEASE_LABEL}: discrete_laplace, ε=0.5)</small>'
    assert shown in (site / "index.html").read_text(encoding="utf-8")
    assert shown in (site / "kpi" / f"{PUBLIC_KPI}.html").read_text(encoding="utf-8")
    text = _text(site)
    exact = [v for v in _exact_values(store_copy) if v != released.value]
    assert exact, "the store must hold exact values for the check to mean anything"
    leaked = [v for v in exact if fmt(v) in text or str(v) in text]
    assert not leaked, f"exact values shown on the public site: {leaked}"
    assert {p.stem for p in (site / "kpi").iterdir()} == {PUBLIC_KPI}


def test_building_the_public_report_twice_spends_no_budget(store_copy: str, project: Project, tmp_path: Path) -> None:
    card = _publish(store_copy, project, AS_OF, tmp_path / "scorecard.json")
    after_publish = _ledger(store_copy)
    assert len(after_publish) == 1
    for attempt in ("one", "two"):
        _report("report", "--as-of", AS_OF.isoformat(), "--public", "--published", str(tmp_path / "scorecard.json"),
                "--store", store_copy, "--out", str(tmp_path / attempt))
    assert _ledger(store_copy) == after_publish
    shown = [(tmp_path / a / "index.html").read_text(encoding="utf-8") for a in ("one", "two")]
    assert shown[0] == shown[1] and f">{fmt(card.values[0].value)} <small" in shown[0]


def test_a_withheld_kpi_shows_the_reason_and_no_value(store_copy: str, project: Project, tmp_path: Path) -> None:
    card = _publish(store_copy, project, CRISIS_DAY, tmp_path / "scorecard.json")
    assert card.values[0].status == "withheld"
    _report("report", "--as-of", CRISIS_DAY.isoformat(), "--public", "--published", str(tmp_path / "scorecard.json"),
            "--out", str(tmp_path / "site"))
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "withheld</span>: crisis period open: sole-recall" in html
    assert RELEASE_LABEL + ":" not in html


def test_public_export_holds_the_releases_only(store_copy: str, project: Project, tmp_path: Path) -> None:
    card = _publish(store_copy, project, AS_OF, tmp_path / "scorecard.json")
    out = tmp_path / "public.parquet"
    _report("export", "--as-of", AS_OF.isoformat(), "--public", "--published", str(tmp_path / "scorecard.json"),
            "--out", str(out))
    (row,) = pq.read_table(out).to_pylist()
    (released,) = card.values
    assert (row["kpi_id"], row["status"], row["value"], row["period_start"]) == (
        released.kpi_id, "ok", float(released.value or 0), released.period_start)
    assert row["baseline"] is None and row["change"] is None  # both derive from exact values


def test_read_published_refuses_another_date_or_a_foreign_file(store_copy: str, project: Project, tmp_path: Path) -> None:
    path = tmp_path / "scorecard.json"
    _publish(store_copy, project, AS_OF, path)
    assert read_published(path, AS_OF).values[0].kpi_id == PUBLIC_KPI
    with pytest.raises(PublishedScorecardError, match="published as of 2026-11-22, not 2026-11-29"):
        read_published(path, date(2026, 11, 29))
    (tmp_path / "other.json").write_text('{"format": 99}')
    with pytest.raises(PublishedScorecardError, match="not a kpigov published scorecard"):
        read_published(tmp_path / "other.json", AS_OF)


def test_public_bad_requests_exit_2_without_traceback(tmp_path: Path) -> None:
    absent = str(tmp_path / "absent.json")
    for args in (["report", str(ROOT), "--as-of", "2026-11-22", "--public", "--published", absent, "--out", str(tmp_path / "s")],
                 ["export", str(ROOT), "--as-of", "2026-11-22", "--public", "--published", absent],
                 ["export", str(ROOT), "--as-of", "2026-11-22", "--public", "--views"]):
        result = runner.invoke(app, args)
        assert result.exit_code == ExitCode.ERROR, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), args
    assert not (tmp_path / "s").exists()
