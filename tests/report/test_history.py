"""KPI pages: the version history read from Git, and the lineage picture drawn from ``kpigov lineage``."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

import kpigov
from kpigov.compiler import compile_project
from kpigov.lineage.query import LineageNode, lineage
from kpigov.report import KPIReport, ReportData, build_site
from kpigov.lineage.history import spec_history
from kpigov.report.lineage_picture import lineage_boxes, lineage_svg
from kpigov.specs import KPI
from tests.conftest import ROOT, copy_example

NS_ID, NS_FILE = "brand.customer.net_sentiment", "kpi_specs/customer/net_sentiment.yaml"
SHARE, SHARE_FILE = "brand.customer.positive_share", "kpi_specs/customer/positive_share.yaml"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org",
                           "-c", "commit.gpgsign=false", *args], check=True, capture_output=True, text=True).stdout


def _bump(repo: Path, file: str, old: str, new: str) -> None:
    path = repo / file
    text = path.read_text()
    assert f"version: {old}" in text
    path.write_text(text.replace(f"version: {old}", f"version: {new}", 1))


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """The example repository committed, then the net-sentiment KPI bumped 1.0.0 → 1.1.0 and committed."""
    repo = copy_example(tmp_path / "repo")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Initial governance")
    version = kpigov.load(repo).get(f"kpi/{NS_ID}").metadata.version
    _bump(repo, NS_FILE, version, "9.9.0")
    _git(repo, "commit", "-q", "-am", "Net sentiment: widen the bot filter")
    return repo


def _page(project_root: Path, kpi_id: str, out: Path) -> str:
    """One KPI's page, built without a store: the page's history and lineage come from Git and specs."""
    project = kpigov.load(project_root)
    kpi = project.get(f"kpi/{kpi_id}")
    assert isinstance(kpi, KPI)
    data = ReportData(project=project, as_of=date(2026, 11, 22), kpis=(KPIReport(kpi, ()),), events=(),
                      alerts=(), overrides=(), quality={})
    build_site(data, out)
    return (out / "kpi" / f"{kpi_id}.html").read_text()


def test_history_lists_each_commit_with_the_version_it_left(git_repo: Path) -> None:
    history = spec_history(git_repo, NS_FILE, NS_ID)
    commits = _git(git_repo, "log", "--format=%H", "--", NS_FILE).split()
    first_version = kpigov.load(ROOT).get(f"kpi/{NS_ID}").metadata.version  # what the first commit holds
    assert history.note is None
    assert [r.commit for r in history.revisions] == commits
    assert [r.version for r in history.revisions] == ["9.9.0", first_version]
    assert [r.subject for r in history.revisions] == ["Net sentiment: widen the bot filter", "Initial governance"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", r.date) for r in history.revisions)


def test_history_follows_a_renamed_file(git_repo: Path) -> None:
    moved = "kpi_specs/financial/net_sentiment.yaml"
    _git(git_repo, "mv", NS_FILE, moved)
    _git(git_repo, "commit", "-q", "-m", "Move net sentiment")
    history = spec_history(git_repo, moved, NS_ID)
    assert [r.path for r in history.revisions] == [moved, NS_FILE, NS_FILE]
    assert [r.version for r in history.revisions][:2] == ["9.9.0", "9.9.0"]
    assert history.revisions[2].version not in (None, "9.9.0")


def test_page_lists_both_versions_with_their_commits(git_repo: Path, tmp_path: Path) -> None:
    page = _page(git_repo, NS_ID, tmp_path / "site")
    history = spec_history(git_repo, NS_FILE, NS_ID)
    table = page[page.index('<table class="versions">'):]
    table = table[:table.index("</table>")]
    for revision in history.revisions:
        assert f"<td>{revision.version}</td>" in table and revision.commit[:12] in table
    assert table.index("9.9.0") < table.index(history.revisions[1].version)  # newest first
    assert "widen the bot filter" in table and "Initial governance" in table


def test_uncommitted_file_and_no_repository_are_said_plainly(git_repo: Path, tmp_path: Path) -> None:
    new = git_repo / "kpi_specs/customer/draft_copy.yaml"
    new.write_text((git_repo / NS_FILE).read_text())
    assert spec_history(git_repo, "kpi_specs/customer/draft_copy.yaml", NS_ID).note == \
        "no version history: kpi_specs/customer/draft_copy.yaml is not committed yet"
    plain = copy_example(tmp_path / "plain")  # tmp_path is outside any Git work tree
    history = spec_history(plain, NS_FILE, NS_ID)
    assert history.revisions == () and history.note and "not a git repository" in history.note.lower()
    page = _page(plain, NS_ID, tmp_path / "site")
    assert "no version history:" in page and '<table class="versions">' not in page


def test_git_missing_is_said_plainly(git_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a real environment without git on PATH
    assert spec_history(git_repo, NS_FILE, NS_ID).note == "no version history: git is not installed"


def test_derived_kpi_page_shows_its_input_kpis_and_full_upstream(tmp_path: Path) -> None:
    project = kpigov.load(ROOT)
    tree = lineage(project, compile_project(project), SHARE)
    upstream, downstream = lineage_boxes(tree)
    refs = [b.ref for b in upstream]
    assert {"kpi/brand.customer.positive_volume", "kpi/brand.customer.mention_volume"} <= set(refs)
    assert {"dataset/mentions", "dedup/default", "lexicon/brand-domain", "suite/mentions-core"} <= set(refs)
    kinds = [b.kind for b in upstream]
    assert kinds == sorted(kinds, key=["dataset", "policy", "suite", "kpi"].index)  # datasets first, input KPIs last
    page = _page(ROOT, SHARE, tmp_path / "site")
    drawn = {ref: kind for kind, ref in re.findall(r'<g class="lineage-node upstream (\w+)" data-ref="([^"]+)"', page)}
    assert drawn["kpi/brand.customer.positive_volume"] == "kpi" and drawn["kpi/brand.customer.mention_volume"] == "kpi"
    assert drawn["lexicon/brand-domain"] == "policy" and drawn["suite/mentions-core"] == "suite"


def test_kpi_page_shows_columns_read_downstream_kpis_and_its_escalation(tmp_path: Path) -> None:
    page = _page(ROOT, "brand.customer.mention_volume", tmp_path / "site")
    downstream = {ref: kind for kind, ref in re.findall(r'<g class="lineage-node downstream (\w+)" data-ref="([^"]+)"', page)}
    assert downstream == {"escalation/brand-negative-cluster": "escalation", "kpi/" + SHARE: "kpi"}
    assert "routes this KPI&#x27;s alerts" in page and "formula input" in page
    assert re.search(r'data-ref="dataset/mentions"><title>dataset/mentions — reads: [^<]*is_bot', page)


def test_picture_of_an_isolated_kpi_says_so() -> None:
    tree = LineageNode("x.y.z", "KPI", {"version": "1.0.0"},
                       [LineageNode("upstream", "group"), LineageNode("downstream", "group")])
    svg = lineage_svg(tree)
    assert "no upstream or downstream" in svg and "KPI, version: 1.0.0" in svg
