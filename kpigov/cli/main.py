"""The ``kpigov`` command: a thin layer that parses arguments, calls the API, renders, exits.

Exit codes are :class:`kpigov.diagnostics.ExitCode`: 0 ok, 1 invalid/failed/blocked, 2 usage or
internal error. No command prints a traceback for bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from kpigov.diagnostics import Code, Diagnostic, ExitCode, Location
from kpigov.cli.render import FORMATS, render

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Governance-as-code for social-media-mention KPIs.")
err = Console(stderr=True, highlight=False)

REPO_OPTION = typer.Option(Path("."), "--repo", "-r", help="Governance repository root.", show_default=True)


def _check_format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}")
    return value


@app.command()
def validate(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    fmt: str = typer.Option("text", "--format", "-f", callback=_check_format, help="text | json | sarif | github"),
    max_shown: int = typer.Option(0, "--max", help="Show at most this many diagnostics in text format (0 = all)."),
) -> None:
    """Validate every spec of the repository; report all problems with file:line:col."""
    from kpigov.project import load

    if not repo.is_dir():
        err.print(f"[red]error:[/] {repo} is not a directory")
        raise typer.Exit(ExitCode.ERROR)
    project = load(repo)
    diagnostics = project.diagnostics.sorted()
    shown = diagnostics
    if fmt == "text" and max_shown and len(diagnostics) > max_shown:
        hidden = len(diagnostics) - max_shown
        shown = [*diagnostics[:max_shown], Diagnostic(Code.TOO_MANY_DIAGNOSTICS, f"{hidden} more diagnostics not shown "
                                                      "(use --max 0 to see all)", Location("kpigov"))]
    output = render(shown, fmt, valid=project.ok, documents=len(project.specs))
    if output:
        typer.echo(output)
    if fmt == "text":
        errors = project.diagnostics.error_count
        warnings = len(diagnostics) - errors
        files = len(project.files)
        if errors:
            err.print(f"[red]✗[/] {errors} error(s), {warnings} warning(s) in {files} file(s)")
        else:
            err.print(f"[green]✓[/] {len(project.specs)} documents in {files} file(s) are valid"
                      + (f" ({warnings} warning(s))" if warnings else ""))
    raise typer.Exit(ExitCode.FAILED if not project.ok else ExitCode.OK)


@app.command()
def schema(
    out: Path = typer.Option(Path("schemas"), "--out", "-o", help="Folder to write the JSON Schemas into."),
) -> None:
    """Write the JSON Schemas (one per kind, plus kpigov.json for any document) for editors."""
    from kpigov.specs import json_schemas

    out.mkdir(parents=True, exist_ok=True)
    for name, document in json_schemas().items():
        target = out / f"{name}.json"
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(target)  # atomic: an editor never reads a half-written schema
    err.print(f"wrote {len(json_schemas())} schemas to {out}/ "
              "(add '# yaml-language-server: $schema=<out>/kpigov.json' to a spec file)")


def run() -> None:
    """Console entry point: usage errors exit 2 (click's own handling); bugs never show a traceback."""
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
