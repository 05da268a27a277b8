"""The ``kpigov`` console entry point.

Exit codes are :class:`kpigov.diagnostics.ExitCode`: 0 ok, 1 invalid/failed/blocked, 2 usage or
internal error. No command prints a traceback for bad input.
"""

from __future__ import annotations

import os
import sys

from kpigov.cli import data, evaluate, lifecycle, lineage, policytest, report, validate  # noqa: F401  (command modules register themselves on the app)
from kpigov.cli import compile as _compile  # noqa: F401  (compile, graph, impact, explain, diff)
from kpigov.cli import runtime as _runtime  # noqa: F401  (serve, enforce-retention, publish)
from kpigov.cli.app import app, err
from kpigov.diagnostics import ExitCode


def run() -> None:
    """Console entry point: usage errors exit 2 (click's own handling); bugs never show a traceback."""
    # Arrow's default allocator (mimalloc) keeps the pages of batches freed by another thread than
    # the one that made them, which an ingest does with every batch (kpigov.ingest.prefetch): +130
    # MiB of peak RSS at 10M mentions. The C library's allocator gives them back. Read by pyarrow
    # when it is first imported, which no command does before this line; a user's choice is kept.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(ExitCode.ERROR)
    except Exception as exc:
        err.print(f"[red]internal error:[/] {type(exc).__name__}: {exc}\nPlease report this with the input that caused it.")
        sys.exit(ExitCode.ERROR)


if __name__ == "__main__":
    run()
