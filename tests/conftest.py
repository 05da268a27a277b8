"""Shared fixtures: the example governance repository, real public data, PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpigov.store.testing import isolated_pg_schema, pg_unreachable_reason, test_pg_url

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLE_PARTS = ("kpigov.yaml", "kpi_specs", "policies", "expectations")


def copy_example(target: Path) -> Path:
    """A private copy of the example governance repository (tests may edit it)."""
    target.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy2(source, target / part)
    return target


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not available ({SHARED_DATA} is absent; it ships beside the checkout)")
    return SHARED_DATA


# -- stores on every backend: DuckDB always, PostgreSQL when reachable (else skipped, with why) --

@pytest.fixture(scope="session")
def pg_base_url() -> str:
    url = test_pg_url()
    reason = pg_unreachable_reason(url)
    if reason:
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    with isolated_pg_schema(pg_base_url) as url:
        yield url


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'kpigov.duckdb'}"


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    fixture = "duckdb_url" if request.param == "duckdb" else "pg_url"
    return request.getfixturevalue(fixture)
