"""Which KPIs a run evaluates, in which order: requested ones plus their formula inputs, inputs first."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from kpigov import expr
from kpigov.evaluate.errors import UnknownKPIError
from kpigov.project import Project
from kpigov.specs import KPI
from kpigov.specs.kpi import DerivedMeasure

#: KPIs a run evaluates when none is named: drafts are not published, retired ones are gone.
EVALUATED_STATUSES = ("active", "deprecated")


def _inputs(kpi: KPI) -> list[str]:
    if not isinstance(kpi.spec.measure, DerivedMeasure):
        return []
    return [n.name for n in expr.names(expr.parse(kpi.spec.measure.formula))]


def evaluation_order(project: Project, compiled_order: Sequence[str], requested: Sequence[str] = ()) -> list[str]:
    """The KPI refs to evaluate, in the compiler's ``kpi_order`` (inputs before derived KPIs).

    ``requested``: KPI ids (default: every active or deprecated KPI); their formula inputs are
    added. Raises :class:`UnknownKPIError` for an id that is not a KPI, or names a retired one.
    """
    kpis = {kpi.id: kpi for kpi in project.kpis}
    for kpi_id in requested:
        kpi = kpis.get(kpi_id)
        if kpi is None:
            close = difflib.get_close_matches(kpi_id, list(kpis), n=1)
            raise UnknownKPIError(f"unknown KPI {kpi_id!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        if kpi.spec.status == "retired":
            raise UnknownKPIError(f"KPI {kpi_id!r} is retired and is no longer evaluated")
    selected = list(requested) or [k for k, kpi in kpis.items() if kpi.spec.status in EVALUATED_STATUSES]
    needed: set[str] = set()
    stack = list(selected)
    while stack:
        kpi_id = stack.pop()
        if kpi_id not in needed and kpi_id in kpis:
            needed.add(kpi_id)
            stack.extend(_inputs(kpis[kpi_id]))
    return [ref for ref in compiled_order if ref.removeprefix("kpi/") in needed]
