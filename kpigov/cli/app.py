"""The Typer application and what every command module shares (console, exit codes, formats).

Each command lives in its own module under ``kpigov/cli/`` and registers itself on :data:`app`;
``kpigov.cli.main`` imports them all. Commands stay thin: parse arguments, call the API, render,
exit with an :class:`~kpigov.diagnostics.ExitCode`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from kpigov.cli.render import FORMATS, render
from kpigov.diagnostics import ExitCode

if TYPE_CHECKING:
    from kpigov.project import Project

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Governance-as-code for social-media-mention KPIs.")
#: Diagnostics, progress and summaries go to stderr; machine-readable output to stdout.
err = Console(stderr=True, highlight=False)


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}")
    return value


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print ``message`` as an error and exit with ``code`` (2, a usage error, unless said otherwise)."""
    err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


def load_valid_project(repo: Path, fmt: str = "text") -> Project:
    """The repository at ``repo``, or exit: 2 when it is not a directory, 1 (with its diagnostics) when invalid."""
    from kpigov.project import load

    if not repo.is_dir():
        fail(f"{repo} is not a directory")
    project = load(repo)
    if not project.ok:
        typer.echo(render(project.diagnostics.sorted(), "json" if fmt == "json" else "text", valid=False))
        err.print("[red]✗[/] the repository is invalid: fix it first (kpigov validate)")
        raise typer.Exit(ExitCode.FAILED)
    return project
