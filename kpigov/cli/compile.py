"""``kpigov compile``, ``graph``, ``impact``, ``explain`` and ``diff``: the compiler and change control."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kpigov.cli.app import app, check_format, err
from kpigov.cli.render import render
from kpigov.diagnostics import Code, Diagnostic, ExitCode, Location, Severity

if TYPE_CHECKING:
    from kpigov.compiler import Compiled
    from kpigov.compiler.diff import Change
    from kpigov.project import Project

_REPO = typer.Option(Path("."), "--repo", "-r", help="Governance repository root.")


def _compiled(repo: Path, *, cache: bool = True, fmt: str = "text") -> tuple["Compiled", "Project"]:
    """Compile or exit: 2 when the path is no directory, 1 (with every diagnostic) when it does not validate."""
    from kpigov.compiler import compile_repo

    if not repo.is_dir():
        err.print(f"[red]error:[/] {repo} is not a directory")
        raise typer.Exit(ExitCode.ERROR)
    compiled, project = compile_repo(repo, cache=cache)
    if compiled is None:
        typer.echo(render(project.diagnostics.sorted(), fmt, valid=False))
        err.print(f"[red]✗[/] {project.diagnostics.error_count} error(s): the repository does not compile")
        raise typer.Exit(ExitCode.FAILED)
    return compiled, project


def _ref(compiled: "Compiled", ident: str) -> str:
    """Accept a reference (``dedup/default``) or a bare KPI id (``brand.customer.net_sentiment``)."""
    for candidate in (ident, f"kpi/{ident}"):
        if candidate in compiled.nodes:
            return candidate
    import difflib

    close = difflib.get_close_matches(ident, [*compiled.nodes, *(r[4:] for r in compiled.kpi_order)], n=1)
    err.print(f"[red]error:[/] '{ident}' is not a document of the repository" + (f"; did you mean '{close[0]}'?" if close else ""))
    raise typer.Exit(ExitCode.ERROR)


@app.command("compile")
def compile_command(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    out: Path = typer.Option(None, "--out", "-o", help="Manifest path (default: <repo>/.kpigov/manifest.json)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompile everything, ignoring .kpigov/cache/."),
    fmt: str = typer.Option("text", "--format", "-f", callback=check_format, help="Diagnostics: text | json | sarif | github"),
    schema: bool = typer.Option(False, "--schema", help="Print the manifest's JSON Schema and exit."),
) -> None:
    """Compile the repository into its dependency graph and write the manifest."""
    from kpigov.compiler import MANIFEST_SCHEMA
    from kpigov.compiler.manifest import MANIFEST_FILE, write_manifest

    if schema:
        typer.echo(json.dumps(MANIFEST_SCHEMA, indent=2))
        raise typer.Exit(ExitCode.OK)
    compiled, project = _compiled(repo, cache=not no_cache, fmt=fmt)
    warnings = project.diagnostics.sorted()
    if warnings:
        typer.echo(render(warnings, fmt, valid=True))
    target = out or repo / ".kpigov" / MANIFEST_FILE
    write_manifest(target, compiled)
    err.print(f"[green]✓[/] {len(compiled.nodes)} documents, {len(compiled.edges)} dependencies, "
              f"{len(compiled.kpi_order)} KPIs in evaluation order; fingerprint {compiled.fingerprint[:12]}; wrote {target}")


@app.command()
def graph(
    repo: Path = _REPO,
    fmt: str = typer.Option("mermaid", "--format", "-f", help="mermaid | dot | json"),
) -> None:
    """Print the dependency graph (parent -> child, labelled with why)."""
    from kpigov.compiler.render import GRAPH_FORMATS, render_graph

    if fmt not in GRAPH_FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(GRAPH_FORMATS)}", param_hint="--format")
    compiled, _ = _compiled(repo)
    typer.echo(render_graph(compiled, fmt))


@app.command()
def impact(
    ident: str = typer.Argument(..., metavar="ID", help="A reference (dedup/default) or a KPI id."),
    repo: Path = _REPO,
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
) -> None:
    """Everything downstream of a document, and why."""
    from kpigov.compiler.explain import impact as downstream

    compiled, _ = _compiled(repo)
    ref = _ref(compiled, ident)
    found = downstream(compiled, ref)
    if fmt == "json":
        typer.echo(json.dumps({"ref": ref, "impacted": [{"ref": i.ref, "kind": compiled.nodes[i.ref].kind,
                                                          "path": [{"parent": p, "child": c, "why": w} for p, c, w in i.path]}
                                                         for i in found]}, indent=2))
        return
    for item in found:
        via = " -> ".join(child for _, child, _ in item.path[:-1])
        typer.echo(f"{item.ref}: {item.path[-1][2]}" + (f"  (via {via})" if via else ""))
    err.print(f"{len(found)} document(s) downstream of {ref}")


@app.command()
def explain(
    ident: str = typer.Argument(..., metavar="ID", help="A KPI id (brand.customer.net_sentiment) or kpi/<id>."),
    repo: Path = _REPO,
) -> None:
    """The KPI in plain words: what it counts, what is excluded, sentiment rule, baseline, who is alerted."""
    from kpigov.compiler.explain import explain as describe

    compiled, _ = _compiled(repo)
    ref = _ref(compiled, ident)
    if compiled.nodes[ref].kind != "KPI":
        err.print(f"[red]error:[/] '{ref}' is a {compiled.nodes[ref].kind}; explain describes KPIs (try 'kpigov impact')")
        raise typer.Exit(ExitCode.ERROR)
    typer.echo(describe(compiled, ref))


_CHANGE_CODES = {"breaking": Code.BREAKING_CHANGE, "policy-sensitive": Code.POLICY_SENSITIVE_CHANGE,
                 "compatible": Code.COMPATIBLE_CHANGE}
_SEVERITY = {"blocked": Severity.ERROR, "warning": Severity.WARNING, "allowed": Severity.INFO}


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def _located(change: "Change", project: "Project") -> Diagnostic:
    """A change as a diagnostic at the changed field of the working tree (SARIF, GitHub annotations)."""
    path: list[str | int] = []
    for part in change.field.split("."):
        if "[" in part or part.startswith("("):
            break
        path.append(part)
    location = project.locate(change.node, path) if change.node in project.sources else Location(change.file, 1, 1)
    message = (f"{change.verdict}: {change.node} {change.field}: {_short(change.before)} -> {_short(change.after)} "
               f"[{change.rule}] {change.reason}")
    return Diagnostic(_CHANGE_CODES[change.kind], message, location, _SEVERITY[change.verdict])


def _sources_of(repo: Path, changes: list["Change"]) -> "Project":
    """The changed documents' sources, for locations (an incremental compile re-loads only what
    changed since the last compile, which is not what changed since the base)."""
    from kpigov.project import load

    files = sorted({c.file for c in changes if (repo / c.file).is_file()})
    return load(repo, files=[repo / path for path in files], checks=False)


@app.command()
def diff(
    repo: Path = typer.Argument(Path("."), help="Governance repository root (inside a Git work tree)."),
    base: str = typer.Option(..., "--base", "-b", help="Git ref to compare with, e.g. origin/main."),
    fmt: str = typer.Option("text", "--format", "-f", callback=check_format, help="text | json | sarif | github"),
) -> None:
    """Classify every change against a Git ref; exit 1 when a change is blocked."""
    from kpigov.compiler import GitError, compile_repo
    from kpigov.compiler.diff import diff_manifests, diff_nodes, entries_of
    from kpigov.compiler.resolve import resolve
    from kpigov.compiler.revision import compile_revision

    if not repo.is_dir():
        err.print(f"[red]error:[/] {repo} is not a directory")
        raise typer.Exit(ExitCode.ERROR)
    try:
        revision = compile_revision(repo.resolve(), base)
    except GitError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(ExitCode.ERROR) from None
    if revision.compiled is None:
        typer.echo(render(revision.project.diagnostics.sorted(), fmt, valid=False))
        err.print(f"[red]error:[/] the base {base} ({revision.commit[:12]}) does not validate "
                  f"({revision.project.diagnostics.error_count} error(s) above, paths as of {base}); fix or pick another base")
        raise typer.Exit(ExitCode.ERROR)
    base_manifest = revision.compiled.manifest
    compiled, project = compile_repo(repo)
    if compiled is None:
        head_nodes = {ref: resolve(spec, project.sources[ref].path) for ref, spec in project.specs.items()}
        changes = diff_nodes(base_manifest["nodes"], entries_of(head_nodes), base_manifest["policy"])
        problems = project.diagnostics.sorted()
    else:
        changes = diff_manifests(base_manifest, compiled.manifest)
        problems = []
    blocked = [c for c in changes if c.blocked]
    if fmt == "json":
        typer.echo(json.dumps({"base": {"ref": base, "commit": revision.commit}, "valid": compiled is not None,
                               "blocked": len(blocked), "changes": [c.as_dict() for c in changes],
                               "diagnostics": json.loads(render(problems, "json"))["diagnostics"]}, indent=2, default=str))
    elif fmt == "text":
        if problems:
            typer.echo(render(problems, "text"))
        for c in changes:
            typer.echo(f"{c.verdict:8s} {c.kind:16s} {c.node} {c.field}: {_short(c.before)} -> {_short(c.after)} "
                       f"[{c.rule}] {c.reason}")
    else:
        sources = _sources_of(repo, changes)
        located = [*problems, *sorted((_located(c, sources) for c in changes), key=Diagnostic.sort_key)]
        typer.echo(render(located, fmt))
    if fmt == "text":
        state = "[red]✗[/]" if blocked or problems else "[green]✓[/]"
        err.print(f"{state} {len(changes)} change(s) against {base} ({revision.commit[:12]}), {len(blocked)} blocked"
                  + (", and the working tree does not validate" if problems else ""))
    raise typer.Exit(ExitCode.FAILED if blocked or problems else ExitCode.OK)
