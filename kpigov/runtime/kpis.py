""""What is this number and can I trust it": one KPI's definition, status, last value and lineage.

The definition is the compiler's plain-words explanation (:func:`kpigov.compiler.explain.explain`);
the last value comes from the store's newest successful run, when a store is attached; the lineage
pointer names the OpenLineage job (and run) that produced the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from kpigov.diagnostics import Location

if TYPE_CHECKING:
    from kpigov.store import Store


@dataclass(frozen=True, slots=True)
class LastValue:
    run_id: str
    period_start: date
    period_end: date
    status: str
    value: float | None
    band: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class LineagePointer:
    """Where to look the value up in an OpenLineage backend: job (namespace, name), and run when known."""

    namespace: str
    job: str
    run_id: str | None


@dataclass(frozen=True, slots=True)
class KpiAnswer:
    id: str
    version: str
    status: str
    owner: str | None
    definition: str
    location: Location
    fingerprint: str
    last: LastValue | None
    lineage: LineagePointer
    caveats: tuple[str, ...]

    @property
    def trustworthy(self) -> bool:
        """An active KPI whose last recorded value was computed and released (no caveats)."""
        return not self.caveats

    def to_text(self) -> str:
        lines = [self.definition, f"Defined at {self.location} (fingerprint {self.fingerprint[:12]})."]
        if self.last is not None:
            last = self.last
            value = "no value" if last.value is None else f"{last.value:g}"
            lines.append(f"Last value: {value} for {last.period_start} to {last.period_end}, status {last.status}"
                         + (f", band {last.band}" if last.band else "") + f" (run {last.run_id}).")
        pointer = self.lineage
        lines.append(f"Lineage: job {pointer.namespace}/{pointer.job}" + (f", run {pointer.run_id}" if pointer.run_id else "")
                     + ".")
        lines.extend(f"Caveat: {caveat}" for caveat in self.caveats)
        return "\n".join(lines)


def last_value(store: Store, kpi_id: str) -> LastValue | None:
    """The KPI's result in the newest successful run that evaluated it."""
    import sqlalchemy as sa

    from kpigov.store import schema

    results, runs = schema.kpi_results, schema.runs
    statement = (sa.select(results.c.run_id, results.c.period_start, results.c.period_end, results.c.status,
                           results.c.value, results.c.band, results.c.reason)
                 .join(runs, runs.c.run_id == results.c.run_id)
                 .where(results.c.kpi_id == kpi_id, runs.c.status == "ok")
                 .order_by(results.c.period_end.desc(), runs.c.finished_at.desc()).limit(1))
    with store.transaction() as conn:
        rows = conn.execute(statement).all()
    return LastValue(*rows[0]) if rows else None


def caveats(status: str, last: LastValue | None, store_attached: bool) -> tuple[str, ...]:
    found: list[str] = []
    if status != "active":
        found.append(f"the KPI is {status}")
    if not store_attached:
        found.append("no store attached: the last value is unknown")
    elif last is None:
        found.append("no successful run has recorded a value")
    elif last.status != "ok":
        found.append(f"the last value is {last.status}" + (f": {last.reason}" if last.reason else ""))
    return tuple(found)


__all__ = ["KpiAnswer", "LastValue", "LineagePointer", "caveats", "last_value"]
