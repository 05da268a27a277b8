"""``kpigov test``: run the repository's policy tests (``*_test.yaml``), like ``opa test`` or ``cerbos compile``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kpigov.cli.app import app, err
from kpigov.cli.render import render
from kpigov.diagnostics import ExitCode

_FORMATS = ("text", "json")


def _check_format(value: str) -> str:
    if value not in _FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(_FORMATS)}")
    return value


@app.command("test")
def policy_test(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    fmt: str = typer.Option("text", "--format", "-f", callback=_check_format, help="text | json"),
) -> None:
    """Run every policy test; print PASS/FAIL per case with file:line:col. Exit 1 on a failure, 2 on bad test files."""
    from kpigov.policytest import PolicyTestRunner, load_suites
    from kpigov.project import load
    from kpigov.runtime.errors import GovernanceLoadError

    if not repo.is_dir():
        err.print(f"[red]error:[/] {repo} is not a directory")
        raise typer.Exit(ExitCode.ERROR)
    suites, problems = load_suites(repo.resolve())
    if problems:
        typer.echo(render(problems.sorted(), "json" if fmt == "json" else "text", valid=False, documents=len(suites)))
        err.print(f"[red]✗[/] {problems.error_count} error(s) in test files; no case was run")
        raise typer.Exit(ExitCode.ERROR)
    try:
        runner = PolicyTestRunner(load(repo))
    except GovernanceLoadError as error:
        typer.echo(render(error.diagnostics.sorted(), "json" if fmt == "json" else "text", valid=False, documents=0))
        err.print(f"[red]✗[/] the governance repository is invalid: {error}")
        raise typer.Exit(ExitCode.FAILED)
    results = list(runner.run(suites))
    failed = sum(not r.passed for r in results)
    if fmt == "json":
        typer.echo(json.dumps({"passed": len(results) - failed, "failed": failed,
                               "cases": [r.to_json() for r in results]}, indent=2))
    else:
        for r in results:
            if r.passed:
                typer.echo(f"PASS {r.location} {r.name}")
            else:
                detail = "; ".join(f"{what}: expected {want} got {got}" for what, want, got in r.differences)
                typer.echo(f"FAIL {r.location} {r.name}: {detail}")
        typer.echo(f"{len(results) - failed} passed, {failed} failed")
    raise typer.Exit(ExitCode.FAILED if failed else ExitCode.OK)
