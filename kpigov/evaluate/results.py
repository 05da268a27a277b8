"""What a run produced: one :class:`KPIResult` per KPI and a :class:`RunResult` around them."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from kpigov.evaluate.alerts import RoutedAlert
from kpigov.evaluate.baseline import BaselineResult
from kpigov.evaluate.periods import Period
from kpigov.evaluate.spikes import SpikeResult


class Status(str, enum.Enum):
    """A KPI result's status; anything but ``ok`` carries a reason."""

    OK = "ok"
    WITHHELD = "withheld"
    NOT_COMPARABLE = "not_comparable"
    NO_DATA = "no_data"
    ERROR = "error"
    RETIRED = "retired"  # a RetirementDecision is in force: not evaluated


@dataclass(frozen=True)
class KPIResult:
    kpi_id: str
    period: Period
    status: Status
    value: float | None = None
    reason: str | None = None
    band: str | None = None
    baseline: BaselineResult | None = None
    components: dict[str, float] = field(default_factory=dict)
    sql: str | None = None
    spikes: tuple[SpikeResult, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def change(self) -> float | None:
        """value − baseline (absolute, in the KPI's unit)."""
        if self.value is None or self.baseline is None or self.baseline.value is None:
            return None
        return self.value - self.baseline.value

    @property
    def change_ratio(self) -> float | None:
        """Relative change vs the baseline; None when the baseline is 0 (no meaningful ratio)."""
        change = self.change
        if change is None or not self.baseline or not self.baseline.value:
            return None
        return change / abs(self.baseline.value)

    def to_json(self) -> dict[str, Any]:
        baseline = self.baseline
        return {
            "kpi": self.kpi_id, "period_start": self.period.start.isoformat(), "period_end": self.period.end.isoformat(),
            "status": self.status.value, "value": self.value, "reason": self.reason, "band": self.band,
            "baseline": None if baseline is None else {
                "value": baseline.value, "mode": baseline.mode, "note": baseline.note,
                "periods": [str(p) for p in baseline.periods],
                "excluded": [{"period": str(p), "why": why} for p, why in baseline.excluded]},
            "change": self.change, "change_ratio": self.change_ratio, "components": self.components,
            "spikes": [asdict(s) for s in self.spikes],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class RunResult:
    run_id: str
    as_of: date
    status: str
    started_at: datetime
    finished_at: datetime
    fingerprint: str
    git_commit: str | None
    kpis: tuple[KPIResult, ...] = ()
    alerts: tuple[RoutedAlert, ...] = ()
    quality: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: Alert deliveries (JSON lines file, webhook) that failed after the run was committed.
    delivery_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "as_of": self.as_of.isoformat(), "status": self.status,
            "started_at": self.started_at.isoformat(), "finished_at": self.finished_at.isoformat(),
            "manifest_fingerprint": self.fingerprint, "git_commit": self.git_commit, "error": self.error,
            "delivery_problems": list(self.delivery_problems), "kpis": [k.to_json() for k in self.kpis], "alerts": [a.to_json() for a in self.alerts],
        }
