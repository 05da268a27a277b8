"""Schemathesis against the served OpenAPI document: no 5xx, every response matches its schema.

Operations are driven through schemathesis' Python API (``operation.as_strategy()`` under
Hypothesis) rather than its pytest plugin, whose fixture-based loader does not run on pytest 9.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")

OPERATIONS = [("GET", "/health"), ("GET", "/ready"), ("POST", "/v1/access/check"), ("POST", "/v1/access/check-many"),
              ("GET", "/v1/retention"), ("GET", "/v1/kpis/{kpi_id}")]


@pytest.fixture(scope="session")
def api_schema(service_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{service_url}/openapi.json")


def test_the_document_lists_exactly_these_operations(api_schema: Any) -> None:
    served = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_operation_conforms(api_schema: Any, method: str, path: str) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def conforms(case: Any) -> None:
        response = case.call_and_validate()
        assert response.headers["x-kpigov-fingerprint"]

    conforms()
