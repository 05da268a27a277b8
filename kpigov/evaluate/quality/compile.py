"""ExpectationSuite spec (YAML) → compiled suite: GX expectation configs checked by GX itself.

Each expectation is built into a real GX expectation once, here, so a bad kwarg value (which the
static catalogue in ``kpigov.validate`` cannot see) is known before any data is read. Expectations
that cannot gate data on the store's backend (``support.LIMITATIONS``) or that GX refuses are kept
as :class:`RefusedExpectation`: the runner reports them as failures, never as passes.

GX mutates expectation objects while validating (it adds ``batch_id`` to their kwargs), so the
compiled form keeps plain configs and :meth:`CompiledSuite.gx_suite` builds fresh objects per run.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from kpigov.evaluate.quality.results import ExpectationOutcome, Severity
from kpigov.evaluate.quality.support import limitation
from kpigov.specs import ExpectationSuite
from kpigov.specs.quality import Expectation

#: Where kpigov's rule id travels through GX, so results are matched by id and not by position.
RULE_ID_META: Final = "kpigov_rule_id"
#: kpigov severities in GX's own vocabulary (kept in GX's result JSON).
GX_SEVERITY: Final[dict[str, str]] = {"error": "critical", "warning": "warning"}


@dataclass(frozen=True, slots=True)
class CompiledExpectation:
    rule_id: str
    type: str
    severity: Severity
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RefusedExpectation:
    """An expectation that will not run; it counts as a failure with ``reason``."""

    rule_id: str
    type: str
    severity: Severity
    reason: str

    def outcome(self) -> ExpectationOutcome:
        return ExpectationOutcome(self.rule_id, self.type, self.severity, success=False, exception=self.reason)


@dataclass(frozen=True, slots=True)
class CompiledSuite:
    suite_ref: str
    dataset_ref: str
    backend: str
    expectations: tuple[CompiledExpectation, ...]
    refused: tuple[RefusedExpectation, ...]

    def gx_suite(self, rule_ids: Collection[str] | None = None) -> Any:
        """A fresh ``great_expectations.ExpectationSuite`` of the runnable expectations (or of ``rule_ids``)."""
        from kpigov.evaluate.quality import gx_adapter

        chosen = [e for e in self.expectations if rule_ids is None or e.rule_id in rule_ids]
        return gx_adapter.new_suite(self.suite_ref, [gx_adapter.build_expectation(e.config) for e in chosen])


def compile_suite(suite: ExpectationSuite, backend: str) -> CompiledSuite:
    """Compile ``suite`` for a store on ``backend`` (``duckdb`` or ``postgresql``); imports GX."""
    from kpigov.evaluate.quality import gx_adapter

    runnable: list[CompiledExpectation] = []
    refused: list[RefusedExpectation] = []
    for expectation in suite.spec.expectations:
        limit = limitation(expectation.type, expectation.kwargs, backend)
        if limit is not None:
            refused.append(_refuse(expectation, f"not supported on {backend}: {limit.reason}"))
            continue
        config = gx_config(expectation)
        try:
            gx_adapter.build_expectation(config)
        except gx_adapter.BuildError as exc:
            refused.append(_refuse(expectation, f"Great Expectations refuses it: {exc}"))
            continue
        runnable.append(CompiledExpectation(expectation.id, expectation.type, expectation.severity, config))
    return CompiledSuite(suite.ref, suite.spec.dataset, backend, tuple(runnable), tuple(refused))


def gx_config(expectation: Expectation) -> dict[str, Any]:
    """The GX expectation configuration of one spec expectation."""
    return {
        "type": expectation.type,
        "kwargs": dict(expectation.kwargs),
        "meta": {RULE_ID_META: expectation.id},
        "severity": GX_SEVERITY[expectation.severity],
    }


def _refuse(expectation: Expectation, reason: str) -> RefusedExpectation:
    return RefusedExpectation(expectation.id, expectation.type, expectation.severity, reason)
