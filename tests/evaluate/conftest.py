"""Fixtures: the example repository compiled, and stores loaded with the synthetic mentions."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

import kpigov
from kpigov.compiler import compile_project
from kpigov.evaluate import evaluation_order, open_for_evaluation
from kpigov.evaluate.quality.results import GateReport
from kpigov.project import Project
from kpigov.store import Store, open_store
from tests.conftest import ROOT
from tests.evaluate.synthetic import load, synthetic_mentions

#: A run without ExpectationSuites to check: the real report type, holding no suites.
NO_GATES = GateReport()


def no_gates(store: Store, project: Project) -> GateReport:
    return NO_GATES


@pytest.fixture(scope="session")
def example() -> Project:
    project = kpigov.load(ROOT)
    assert project.ok, [str(d) for d in project.diagnostics]
    return project


@pytest.fixture(scope="session")
def example_order(example: Project) -> list[str]:
    return evaluation_order(example, compile_project(example).kpi_order)


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return synthetic_mentions().to_pandas()


@pytest.fixture
def loaded_store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as store:
        load(store, synthetic_mentions())
    with open_for_evaluation(store_url) as store:
        yield store


@pytest.fixture
def loaded_duckdb(duckdb_url: str) -> Iterator[Store]:
    with open_store(duckdb_url, create=True) as store:
        load(store, synthetic_mentions())
    with open_for_evaluation(duckdb_url) as store:
        yield store

