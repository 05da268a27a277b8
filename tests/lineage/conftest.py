"""Fixtures for the lineage tests: the official OpenLineage schemas, a store's audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpigov.lineage import AuditLog
from kpigov.store import Store, open_store
from tests.lineage.olspec import OpenLineageSpec


@pytest.fixture(scope="session")
def ol_spec(shared_data: Path) -> OpenLineageSpec:
    root = shared_data / "openlineage-spec"
    if not (root / "OpenLineage.json").is_file():
        pytest.skip(f"OpenLineage schemas not available ({root} is absent)")
    return OpenLineageSpec(root)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as opened:
        yield opened


@pytest.fixture
def audit(store: Store) -> AuditLog:
    return AuditLog(store, checkpoint_every=5)
