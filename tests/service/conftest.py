"""A real uvicorn server on a free loopback port, serving the example repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the HTTP service is an optional extra (pip install kpigov[service])")

from kpigov.runtime import Governance  # noqa: E402
from kpigov.service import Limits, create_app, running  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(max_body_bytes=64 * 1024, request_timeout=5.0)


@pytest.fixture(scope="session")
def governance() -> Governance:
    return Governance.load(ROOT)


@pytest.fixture(scope="session")
def service_url(governance: Governance) -> Iterator[str]:
    with running(create_app(governance, LIMITS)) as url:
        yield url
