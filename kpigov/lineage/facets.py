"""kpigov's own OpenLineage facet: the KPI spec version and fingerprint a job evaluated.

Custom facets carry a ``_schemaURL`` naming their published JSON Schema; this one ships in the
package (``schemas/KpiSpecJobFacet.json``, also validated in the tests against the official core
schema) and is keyed ``kpigov_kpiSpec``, prefixed as the naming rules ask of custom facets.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import attr
from openlineage.client.generated.base import JobFacet

KPI_SPEC_FACET_KEY = "kpigov_kpiSpec"
KPI_SPEC_FACET_SCHEMA_PATH = Path(__file__).with_name("schemas") / "KpiSpecJobFacet.json"
KPI_SPEC_FACET_SCHEMA_URL = "https://kpigov.dev/spec/facets/1-0-0/KpiSpecJobFacet.json#/$defs/KpiSpecJobFacet"


@attr.define
class KpiSpecJobFacet(JobFacet):
    """Which KPI spec (id, version, fingerprint) the job computed."""

    kpiId: str  # noqa: N815  (OpenLineage field names are camelCase)
    specVersion: str  # noqa: N815
    fingerprint: str
    specPath: str | None = attr.field(default=None)  # noqa: N815
    measure: str | None = attr.field(default=None)
    perspective: str | None = attr.field(default=None)
    status: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return KPI_SPEC_FACET_SCHEMA_URL


@cache
def kpi_spec_facet_schema() -> dict[str, Any]:
    """The published JSON Schema of :class:`KpiSpecJobFacet`."""
    schema: dict[str, Any] = json.loads(KPI_SPEC_FACET_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema
