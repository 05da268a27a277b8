"""KPI evaluation: quality gates, measures compiled to SQL, baselines, bands, spikes, alerts, runs.

::

    store = open_for_evaluation(url)                         # refuses absent, outdated, unreachable stores
    run = evaluate(store, project, kpi_order, fingerprint, as_of=date(2026, 11, 22))
    run.status, [(k.kpi_id, k.status, k.value) for k in run.kpis], run.alerts

Layers: specs → :mod:`~kpigov.evaluate.measures` (compiled, frozen) → :mod:`~kpigov.evaluate.results`.
Quality gates live in :mod:`kpigov.evaluate.quality`; routing in :mod:`kpigov.evaluate.alerts`.
"""

from kpigov.evaluate.alerts import Alert, RoutedAlert, TierRoute, route
from kpigov.evaluate.errors import EmptyStoreError, EvaluationError, StoreOutdatedError, UnknownKPIError
from kpigov.evaluate.order import evaluation_order
from kpigov.evaluate.periods import Period, evaluation_period
from kpigov.evaluate.records import Override, record_override
from kpigov.evaluate.results import KPIResult, RunResult, Status
from kpigov.evaluate.run import Delivery, GateRunner, evaluate
from kpigov.evaluate.target import open_for_evaluation

__all__ = [
    "Alert",
    "Delivery",
    "EmptyStoreError",
    "EvaluationError",
    "GateRunner",
    "KPIResult",
    "Override",
    "Period",
    "RoutedAlert",
    "RunResult",
    "Status",
    "StoreOutdatedError",
    "TierRoute",
    "UnknownKPIError",
    "evaluate",
    "evaluation_order",
    "evaluation_period",
    "open_for_evaluation",
    "record_override",
    "route",
]
