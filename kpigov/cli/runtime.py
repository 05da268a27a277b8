"""``kpigov serve``, ``kpigov enforce-retention`` and ``kpigov publish``: the runtime's commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path

import typer

from kpigov.cli.app import app, err, fail, load_valid_project, parse_date
from kpigov.diagnostics import ExitCode


def _open(store: str | None, repo: Path, configured: str | None):  # noqa: ANN202  (Store, imported lazily)
    from kpigov.store import StoreError, open_store, resolve_store_url

    try:
        return open_store(resolve_store_url(store, repo, configured), create=False)
    except StoreError as exc:
        raise fail(str(exc)) from None


@app.command()
def serve(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    manifest: Path | None = typer.Option(None, "--manifest", help="Serve the manifest `kpigov compile` wrote "
                                                                    "instead of a repository (REPO is then ignored)."),
    fingerprint: str | None = typer.Option(None, "--fingerprint", help="With --manifest: refuse any other fingerprint."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8080, "--port", min=0, max=65535),
    store: str | None = typer.Option(None, "--store", help="Store URL for last values and the audit trail "
                                                            "(default: none; answers without last values)."),
    audit: str = typer.Option("flagged", "--audit", help="off | flagged | all (needs --store)"),
    max_body: int = typer.Option(1 << 20, "--max-body", min=1, help="Largest request body, in bytes."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.01, help="Seconds a request may take."),
) -> None:
    """Serve access, retention and KPI queries over HTTP (OpenAPI at /docs and /openapi.json)."""
    try:
        from kpigov.service import Limits, create_app, server
    except ImportError as exc:
        raise fail(f"the HTTP service needs the 'service' extra (pip install 'kpigov[service]'): {exc}") from None
    from kpigov.runtime import Governance, GovernanceError

    if audit not in ("off", "flagged", "all"):
        raise typer.BadParameter("must be off, flagged or all", param_hint="--audit")
    if fingerprint is not None and manifest is None:
        raise typer.BadParameter("pins a manifest's fingerprint: give --manifest too", param_hint="--fingerprint")
    mode = audit if store else "off"
    try:
        if manifest is not None:  # no repository, so no kpigov.yaml: the store is the one --store names
            opened = _open(store, manifest.resolve().parent, None) if store else None
            governance = Governance.from_manifest(manifest, fingerprint=fingerprint, store=opened,
                                                  audit=mode)  # type: ignore[arg-type]
        else:
            project = load_valid_project(repo, "text")
            opened = _open(store, project.root, project.config.spec.store) if store else None
            governance = Governance.load(project.root, store=opened, audit=mode)  # type: ignore[arg-type]
    except GovernanceError as exc:
        raise fail(str(exc), ExitCode.FAILED) from None
    limits = Limits(max_body_bytes=max_body, request_timeout=timeout)
    err.print(f"serving {governance.root} (fingerprint {governance.fingerprint[:12]}) on http://{host}:{port}")
    server(create_app(governance, limits), host, port, limits, log_level="info").run()


@app.command("enforce-retention")
def enforce_retention(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    store: str | None = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml, .kpigov/store.duckdb)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Reference date (YYYY-MM-DD, midnight UTC; default: now)."),
    apply: bool = typer.Option(False, "--apply", help="Change the store (default: dry run, report only)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
) -> None:
    """Apply the RetentionRules to the store: delete, anonymise or aggregate rows past their period."""
    from sqlalchemy.exc import SQLAlchemyError

    from kpigov.retention import RetentionPlanError, enforce_retention as enforce

    if fmt not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    day = parse_date(as_of, "--as-of")
    moment = datetime.combine(day, time()) if day else datetime.now(UTC).replace(tzinfo=None)
    project = load_valid_project(repo, fmt)
    with _open(store, project.root, project.config.spec.store) as opened:
        try:
            report = enforce(project, opened, moment, apply=apply)
        except RetentionPlanError as exc:
            raise fail(str(exc), ExitCode.FAILED) from None
        except SQLAlchemyError as exc:  # one transaction: nothing was changed, nothing was audited
            raise fail(f"retention not enforced, the store is unchanged: {str(exc).splitlines()[0]}",
                        ExitCode.FAILED) from None
    if fmt == "json":
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        verb = "changed" if apply else "would change"
        for o in report.outcomes:
            what = f"{o.action} {', '.join(o.columns)}" if o.columns else o.action
            held = f"  [yellow]held: {o.hold_reason}[/]" if o.legal_hold else ""
            err.print(f"{o.rule:40} {o.table:10} {what:60} {o.rows:>8} row(s){held}")
        err.print(f"{'[green]✓[/] ' if apply else 'dry run: '}{report.rows_changed} row(s) {verb}"
                  + ("" if apply else " (use --apply to enforce)"))


@app.command()
def publish(
    repo: Path = typer.Argument(Path("."), help="Governance repository root."),
    out: Path = typer.Option(Path("public/scorecard.json"), "--out", "-o", help="The public scorecard file (written atomically)."),
    store: str | None = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml, .kpigov/store.duckdb)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Publication date (YYYY-MM-DD; default: today, UTC)."),
) -> None:
    """Write the public scorecard: public KPIs only, counts noised with OpenDP, ε charged to their budget."""
    from kpigov.publish import publish as release

    day = parse_date(as_of, "--as-of") or datetime.now(UTC).date()
    project = load_valid_project(repo, "text")
    with _open(store, project.root, project.config.spec.store) as opened:
        card = release(project, opened, day, out)
    for value in card.values:
        shown = f"{value.value} (ε={value.epsilon:g}, {value.mechanism})" if value.status == "published" else value.reason
        err.print(f"{value.kpi_id:45} {value.status:9} {shown}")
    err.print(f"wrote {out}")
    refused = [v for v in card.values if v.budget_refused]
    raise typer.Exit(ExitCode.FAILED if refused else ExitCode.OK)
