"""Quality gates: ExpectationSuite specs compiled into Great Expectations suites and run in the store.

A failed ``error`` expectation withholds every KPI downstream of its dataset
(:meth:`GateReport.blocking`); a failed ``warning`` annotates them (:meth:`GateReport.warnings`).
An expectation that raised inside GX, that GX cannot run on the store's backend, or whose dataset
has no table or no rows is a failure with its reason, never a pass. :func:`backend_diagnostics`
reports the backend limits at compile time, located at each expectation in its YAML file.

Importing this package does not import Great Expectations (seconds); running gates does.
"""

from kpigov.evaluate.quality.compile import CompiledSuite, RefusedExpectation, compile_suite
from kpigov.evaluate.quality.results import ExpectationOutcome, GateReport, SuiteResult
from kpigov.evaluate.quality.runner import BatchTarget, GateError, GateSession, run_gates
from kpigov.evaluate.quality.support import BACKENDS, LIMITATIONS, Limitation, backend_diagnostics, limitation

__all__ = [
    "BACKENDS",
    "LIMITATIONS",
    "BatchTarget",
    "CompiledSuite",
    "ExpectationOutcome",
    "GateError",
    "GateReport",
    "GateSession",
    "Limitation",
    "RefusedExpectation",
    "SuiteResult",
    "backend_diagnostics",
    "compile_suite",
    "limitation",
    "run_gates",
]
