"""Fixtures for gate tests: a small sample store on each backend and the example project."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import kpigov
from kpigov.project import Project
from kpigov.store import Store, open_store
from tests.evaluate_quality.helpers import load_sample

ROOT = Path(__file__).resolve().parents[2]
#: Ten days at 200 organic mentions a day: about 2,500 rows, enough for every example expectation.
SAMPLE = (date(2026, 1, 1), date(2026, 1, 10), 200)


@pytest.fixture
def sample_store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as store:
        load_sample(store, *SAMPLE)
        yield store


@pytest.fixture
def empty_store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as store:
        yield store


@pytest.fixture(scope="session")
def example_project() -> Project:
    project = kpigov.load(ROOT)
    assert project.ok, [str(d) for d in project.diagnostics]
    return project
