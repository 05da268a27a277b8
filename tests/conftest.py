"""Shared fixtures: the example governance repository, real public data, PostgreSQL."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLE_PARTS = ("kpigov.yaml", "kpi_specs", "policies", "expectations")
PG_URL = os.environ.get("KPIGOV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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
