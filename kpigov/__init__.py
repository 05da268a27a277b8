"""kpigov: governance-as-code for social-media-mention KPIs in Balanced Scorecards.

Public API (everything else is private to its stage)::

    project = kpigov.load("path/to/governance-repo")   # load + validate; never raises on bad input
    project.ok, project.diagnostics                      # what is wrong, with file:line:col
    project.kpis, project.get("dataset/mentions")       # the typed specs

Exceptions: kpigov raises only for programming errors; every problem in the input is a
:class:`Diagnostic` with a stable :class:`Code`.
"""

__version__ = "0.1.0"

from kpigov.diagnostics import Code, Diagnostic, Diagnostics, ExitCode, Location, Severity  # noqa: E402
from kpigov.project import Project, load  # noqa: E402


def __getattr__(name: str) -> object:
    # The runtime pulls in the compiler (~0.4 s); ``import kpigov`` for validation must not pay for it.
    if name == "Governance":
        from kpigov.runtime import Governance

        return Governance
    raise AttributeError(f"module 'kpigov' has no attribute {name!r}")


__all__ = ["__version__", "load", "Project", "Governance", "Diagnostic", "Diagnostics", "Code", "Severity", "Location", "ExitCode"]
