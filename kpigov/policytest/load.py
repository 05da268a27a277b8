"""Find and parse ``*_test.yaml`` files into :class:`Suite`s, or into located diagnostics.

Loading is static: everything that can be judged without running a decision (the envelope, each
case's shape, declared principals, inline mention columns and their types) is reported here, all
at once, so a broken test file never runs half of its cases.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Boolean, DateTime, Float, Integer, String

from kpigov.diagnostics import Code, Diagnostic, Diagnostics, Location
from kpigov.loader import Document, discover, load_file
from kpigov.policytest.model import CASE_MODELS, AccessCase, Case, KpiCase, PolicyTest
from kpigov.project import SPEC_FOLDERS
from kpigov.specs import API_VERSION, diagnostics_from_validation
from kpigov.store.schema import mentions


@dataclass(frozen=True)
class LocatedCase:
    """One validated case and where it was written (``location``: its ``name``)."""

    case: Case
    location: Location


@dataclass(frozen=True)
class Suite:
    """One PolicyTest document, ready to run."""

    id: str
    path: str
    now: datetime
    principals: dict[str, list[str]]
    cases: list[LocatedCase]


def load_suites(root: Path) -> tuple[list[Suite], Diagnostics]:
    """Every PolicyTest under the repository's spec folders; a file with any error yields no suite."""
    suites: list[Suite] = []
    diagnostics = Diagnostics()
    for file in discover(root, SPEC_FOLDERS, tests=True):
        loaded = load_file(root, file)
        diagnostics.extend(loaded.diagnostics)
        for doc in loaded.documents:
            suite, found = parse_suite(doc)
            diagnostics.extend(found)
            if suite is not None:
                suites.append(suite)
    return suites, diagnostics


def parse_suite(doc: Document) -> tuple[Suite | None, list[Diagnostic]]:
    """Validate one document into a :class:`Suite`, or explain every reason it is not one."""
    found = _envelope(doc)
    if found:
        return None, found
    try:
        test = PolicyTest.model_validate(doc.data)
    except ValidationError as error:
        return None, diagnostics_from_validation(doc, error)
    cases: list[LocatedCase] = []
    for index, raw in enumerate(test.spec.cases):
        base = ["spec", "cases", index]
        case, problems = _parse_case(doc, raw, base)
        if case is not None:
            problems += _static_checks(doc, case, base, test.spec.principals)
            cases.append(LocatedCase(case, doc.locate([*base, "name"])))
        found += problems
    if found:
        return None, found
    return Suite(test.metadata.id, doc.path, test.spec.now, dict(test.spec.principals), cases), []


def _envelope(doc: Document) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    api, kind = doc.data.get("apiVersion"), doc.data.get("kind")
    if api != API_VERSION:
        message = "missing 'apiVersion'" if api is None else f"apiVersion '{api}' is not supported"
        found.append(Diagnostic(Code.UNKNOWN_API_VERSION, message,
                                doc.locate(["apiVersion"]) if api is not None else doc.start,
                                hint=f"use apiVersion: {API_VERSION}"))
    if kind != PolicyTest.KIND:
        message = "missing 'kind'" if kind is None else f"a test file holds PolicyTest documents, not {kind!r}"
        found.append(Diagnostic(Code.UNKNOWN_KIND, message, doc.locate(["kind"]) if kind is not None else doc.start,
                                hint="use kind: PolicyTest"))
    return found


def _parse_case(doc: Document, raw: dict[str, Any], base: list[str | int]) -> tuple[Case | None, list[Diagnostic]]:
    inputs = [key for key in CASE_MODELS if key in raw]
    if len(inputs) != 1:
        what = "no input" if not inputs else f"{len(inputs)} inputs ({', '.join(inputs)})"
        return None, [Diagnostic(Code.INVALID_VALUE, f"{_dotted(base)}: a case has exactly one of "
                                 f"{', '.join(CASE_MODELS)}; this one has {what}", doc.locate(base))]
    try:
        return CASE_MODELS[inputs[0]].model_validate(raw), []
    except ValidationError as error:
        return None, diagnostics_from_validation(doc, error, base)


def _static_checks(doc: Document, case: Case, base: list[str | int],
                   principals: dict[str, list[str]]) -> list[Diagnostic]:
    if isinstance(case, AccessCase) and case.access.principal not in principals:
        close = difflib.get_close_matches(case.access.principal, list(principals), n=1)
        return [Diagnostic(Code.UNRESOLVED_REFERENCE, f"principal '{case.access.principal}' is not declared "
                           "in spec.principals", doc.locate([*base, "access", "principal"]),
                           hint=f"did you mean '{close[0]}'?" if close else None)]
    if isinstance(case, KpiCase):
        return [d for i, row in enumerate(case.kpi.mentions)
                for d in _row_problems(doc, row, [*base, "kpi", "mentions", i])]
    return []


def _row_problems(doc: Document, row: dict[str, Any], at: list[str | int]) -> list[Diagnostic]:
    """Columns the mentions table lacks, and values its column types cannot hold."""
    found: list[Diagnostic] = []
    if "entity" not in row:
        found.append(Diagnostic(Code.MISSING_FIELD, f"missing required column 'entity' in {_dotted(at)}",
                                doc.locate(at), hint="every mention is about a tracked entity, e.g. entity: stridewell"))
    for name, value in row.items():
        column = mentions.c.get(name)
        if column is None:
            close = difflib.get_close_matches(name, list(mentions.c.keys()), n=1)
            found.append(Diagnostic(Code.UNKNOWN_COLUMN, f"the mentions table has no column '{name}'",
                                    doc.locate([*at, name], key=True),
                                    hint=f"did you mean '{close[0]}'?" if close else None))
            continue
        problem = _type_problem(column.type, value, column.nullable)
        if problem:
            found.append(Diagnostic(Code.WRONG_TYPE, f"{_dotted([*at, name])}: {problem}", doc.locate([*at, name])))
    return found


def _type_problem(kind: Any, value: Any, nullable: bool | None) -> str | None:
    if value is None:
        return None if nullable else "the column is not nullable"
    if isinstance(kind, Boolean):
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(kind, Integer):
        return None if isinstance(value, int) and not isinstance(value, bool) else "expected an integer"
    if isinstance(kind, Float):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "expected a number"
    if isinstance(kind, DateTime):
        if not isinstance(value, str):
            return "expected a date-time (YYYY-MM-DDTHH:MM:SS)"
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f"'{value}' is not an ISO 8601 date-time"
        return None
    if isinstance(kind, String):
        return None if isinstance(value, str) else "expected a string (quote it)"
    return None


def _dotted(path: list[str | int]) -> str:
    return ".".join(str(p) for p in path)


__all__ = ["LocatedCase", "Suite", "load_suites", "parse_suite"]
