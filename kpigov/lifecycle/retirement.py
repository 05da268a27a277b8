"""Retiring a KPI: a RetirementDecision document for review in Git, and the KPI marked deprecated.

``write_retirement`` writes ``policies/retirements/<kpi id>.yaml`` and edits the KPI's own file in
ruamel's round-trip mode, so the author's comments, key order and quoting survive the edit (the
loader composes for speed; only writers round-trip). From the decision's effective date the KPI is
retired: :func:`retirement_of` tells the evaluator to skip it, while its compiled logic and every
stored value stay queryable (``kpigov lineage``, ``kpi_results``).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from kpigov import expr
from kpigov.lifecycle.errors import RetirementError, UnknownSubjectError
from kpigov.project import Project
from kpigov.specs import KPI, RetirementDecision, Team
from kpigov.specs.kpi import DerivedMeasure

RETIREMENTS_FOLDER = Path("policies") / "retirements"


@dataclass(frozen=True)
class RetirementWritten:
    """The two files a retirement changed, relative to the repository root."""

    decision: Path
    kpi: Path
    effective_date: date


def retirement_of(project: Project, kpi_id: str, as_of: date) -> RetirementDecision | None:
    """The ``retire`` decision in force for ``kpi_id`` on ``as_of`` (latest effective first), if any."""
    in_force = [d for d in project.of_kind(RetirementDecision)
                if d.spec.kpi == kpi_id and d.spec.decision == "retire" and _effective(d) <= as_of]
    return max(in_force, key=_effective, default=None)


def _effective(decision: RetirementDecision) -> date:
    return decision.spec.effective_date or decision.spec.date


def write_retirement(
    project: Project,
    kpi_id: str,
    *,
    reason: str,
    decided_by: str,
    on: date,
    effective_date: date | None = None,
    replacement: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> RetirementWritten:
    """Write the decision and mark the KPI deprecated; raises before writing anything when it cannot."""
    kpi = project.get(f"kpi/{kpi_id}")
    if not isinstance(kpi, KPI):
        raise UnknownSubjectError(f"unknown KPI {kpi_id!r}")
    if kpi.spec.status in ("deprecated", "retired"):
        raise RetirementError(f"KPI {kpi_id!r} is already {kpi.spec.status}")
    if not isinstance(project.get(decided_by), Team):
        raise RetirementError(f"--by {decided_by!r} is not a Team of the repository (e.g. team/social-analytics)")
    if replacement is not None and not isinstance(project.get(f"kpi/{replacement}"), KPI):
        raise RetirementError(f"--replacement {replacement!r} is not a KPI of the repository")
    dependents = sorted(k.id for k in project.kpis if k.spec.status == "active" and kpi_id in _formula_inputs(k))
    if dependents:
        raise RetirementError(f"active KPI(s) {', '.join(dependents)} are computed from {kpi_id!r}: retire or revise them first")
    effective = effective_date or on
    if effective < on:
        raise RetirementError(f"the effective date {effective} is before the decision date {on}")
    decision_id = decision_id_of(kpi_id)
    decision_path = RETIREMENTS_FOLDER / f"{decision_id}.yaml"
    if (project.root / decision_path).exists():
        raise RetirementError(f"{decision_path} already exists: edit it in a pull request instead")
    document = _decision_document(decision_id, kpi_id, reason, decided_by, on, effective, replacement, evidence or {})
    try:
        RetirementDecision.model_validate(document)
    except ValidationError as exc:
        raise RetirementError(f"the decision would not validate: {exc.errors()[0]['msg']}") from None
    source = project.sources[kpi.ref]
    kpi_path = Path(source.path)
    edited = _deprecated(project.root / kpi_path, source.index, effective, replacement)
    _write_atomically(project.root / decision_path, _dump([document]))
    _write_atomically(project.root / kpi_path, edited)
    return RetirementWritten(decision_path, kpi_path, effective)


def _formula_inputs(kpi: KPI) -> set[str]:
    if not isinstance(kpi.spec.measure, DerivedMeasure):
        return set()
    return {n.name for n in expr.names(expr.parse(kpi.spec.measure.formula))}


def decision_id_of(kpi_id: str) -> str:
    """The decision's document id: the default kebab-case naming convention of non-KPI kinds."""
    return "retire-" + kpi_id.replace(".", "-").replace("_", "-")


def _decision_document(decision_id: str, kpi_id: str, reason: str, decided_by: str, on: date, effective: date,
                       replacement: str | None, evidence: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"kpi": kpi_id, "decision": "retire", "reason": reason, "decided_by": decided_by,
                            "date": on, "effective_date": effective}
    if replacement:
        spec["replacement"] = replacement
    if evidence:
        spec["evidence"] = evidence
    return {"apiVersion": "kpigov/v1", "kind": "RetirementDecision",
            "metadata": {"id": decision_id, "version": "1.0.0", "owner": decided_by,
                         "description": f"Retirement of KPI {kpi_id}."},
            "spec": spec}


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an author's long lines
    yaml.representer.ignore_aliases = lambda data: True  # the loader refuses anchors; equal dates are not shared nodes
    return yaml


def _dump(documents: list[Any]) -> str:
    out = io.StringIO()
    _round_trip().dump_all(documents, out)
    return out.getvalue()


def _deprecated(path: Path, index: int, effective: date, replacement: str | None) -> str:
    """The KPI file's text with document ``index`` marked deprecated, everything else untouched."""
    documents = list(_round_trip().load_all(path.read_text(encoding="utf-8")))
    spec = documents[index]["spec"]
    if not isinstance(spec, CommentedMap):
        raise RetirementError(f"{path}: document {index + 1} has no 'spec' mapping")
    spec["status"] = "deprecated"
    position = list(spec).index("status") + 1
    for key, value in (("deprecation_date", effective), ("replacement", replacement)):
        if value is None:
            continue
        if key in spec:
            spec[key] = value
        else:
            spec.insert(position, key, value)
        position += 1
    return _dump(documents)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
