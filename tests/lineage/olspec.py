"""Validation against the official OpenLineage JSON Schemas (``shared/data/openlineage-spec``).

The core schema treats facets as open objects, so each facet of an event is also validated on its
own against its facet schema, found by the facet's key (as SOURCE.txt prescribes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from kpigov.lineage.facets import KPI_SPEC_FACET_KEY, kpi_spec_facet_schema


class OpenLineageSpec:
    """The core schema plus every facet schema, offline, keyed by the facet names events use."""

    def __init__(self, root: Path) -> None:
        core = json.loads((root / "OpenLineage.json").read_text())
        facets = [json.loads(p.read_text()) for p in sorted((root / "facets").glob("*.json"))]
        facets.append(kpi_spec_facet_schema())
        self.registry: Registry = Registry().with_resources(
            (schema["$id"], Resource.from_contents(schema)) for schema in [core, *facets])
        self.event = self._validator(core)
        self.by_key = {key: self._validator(schema) for schema in facets for key in schema["properties"]}

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def errors(self, event: dict[str, Any]) -> list[str]:
        """Every way ``event`` (as sent, a JSON object) breaks the core schema or a facet schema."""
        problems = [f"event: {e.json_path}: {e.message}" for e in self.event.iter_errors(event)]
        for where, key, facet in _facets(event):
            validator = self.by_key.get(key)
            if validator is None:
                problems.append(f"{where}.{key}: no schema for this facet key")
                continue
            problems += [f"{where}.{key}: {e.json_path}: {e.message}" for e in validator.iter_errors({key: facet})]
        return problems


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for where, holder in (("run.facets", event["run"].get("facets", {})), ("job.facets", event["job"].get("facets", {}))):
        yield from ((where, k, v) for k, v in holder.items())
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for i, dataset in enumerate(event.get(side, [])):
            for group in ("facets", extra):
                yield from ((f"{side}[{i}].{group}", k, v) for k, v in dataset.get(group, {}).items())


__all__ = ["KPI_SPEC_FACET_KEY", "OpenLineageSpec"]
