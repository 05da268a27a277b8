"""Render diagnostics for people (text), programs (JSON), code scanners (SARIF 2.1.0) and GitHub
Actions (workflow annotations)."""

from __future__ import annotations

import json
from typing import Iterable, Literal

from kpigov import __version__
from kpigov.diagnostics import Code, Diagnostic, Severity

Format = Literal["text", "json", "sarif", "github"]
FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")


def diagnostic_dict(d: Diagnostic) -> dict[str, object]:
    return {
        "path": d.location.path, "line": d.location.line, "column": d.location.column,
        "severity": d.severity.value, "code": d.code.code, "rule": d.code.slug,
        "message": d.message, "hint": d.hint,
    }


def to_text(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n".join(str(d) for d in diagnostics)


def to_json(diagnostics: Iterable[Diagnostic], **extra: object) -> str:
    items = [diagnostic_dict(d) for d in diagnostics]
    return json.dumps({"kpigov": __version__, **extra, "diagnostics": items}, indent=2)


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def to_sarif(diagnostics: Iterable[Diagnostic]) -> str:
    items = list(diagnostics)
    used = sorted({d.code for d in items}, key=lambda c: c.code)
    rules = [{"id": c.code, "name": c.slug, "shortDescription": {"text": c.summary},
              "helpUri": f"https://kpigov.dev/docs/diagnostics#{c.code.lower()}"} for c in used]
    index = {c: i for i, c in enumerate(used)}
    results = []
    for d in items:
        region = {"startLine": max(d.location.line, 1), "startColumn": max(d.location.column, 1)}
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        results.append({
            "ruleId": d.code.code, "ruleIndex": index[d.code], "level": _SARIF_LEVEL[d.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": d.location.path}, "region": region}}],
        })
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "kpigov", "version": __version__, "rules": rules}}, "results": results}],
    }
    return json.dumps(sarif, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub workflow commands: ``::error file=...,line=...,col=...,title=...::message``."""
    lines = []
    for d in diagnostics:
        command = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}[d.severity]
        props = f"file={_escape_property(d.location.path)}"
        if d.location.line:
            props += f",line={d.location.line},col={d.location.column}"
        props += f",title={_escape_property(d.code.code + ' ' + d.code.slug)}"
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(f"::{command} {props}::{_escape_data(message)}")
    return "\n".join(lines)


def render(diagnostics: Iterable[Diagnostic], fmt: str, **extra: object) -> str:
    if fmt == "json":
        return to_json(diagnostics, **extra)
    if fmt == "sarif":
        return to_sarif(diagnostics)
    if fmt == "github":
        return to_github(diagnostics)
    return to_text(diagnostics)


__all__ = ["render", "to_text", "to_json", "to_sarif", "to_github", "FORMATS", "Code"]
