"""Why an evaluation request is refused before anything is written.

The whole tree::

    EvaluationError               the request cannot be evaluated; nothing was changed
    ├── UnknownKPIError           a requested KPI id is not defined (or is retired)
    ├── EmptyStoreError           the store holds no mentions for the KPIs' datasets
    └── StoreOutdatedError        the store's schema is older than this kpigov: migrate first

Store problems (unreachable, not found, too new) stay :class:`kpigov.store.StoreError`s. A run that
fails *midway* is not an exception to the caller: it is a recorded run with status ``error``.
"""

from __future__ import annotations


class EvaluationError(Exception):
    """The request is refused; the store is unchanged."""


class UnknownKPIError(EvaluationError):
    """``--kpi`` named something that is not an evaluable KPI."""


class EmptyStoreError(EvaluationError):
    """No mention rows to evaluate: ingest data first."""


class StoreOutdatedError(EvaluationError):
    """Evaluation never migrates a store implicitly (it would change it on a read-mostly command)."""

    def __init__(self, found: int, expected: int) -> None:
        super().__init__(
            f"store schema version {found} is older than this kpigov ({expected}); "
            "migrate it first by opening it with a writing command (e.g. `kpigov ingest`)"
        )
        self.found = found
        self.expected = expected
