"""``kpigov validate`` and ``kpigov schema``: the front end for authors and CI."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kpigov.cli.app import app, check_format, err
from kpigov.cli.render import render
from kpigov.diagnostics import Code, Diagnostic, ExitCode, Location


@app.command()
def validate(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    fmt: str = typer.Option("text", "--format", "-f", callback=check_format, help="text | json | sarif | github"),
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
