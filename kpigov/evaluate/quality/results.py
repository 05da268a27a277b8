"""What a gate run produced: one outcome per expectation, one result per suite, one report per run.

These are plain frozen dataclasses with JSON-ready values (no GX objects), so the evaluation run can
store them, render them and decide which KPIs to withhold without importing Great Expectations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """The verdict on one expectation. ``exception`` set means it could not be evaluated: a failure."""

    rule_id: str
    type: str
    severity: Severity
    success: bool
    observed_value: Any = None
    unexpected_count: int | None = None
    element_count: int | None = None
    exception: str | None = None

    @property
    def reason(self) -> str:
        """One line for a withheld KPI: which rule failed and what was seen."""
        if self.exception is not None:
            return f"{self.rule_id} ({self.type}) could not be evaluated: {self.exception}"
        if self.unexpected_count is not None and self.element_count is not None:
            return f"{self.rule_id} ({self.type}): {self.unexpected_count} of {self.element_count} rows unexpected"
        return f"{self.rule_id} ({self.type}): observed {self.observed_value!r}"


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """One suite validated against its dataset; ``gx_result`` is GX's own result JSON, kept as is."""

    suite_ref: str
    dataset_ref: str
    success: bool
    results: list[ExpectationOutcome]
    gx_result: dict[str, Any]
    seconds: float

    def failed(self, severity: Severity) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.results if not outcome.success and outcome.severity == severity]


@dataclass(frozen=True, slots=True)
class GateReport:
    """Every suite of a run, by suite reference; answers which datasets are blocked or annotated."""

    suites: dict[str, SuiteResult] = field(default_factory=dict)

    def blocking(self, dataset_ref: str) -> list[ExpectationOutcome]:
        """Failed ``error`` outcomes on ``dataset_ref``: every KPI downstream of it is withheld."""
        return [o for result in self._on(dataset_ref) for o in result.failed("error")]

    def warnings(self, dataset_ref: str) -> list[ExpectationOutcome]:
        """Failed ``warning`` outcomes on ``dataset_ref``: KPIs downstream of it are annotated."""
        return [o for result in self._on(dataset_ref) for o in result.failed("warning")]

    @property
    def success(self) -> bool:
        return all(result.success for result in self.suites.values())

    def _on(self, dataset_ref: str) -> list[SuiteResult]:
        return [result for result in self.suites.values() if result.dataset_ref == dataset_ref]
