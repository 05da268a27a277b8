"""``kpigov lineage show ID``: a KPI's, a dataset's and a run's lineage as a tree, JSON and Mermaid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import kpigov
from kpigov.cli.main import app
from kpigov.compiler import compile_project
from kpigov.lifecycle import UnknownSubjectError
from kpigov.lineage.query import LineageNode, lineage, to_mermaid, to_text
from kpigov.store import open_store, schema
from tests.conftest import ROOT
from tests.lifecycle.conftest import NET_SENTIMENT, History


def _tree(repo: Path, subject: str, url: str | None = None) -> LineageNode:
    project = kpigov.load(repo)
    compiled = compile_project(project)
    if url is None:
        return lineage(project, compiled, subject)
    with open_store(url, create=False) as store, store.engine.connect() as conn:
        return lineage(project, compiled, subject, conn)


def _group(tree: LineageNode, label: str) -> LineageNode:
    (group,) = [c for c in tree.children if c.label == label]
    return group


def test_kpi_upstream_names_columns_policies_with_fingerprints_and_suites(history: History) -> None:
    tree = _tree(history.repo, NET_SENTIMENT, history.url)
    upstream = {n.label: n for n in _group(tree, "upstream").children}
    assert upstream["dataset/mentions"].detail["columns"] == sorted(
        ["cib_cluster", "duplicate_of", "entity", "is_bot", "is_employee", "is_spam", "platform", "sentiment_score"])
    compiled = compile_project(kpigov.load(history.repo))
    for policy in ("dedup/default", "lexicon/brand-domain", "calendar/launches"):
        assert upstream[policy].kind == "policy"
        assert upstream[policy].detail["fingerprint"] == compiled.data_hash[policy]
    assert upstream["suite/mentions-core"].kind == "suite"
    assert upstream["suite/mentions-core"].detail["last_result"] is None  # the test runs had no quality gates


def test_kpi_runs_are_the_stored_values_newest_first(history: History) -> None:
    runs = _group(_tree(history.repo, NET_SENTIMENT, history.url), "runs")
    assert runs.detail["stored_values"] == history.runs
    starts = [r.detail["period_start"] for r in runs.children]
    assert starts == sorted(starts, reverse=True) and starts[0] == "2026-09-21"
    with open_store(history.url, create=False) as store, store.engine.connect() as conn:
        k = schema.kpi_results
        stored = conn.execute(sa.select(k.c.value).where(k.c.run_id == runs.children[0].label,
                                                         k.c.kpi_id == NET_SENTIMENT)).scalar_one()
    assert runs.children[0].detail["value"] == stored


def test_kpi_downstream_and_spec_versions_from_git() -> None:
    tree = _tree(ROOT, NET_SENTIMENT)
    downstream = [(n.kind, n.label) for n in _group(tree, "downstream").children]
    assert ("escalation", "escalation/brand-negative-cluster") in downstream
    versions = _group(tree, "spec versions")
    assert versions.children, "the example repository is committed: at least one commit changed the KPI"
    assert all(re.fullmatch(r"[0-9a-f]{40}", c.detail["commit"]) for c in versions.children)
    assert versions.children[-1].detail["version"] is not None
    assert all(c.label != "runs" for c in tree.children)  # no store, no runs


def test_derived_kpi_lists_its_input_kpis_upstream() -> None:
    upstream = _group(_tree(ROOT, "brand.customer.positive_share"), "upstream")
    kpis = {n.label for n in upstream.children if n.kind == "kpi"}
    assert kpis == {"kpi/brand.customer.positive_volume", "kpi/brand.customer.mention_volume"}


def test_dataset_and_run_subjects(history: History) -> None:
    dataset = _tree(history.repo, "dataset/mentions")
    assert dataset.kind == "Dataset"
    assert f"kpi/{NET_SENTIMENT}" in {n.label for n in _group(dataset, "downstream").children}
    with open_store(history.url, create=False) as store, store.engine.connect() as conn:
        run_id = conn.execute(sa.select(schema.runs.c.run_id).limit(1)).scalar_one()
    run = _tree(history.repo, run_id, history.url)
    assert run.kind == "Run"
    assert {n.label for n in _group(run, "values").children} >= {f"kpi/{NET_SENTIMENT}"}


def test_unknown_subject(history: History) -> None:
    with pytest.raises(UnknownSubjectError, match="pass --store"):
        _tree(history.repo, "brand.customer.nope")
    with pytest.raises(UnknownSubjectError, match="nor a run of the store"):
        _tree(history.repo, "brand.customer.nope", history.url)


def test_text_and_mermaid_renderings_cover_every_node() -> None:
    tree = _tree(ROOT, NET_SENTIMENT)
    nodes = [n for _, n in tree.walk()]
    text = to_text(tree)
    assert len(text.splitlines()) == len(nodes)
    assert text.splitlines()[1] == "├── upstream"
    mermaid = to_mermaid(tree).splitlines()
    assert mermaid[0] == "flowchart LR"
    assert sum("-->" in line for line in mermaid) == len(nodes) - 1
    assert all(re.fullmatch(r'  n\d+\["[^"]*"\]|  n\d+ --> n\d+', line) for line in mermaid[1:])


def test_cli_formats_and_errors(history: History) -> None:
    runner = CliRunner()
    base = ["lineage", "show", NET_SENTIMENT, "--repo", str(history.repo), "--store", history.url]
    as_json = runner.invoke(app, [*base, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["label"] == NET_SENTIMENT
    assert runner.invoke(app, [*base, "--format", "mermaid"]).stdout.startswith("flowchart LR\n")
    assert runner.invoke(app, base).stdout.startswith(f"{NET_SENTIMENT} (KPI)")
    assert runner.invoke(app, [*base, "--format", "svg"]).exit_code == 2
    unknown = runner.invoke(app, ["lineage", "show", "nope", "--repo", str(history.repo), "--store", history.url])
    assert unknown.exit_code == 2 and "nope" in unknown.stderr
