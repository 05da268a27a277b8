"""What governance authors write: one strict pydantic model per kind, and their JSON Schemas.

:func:`parse_document` turns a loaded :class:`~kpigov.loader.Document` into a typed spec, or into
diagnostics located in the source (pydantic's error locations are mapped back to ``file:line:col``
through the document's node tree).
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Sequence, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from kpigov.diagnostics import Code, Diagnostic
from kpigov.loader import Document
from kpigov.specs.base import API_VERSION, REFERENCE_KINDS, Envelope, split_reference
from kpigov.specs.config import Config
from kpigov.specs.data import Dataset, DedupPolicy, EventCalendar, Lexicon
from kpigov.specs.kpi import KPI
from kpigov.specs.org import RetirementDecision, Role, Team
from kpigov.specs.policy import AccessPolicy, EscalationPolicy, RetentionRule
from kpigov.specs.quality import ExpectationSuite

__all__ = [
    "KINDS", "API_VERSION", "REFERENCE_KINDS", "Envelope", "Config", "KPI", "Dataset", "DedupPolicy",
    "Lexicon", "EventCalendar", "ExpectationSuite", "EscalationPolicy", "RetentionRule", "AccessPolicy",
    "Team", "Role", "RetirementDecision", "parse_document", "parse_config", "json_schemas", "split_reference",
]

#: Every document kind, by its ``kind`` value. The order is the order of the spec reference.
KINDS: dict[str, type[Envelope]] = {
    model.KIND: model
    for model in (KPI, Dataset, DedupPolicy, Lexicon, EventCalendar, ExpectationSuite, EscalationPolicy,
                  RetentionRule, AccessPolicy, Team, Role, RetirementDecision)
}

_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}


def _field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for candidate in _models_in(field.annotation):
            names |= _field_names(candidate, seen)
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
    return found


_ALL_FIELDS = sorted(set().union(*(_field_names(m) for m in KINDS.values())) | _field_names(Config))


def _data_path(data: Any, loc: Sequence[str | int]) -> tuple[list[str | int], bool]:
    """Map a pydantic error location onto the document's data path.

    Drops the discriminator tags pydantic inserts for tagged unions and the ``[key]`` marker of
    dict-key errors. Returns the path and whether the error is about a key.
    """
    path: list[str | int] = []
    current = data
    is_key = False
    for part in loc:
        if part == "[key]":
            is_key = True
            continue
        if isinstance(current, dict):
            if part in current:
                current = current[part]
                path.append(part)
                continue
            if current.get("type") == part:  # discriminator tag of a tagged union
                continue
            path.append(part)
            current = None
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
        else:
            path.append(part)
            current = None
    return path, is_key


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_EXPECTED = {
    "string_type": "a string", "bool_type": "true or false", "int_type": "an integer", "float_type": "a number",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "int_from_float": "an integer", "date_type": "a date (YYYY-MM-DD)",
}
_CUSTOM_CODES = {"kg_semver": Code.INVALID_SEMVER, "kg_duration": Code.INVALID_DURATION, "kg_date": Code.INVALID_DATE}


def diagnostics_from_validation(doc: Document, error: ValidationError, base: Sequence[str | int] = ()) -> list[Diagnostic]:
    """Turn pydantic errors into located diagnostics with messages written for YAML authors."""
    found: list[Diagnostic] = []
    for err in error.errors(include_url=False):
        kind = err["type"]
        path, is_key = _data_path(doc.data, (*base, *err["loc"]))
        dotted = ".".join(str(p) for p in path) or "(document)"
        value = err.get("input")
        if kind == "missing":
            field = path[-1]
            found.append(Diagnostic(Code.MISSING_FIELD, f"missing required field '{field}' in {'.'.join(map(str, path[:-1])) or 'the document'}",
                                    doc.locate(path[:-1])))
        elif kind == "extra_forbidden":
            field = str(path[-1])
            close = difflib.get_close_matches(field, _ALL_FIELDS, n=1)
            found.append(Diagnostic(Code.UNKNOWN_FIELD, f"unknown field '{field}' in {'.'.join(map(str, path[:-1])) or 'the document'}",
                                    doc.locate(path, key=True), hint=f"did you mean '{close[0]}'?" if close else None))
        elif kind == "bool_type" and isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
            found.append(Diagnostic(Code.YAML11_LOOKALIKE, f"{dotted}: '{value}' is a string in YAML 1.2, not a boolean",
                                    doc.locate(path), hint="write true or false"))
        elif kind in _EXPECTED:
            raw = doc.scalar_text(path)
            shown = f"'{raw}'" if raw is not None else _describe(value)
            hint = f"quote it: \"{raw}\"" if kind == "string_type" and raw is not None and not isinstance(value, str) else None
            found.append(Diagnostic(Code.WRONG_TYPE, f"{dotted}: expected {_EXPECTED[kind]}, got {_describe(value)}"
                                    + (f" ({shown})" if raw is not None else ""), doc.locate(path), hint=hint))
        elif kind in _CUSTOM_CODES:
            found.append(Diagnostic(_CUSTOM_CODES[kind], f"{dotted}: {err['msg']}", doc.locate(path)))
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            options = [o.strip().strip("'") for o in str(expected).replace(" or ", ", ").split(",")]
            close = difflib.get_close_matches(str(value), options, n=1) if isinstance(value, str) else []
            found.append(Diagnostic(Code.INVALID_VALUE, f"{dotted}: {_describe_value(value)} is not one of {expected}",
                                    doc.locate(path), hint=f"did you mean '{close[0]}'?" if close else None))
        elif kind == "union_tag_invalid":
            ctx = err.get("ctx", {})
            found.append(Diagnostic(Code.INVALID_VALUE, f"{dotted}.type: '{ctx.get('tag')}' is not one of "
                                    f"{ctx.get('expected_tags')}", doc.locate([*path, "type"])))
        elif kind == "union_tag_not_found":
            found.append(Diagnostic(Code.MISSING_FIELD, f"missing required field 'type' in {dotted}", doc.locate(path)))
        else:
            found.append(Diagnostic(Code.INVALID_VALUE, f"{dotted}: {err['msg']}",
                                    doc.locate(path, key=is_key)))
    return found


def _describe_value(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else _describe(value)


def _envelope_diagnostics(doc: Document, kinds: Sequence[str]) -> list[Diagnostic]:
    data = doc.data
    found: list[Diagnostic] = []
    api = data.get("apiVersion")
    if api != API_VERSION:
        message = "missing 'apiVersion'" if api is None else f"apiVersion '{api}' is not supported"
        found.append(Diagnostic(Code.UNKNOWN_API_VERSION, message, doc.locate(["apiVersion"]) if api is not None else doc.start,
                                hint=f"use apiVersion: {API_VERSION}"))
    kind = data.get("kind")
    if kind not in kinds:
        close = difflib.get_close_matches(str(kind), list(kinds), n=1) if isinstance(kind, str) else []
        message = "missing 'kind'" if kind is None else f"unknown kind {_describe_value(kind)}"
        found.append(Diagnostic(Code.UNKNOWN_KIND, message, doc.locate(["kind"]) if kind is not None else doc.start,
                                hint=f"did you mean '{close[0]}'?" if close else f"one of {', '.join(kinds)}"))
    return found


def parse_document(doc: Document) -> tuple[Envelope | None, list[Diagnostic]]:
    """Validate one loaded document into its typed spec, or explain why it is not one."""
    found = _envelope_diagnostics(doc, list(KINDS))
    if found:
        return None, found
    model = KINDS[doc.data["kind"]]
    try:
        return model.model_validate(doc.data), []
    except ValidationError as error:
        return None, diagnostics_from_validation(doc, error)


def parse_config(doc: Document) -> tuple[Config | None, list[Diagnostic]]:
    found = _envelope_diagnostics(doc, ["Config"])
    if found:
        return None, found
    try:
        return Config.model_validate(doc.data), []
    except ValidationError as error:
        return None, diagnostics_from_validation(doc, error)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas (draft 2020-12) per kind, plus ``kpigov`` (any document) and ``config``.

    Generated from the models, so the schema an editor checks against is the one kpigov enforces.
    """
    schemas: dict[str, dict[str, Any]] = {}
    for kind, model in KINDS.items():
        schema = model.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://kpigov.dev/schemas/v1/{kind}.json"
        schemas[kind] = schema
    any_document = TypeAdapter(Annotated[Union[tuple(KINDS.values())], Field(discriminator="kind")])  # type: ignore[arg-type]
    combined = any_document.json_schema(mode="validation")
    combined["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    combined["$id"] = "https://kpigov.dev/schemas/v1/kpigov.json"
    schemas["kpigov"] = combined
    config = Config.model_json_schema(mode="validation")
    config["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    config["$id"] = "https://kpigov.dev/schemas/v1/Config.json"
    schemas["Config"] = config
    return schemas
