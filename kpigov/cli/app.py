"""The Typer application and what every command module shares (console, exit codes, formats).

Each command lives in its own module under ``kpigov/cli/`` and registers itself on :data:`app`;
``kpigov.cli.main`` imports them all. Commands stay thin: parse arguments, call the API, render,
exit with an :class:`~kpigov.diagnostics.ExitCode`.
"""

from __future__ import annotations

import typer
from rich.console import Console

from kpigov.cli.render import FORMATS

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Governance-as-code for social-media-mention KPIs.")
#: Diagnostics, progress and summaries go to stderr; machine-readable output to stdout.
err = Console(stderr=True, highlight=False)


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}")
    return value
