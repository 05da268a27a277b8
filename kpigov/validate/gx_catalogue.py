"""A static catalogue of Great Expectations expectation types and their arguments.

Validation must stay fast (importing GX takes seconds), so the types and kwargs GX accepts are
captured once from the pinned GX version into ``gx_catalogue.json``. ``build_catalogue()``
regenerates it (``python -m kpigov.validate.gx_catalogue``), and a test asserts the shipped file
equals what the installed GX says, so a GX upgrade that changes an expectation cannot go unnoticed.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).with_name("gx_catalogue.json")

# Fields every GX expectation has that are not the expectation's own arguments.
_BASE_FIELDS = {"id", "meta", "notes", "result_format", "description", "catch_exceptions", "rendered_content",
                "severity", "windows", "batch_id"}
COLUMN_ARGUMENTS = ("column", "column_A", "column_B", "column_list")


def build_catalogue() -> dict[str, Any]:
    """Read the installed Great Expectations' registry (slow: imports GX)."""
    import great_expectations  # noqa: F401  (registers the core expectations)
    from great_expectations import __version__
    from great_expectations.expectations.registry import _registered_expectations

    expectations: dict[str, Any] = {}
    for name in sorted(_registered_expectations):
        cls = _registered_expectations[name]
        fields = {n: f for n, f in cls.__fields__.items() if n not in _BASE_FIELDS}
        expectations[name] = {
            "required": sorted(n for n, f in fields.items() if f.required),
            "optional": sorted(n for n, f in fields.items() if not f.required),
        }
    return {"great_expectations": __version__, "expectations": expectations}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    return json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))


if __name__ == "__main__":
    CATALOGUE_PATH.write_text(json.dumps(build_catalogue(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {CATALOGUE_PATH}")
