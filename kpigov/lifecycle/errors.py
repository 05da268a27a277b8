"""Why a lifecycle request cannot be carried out (all raise before anything is written).

::

    LifecycleError                 base: the CLI prints it and exits 2
    ├── BadQuarterError            --quarter is not YYYYQn
    ├── UnknownSubjectError        an id that is no KPI (or dataset, or run) of the repository/store
    └── RetirementError            the KPI cannot be retired (already retired, file exists, ...)
"""

from __future__ import annotations


class LifecycleError(Exception):
    """A lifecycle request that cannot be carried out; the message says what to change."""


class BadQuarterError(LifecycleError):
    pass


class UnknownSubjectError(LifecycleError):
    pass


class RetirementError(LifecycleError):
    pass
