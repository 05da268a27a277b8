"""``kpigov publish``: the public scorecard, every count released through a privacy treatment.

Only KPIs marked ``publication: public`` appear. Each one is published as an OpenDP-noised integer
whose ε is charged to its budget period in the store, or withheld with the reason: no value yet,
an open crisis (``crisis_related`` or ``withhold_during_crisis``), no privacy treatment, not a
count, or an exhausted budget. Internal outputs (``kpi_results``) are never touched: they stay
exact. The file is written atomically; the budget is committed before the file appears, so a
failure can waste ε but never publish a value whose ε was not recorded.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from kpigov.project import Project
from kpigov.publish.budget import BudgetExhaustedError, spend
from kpigov.publish.privacy import epsilon_spent, mechanism
from kpigov.runtime.kpis import last_value
from kpigov.specs import KPI
from kpigov.specs.data import Event, EventCalendar
from kpigov.store import Store

FORMAT_VERSION = 1


@dataclass(frozen=True)
class PublicValue:
    kpi_id: str
    status: Literal["published", "withheld"]
    value: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    mechanism: str | None = None
    epsilon: float | None = None
    budget_period_start: date | None = None
    reason: str | None = None

    @property
    def budget_refused(self) -> bool:
        return self.reason is not None and self.reason.startswith("privacy budget")


@dataclass(frozen=True)
class PublicScorecard:
    as_of: date
    fingerprint: str
    values: tuple[PublicValue, ...]

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, "as_of": self.as_of.isoformat(), "manifest_fingerprint": self.fingerprint,
                "kpis": [{k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(value).items()}
                         for value in self.values]}


def publish(project: Project, store: Store, as_of: date, out: Path | None = None) -> PublicScorecard:
    """Release every public KPI's last value (noised, budget charged); write ``out`` atomically when given."""
    from kpigov.compiler import compile_project

    fingerprint = compile_project(project).fingerprint
    crises = [e for cal in project.of_kind(EventCalendar) for e in cal.spec.events
              if e.type == "crisis" and e.start <= as_of <= e.end]
    public = sorted((k for k in project.of_kind(KPI) if k.spec.publication == "public"), key=lambda k: k.id)
    with store.transaction() as conn:
        values = tuple(_release(conn, store, kpi, as_of, crises) for kpi in public)
        card = PublicScorecard(as_of, fingerprint, values)
        staged = _stage(card, out) if out is not None else None
    if staged is not None and out is not None:
        os.replace(staged, out)  # after the commit: the file never shows ε that was not recorded
    return card


def _release(conn: Any, store: Store, kpi: KPI, as_of: date, crises: list[Event]) -> PublicValue:
    spec = kpi.spec
    treatment = spec.privacy
    if crises and (spec.crisis_related or (treatment is not None and treatment.withhold_during_crisis)):
        return PublicValue(kpi.id, "withheld", reason=f"crisis period open: {', '.join(e.id for e in crises)}")
    if treatment is None:
        return PublicValue(kpi.id, "withheld", reason="public KPI without a privacy treatment")
    if spec.unit != "count":
        return PublicValue(kpi.id, "withheld", reason=f"only counts have an integer privacy mechanism (unit: {spec.unit})")
    last = last_value(store, kpi.id)
    if last is None or last.status != "ok" or last.value is None:
        return PublicValue(kpi.id, "withheld", reason="no successful run has recorded a value")
    counted = mechanism(treatment)
    epsilon = epsilon_spent(counted.measurement)
    try:
        budget_start = spend(conn, kpi.id, treatment, epsilon, as_of)
    except BudgetExhaustedError as exhausted:
        return PublicValue(kpi.id, "withheld", reason=f"privacy budget exhausted: {exhausted}")
    return PublicValue(kpi.id, "published", counted.release(round(last.value)), last.period_start, last.period_end,
                       treatment.mechanism, epsilon, budget_start)


def _stage(card: PublicScorecard, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(card.to_json(), handle, indent=2, sort_keys=True)
        handle.write("\n")
    return Path(name)


__all__ = ["FORMAT_VERSION", "PublicScorecard", "PublicValue", "publish"]
