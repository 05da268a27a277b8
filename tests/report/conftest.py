"""A small demo-like store: the synthetic mentions evaluated once a week for eight weeks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

import kpigov
from kpigov.compiler import compile_project
from kpigov.evaluate import evaluate, evaluation_order, open_for_evaluation
from kpigov.project import Project
from kpigov.report import ReportData, load_report_data
from kpigov.store import Store, open_store
from tests.conftest import ROOT
from tests.evaluate.conftest import no_gates
from tests.evaluate.synthetic import AS_OF, load, synthetic_mentions

WEEKS = 8
SUNDAYS = [AS_OF - timedelta(weeks=w) for w in reversed(range(WEEKS))]


def evaluated_store(url: str, project: Project, as_of_days: list[date]) -> None:
    """Load the synthetic mentions and run every KPI once per as-of day, as a weekly schedule would."""
    compiled = compile_project(project)
    order = evaluation_order(project, compiled.kpi_order)
    with open_store(url, create=True) as store:
        load(store, synthetic_mentions())
    with open_for_evaluation(url) as store:
        for day in as_of_days:
            evaluate(store, project, order, compiled.fingerprint, day, gates=no_gates)


@pytest.fixture(scope="session")
def project() -> Project:
    return kpigov.load(ROOT)


@pytest.fixture(scope="session")
def report_store_url(tmp_path_factory: pytest.TempPathFactory, project: Project) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('report') / 'store.duckdb'}"
    evaluated_store(url, project, SUNDAYS)
    return url


@pytest.fixture
def report_store(report_store_url: str) -> Iterator[Store]:
    with open_for_evaluation(report_store_url) as store:
        yield store


@pytest.fixture
def report_data(report_store: Store, project: Project) -> ReportData:
    return load_report_data(report_store, project, AS_OF)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory, report_store_url: str, project: Project) -> Path:
    from kpigov.report import build_site

    out = tmp_path_factory.mktemp("site")
    with open_for_evaluation(report_store_url) as store:
        build_site(load_report_data(store, project, AS_OF), out)
    return out
