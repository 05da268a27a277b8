"""``kpigov sample``, ``kpigov ingest``, ``kpigov rejudge`` and ``kpigov sentiment-audit``: mention data in and checked.

Every command finds its store the same way (:func:`kpigov.store.resolve_store_url`). Input is
checked before the store is opened, so a typo in a path, a source name or the repository leaves
the store exactly as it was and exits 2. Each ingested file is one OpenLineage run and one
``ingest_run`` audit entry (:mod:`kpigov.ingest.lineage`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kpigov.cli.app import app, err, fail, parse_date
from kpigov.diagnostics import ExitCode

if TYPE_CHECKING:
    from kpigov.ingest import Adapter, IngestReport
    from kpigov.ingest.lineage import IngestTrail
    from kpigov.project import Project
    from kpigov.sentiment.audit import GroupDistribution
    from kpigov.store import Store

OUTCOMES_SOURCE = "outcomes"  # not a mention adapter: the outcomes table's own CSV (kpigov.ingest.outcomes)
_REPO = typer.Option(Path("."), "--repo", help="Governance repository root (its kpigov.yaml and policies).")
_STORE = typer.Option(None, "--store", help="Store URL (default: $KPIGOV_STORE_URL, kpigov.yaml spec.store, "
                                             "<repo>/.kpigov/store.duckdb).")




@app.command()
def sample(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for mentions-NNN.parquet and outcomes.csv."),
    seed: int = typer.Option(20260101, "--seed", help="Same seed, same bytes."),
    start: str = typer.Option(None, "--start", help="First day, YYYY-MM-DD (default 2026-01-01)."),
    end: str = typer.Option(None, "--end", help="Last day, YYYY-MM-DD (default 2026-12-31)."),
    per_day: int = typer.Option(2_000, "--per-day", min=1, help="Average organic mentions per day."),
) -> None:
    """Write a seeded, realistic sample of mentions (canonical Parquet) and weekly outcomes."""
    from kpigov.sample import write_sample
    from kpigov.sample.mentions import DEFAULT_END, DEFAULT_START

    first, last = parse_date(start, "--start") or DEFAULT_START, parse_date(end, "--end") or DEFAULT_END
    if last < first:
        fail(f"--end {last} is before --start {first}")
    if out.exists() and not out.is_dir():
        fail(f"{out} exists and is not a folder")
    with err.status(f"generating mentions {first} .. {last}"):
        summary = write_sample(out, seed=seed, start=first, end=last, mentions_per_day=per_day)
    err.print(f"[green]✓[/] {summary.rows:,} mentions in {len(summary.files)} file(s) and "
              f"{summary.outcome_rows:,} outcome rows in {out}/ (seed {seed}, {first} .. {last})")
    for path in (*summary.files, summary.outcomes):
        typer.echo(str(path))


@app.command()
def ingest(
    files: list[Path] = typer.Argument(..., help="Files to load, each in its own transaction."),
    source: str = typer.Option(..., "--source", "-s", help="Adapter: x, reddit, youtube, weibo, vk, canonical, csv, "
                                                           "brandwatch, sprinklr, ... (with --mapping: any name); "
                                                           "'outcomes' loads an outcomes CSV into the outcomes table."),
    repo: Path = _REPO,
    store_url: str | None = _STORE,
    encoding: str | None = typer.Option(None, "--encoding", help="Override the format's declared encoding."),
    mapping: Path | None = typer.Option(None, "--mapping", help="CSV column mapping (YAML) for a vendor export."),
    dedup: str | None = typer.Option(None, "--dedup", help="DedupPolicy to apply when the repository has several."),
    lexicon: str | None = typer.Option(None, "--lexicon", help="Lexicon to score with when the repository has several."),
    no_lineage: bool = typer.Option(False, "--no-lineage", help="Send no OpenLineage events (the audit trail is still kept)."),
) -> None:
    """Load mention files into the store: dedup, bot/spam/CIB/employee flags and sentiment per the repository."""
    from kpigov.ingest import IngestError, ingest_file
    from kpigov.ingest.from_specs import ingest_setup
    from kpigov.store import schema

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    if source == OUTCOMES_SOURCE and mapping is None:
        _ingest_outcomes(files, repo, store_url, lineage=not no_lineage)
        return
    adapter = _adapter(source, mapping)
    project = _project(repo)
    try:
        setup = ingest_setup(project, dedup=dedup, lexicon=lexicon)
    except IngestError as exc:
        fail(str(exc))
    trail = _trail(project, lineage=not no_lineage)
    reports: list[IngestReport] = []
    with _store(store_url, project, create=True) as store:
        err.print(f"store {store.display_url}; rules {setup.dedup_ref}, scores {setup.lexicon_ref}")
        failure = None
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} rows read"),
                      TimeElapsedColumn(), console=err) as progress:
            for path in files:
                task = progress.add_task(path.name, total=None)
                try:
                    with trail.track(store, path, adapter.name, schema.mentions.name) as tracked:
                        reports.append(ingest_file(
                            store, path, adapter, rules=setup.rules, entity_resolver=setup.resolver,
                            scorer=setup.scorer, encoding=encoding, before_commit=tracked.write_audit,
                            progress=lambda read, task=task: progress.update(task, completed=read)))
                        tracked.loaded(reports[-1])
                except IngestError as exc:
                    failure = exc
                    break
                progress.update(task, total=reports[-1].rows_read, completed=reports[-1].rows_read)
    trail.close()
    _print_problems(trail.problems)
    if reports:
        err.print(_report_table(reports))
        _print_quarantine_reasons(reports)
    if failure is not None:
        loaded = f"; {len(reports)} earlier file(s) stay loaded (re-running is idempotent)" if reports else ""
        fail(f"{failure}{loaded}", ExitCode.FAILED)


def _ingest_outcomes(files: list[Path], repo: Path, store_url: str | None, *, lineage: bool) -> None:
    """Each outcomes CSV in its own transaction; a malformed file stops with the earlier ones loaded."""
    from kpigov.ingest import IngestError
    from kpigov.ingest.outcomes import ingest_outcomes
    from kpigov.store import schema

    project = _project(repo)
    trail = _trail(project, lineage=lineage)
    with _store(store_url, project, create=True) as store:
        err.print(f"store {store.display_url}")
        for number, path in enumerate(files):
            try:
                with trail.track(store, path, OUTCOMES_SOURCE, schema.outcomes.name) as tracked:
                    report = ingest_outcomes(store, path, before_commit=tracked.write_audit)
                    tracked.loaded(report)
            except IngestError as exc:
                trail.close()
                _print_problems(trail.problems)
                loaded = f"; {number} earlier file(s) stay loaded (re-running is idempotent)" if number else ""
                fail(f"{exc}{loaded}", ExitCode.FAILED)
            err.print(f"[green]✓[/] {path}: {report.rows_loaded:,} outcome rows loaded ({report.rows_replaced:,} replaced "
                      f"stored values), {len(report.quarantined):,} quarantined of {report.rows_read:,} read")
            for q in report.quarantined:
                err.print(f"[yellow]quarantined[/] {path}:{q.row_number}: {q.reason}", soft_wrap=True)
    trail.close()
    _print_problems(trail.problems)


@app.command()
def rejudge(
    repo: Path = _REPO,
    store_url: str | None = _STORE,
    dedup: str | None = typer.Option(None, "--dedup", help="DedupPolicy to apply when the repository has several."),
    apply: bool = typer.Option(False, "--apply", help="Change the store (default: dry run, report only)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
) -> None:
    """Judge every stored mention again under the repository's current dedup, bot, spam, employee and CIB rules."""
    import json

    from sqlalchemy.exc import SQLAlchemyError

    from kpigov.ingest import IngestError
    from kpigov.ingest.from_specs import ingest_setup
    from kpigov.ingest.rejudge import JUDGED, RejudgeReport, rejudge_store
    from kpigov.lineage import AuditKind, AuditLog, AuditRecord

    if fmt not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    project = _project(repo)
    try:
        setup = ingest_setup(project, dedup=dedup)
    except IngestError as exc:
        fail(str(exc))
    with _store(store_url, project, create=False) as store:

        def audit(conn: object, report: RejudgeReport) -> int:  # committed with the changes, or neither
            record = AuditRecord(AuditKind.FLAGS_REJUDGED, setup.dedup_ref,
                                 {**report.to_json(), "rules": setup.dedup_ref}, "kpigov rejudge")
            return AuditLog(store).append_many([record], conn=conn)[0].seq  # type: ignore[arg-type]

        try:
            report = rejudge_store(store, setup.rules, apply=apply, before_commit=audit)
        except SQLAlchemyError as exc:  # one transaction: nothing was changed, nothing was audited
            fail(f"nothing rejudged, the store is unchanged: {str(exc).splitlines()[0]}", ExitCode.FAILED)
    if fmt == "json":
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    table = Table(title=f"rejudged under {setup.dedup_ref} and the repository's exclusion rules", title_justify="left",
                  box=box.SIMPLE)
    for name, justify in (("column", "left"), ("rows before", "right"), ("rows after", "right"), ("rows changed", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name in JUDGED:
        table.add_row(name, f"{report.before[name]:,}", f"{report.after[name]:,}", f"{report.changed[name]:,}")
    err.print(table)
    verb = "changed" if apply else "would change"
    err.print(f"{'[green]✓[/] ' if apply else 'dry run: '}{report.rows_changed:,} of {report.rows:,} mention(s) {verb} "
              f"in {report.seconds:.1f} s" + (f" (audit entry {report.audit_seq})" if report.audit_seq else " (use --apply to write)"))


@app.command("sentiment-audit")
def sentiment_audit(repo: Path = _REPO, store_url: str | None = _STORE) -> None:
    """Score distributions per language and per text marker: where the lexicon may misread people."""
    from kpigov.sentiment.audit import bias_audit, text_marker
    from kpigov.sentiment.stored import scored_mentions

    project = _project(repo)
    with _store(store_url, project, create=False) as store:
        rows = scored_mentions(store)
    if not rows.texts:
        fail(f"no scored canonical mentions in {store.display_url}; ingest some first", ExitCode.FAILED)
    thresholds = _thresholds(project)
    markers = {text: text_marker(text) for text in set(rows.texts)}
    by_language = bias_audit(rows.texts, rows.scores, rows.languages, **thresholds)
    by_marker = bias_audit(rows.texts, rows.scores, [markers[t] for t in rows.texts], **thresholds)
    err.print(_audit_table("language", by_language))
    err.print(_audit_table("text marker", by_marker))
    err.print("A gap between groups is a question to investigate, not proof of bias; a high share scored "
              "exactly 0 usually means the lexicon does not read that group's words.")


# -- shared steps ----------------------------------------------------------------------------------


def _project(repo: Path) -> Project:
    from kpigov.project import load

    if not repo.is_dir():
        fail(f"{repo} is not a directory (--repo names the governance repository)")
    project = load(repo)
    if not project.ok:
        for diagnostic in project.diagnostics.sorted()[:10]:
            err.print(str(diagnostic), soft_wrap=True, markup=False)
        fail(f"{repo}: the governance repository is invalid ({project.diagnostics.error_count} error(s)); "
              "run 'kpigov validate' for all of them")
    return project


def _trail(project: Project, *, lineage: bool) -> IngestTrail:
    """Lineage (unless ``--no-lineage``) and audit entries per file; a bad lineage config exits 2."""
    from kpigov.ingest.lineage import IngestTrail
    from kpigov.lineage import LineageConfigError

    try:
        return IngestTrail.for_project(project, lineage=lineage)
    except LineageConfigError as exc:
        fail(str(exc))


def _print_problems(problems: Sequence[str]) -> None:
    for problem in problems:
        err.print(f"[yellow]warning:[/] {problem}", soft_wrap=True)


@contextmanager
def _store(option: str | None, project: Project, *, create: bool) -> Iterator[Store]:
    from kpigov.store import StoreError, open_store, resolve_store_url

    try:
        url = resolve_store_url(option, project.root, project.config.spec.store)
        store = open_store(url, create=create)
    except StoreError as exc:
        fail(str(exc))
    with store:
        yield store


def _adapter(source: str, mapping: Path | None) -> Adapter:
    from kpigov.ingest import CsvAdapter, CsvMapping, UnknownSourceError, get_adapter
    from kpigov.loader import load_text

    if mapping is None:
        try:
            return get_adapter(source)
        except UnknownSourceError as exc:
            fail(str(exc))
    if not mapping.is_file():
        fail(f"no such mapping file: {mapping}")
    loaded = load_text(str(mapping), mapping.read_bytes())
    if loaded.diagnostics or len(loaded.documents) != 1:
        problems = "; ".join(str(d) for d in loaded.diagnostics) or "expected exactly one YAML mapping"
        fail(f"{mapping}: {problems}")
    try:
        return CsvAdapter(source, CsvMapping.from_dict(loaded.documents[0].data))
    except ValueError as exc:
        fail(f"{mapping}: {exc}")


def _thresholds(project: Project) -> dict[str, float]:
    """The repository lexicon's label thresholds when it has exactly one lexicon, else VADER's."""
    from kpigov.specs import Lexicon

    lexicons = list(project.of_kind(Lexicon))
    if len(lexicons) != 1:
        return {}
    return {"positive_at": lexicons[0].spec.positive_at, "negative_at": lexicons[0].spec.negative_at}


# -- rendering -------------------------------------------------------------------------------------


def _report_table(reports: Sequence[IngestReport]) -> Table:
    """One column per file, one row per count: stays readable in 80 columns whatever the flags."""
    table = Table(title="ingest report", title_justify="left")
    table.add_column("")
    for r in reports:
        table.add_column(r.path.name, justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("read", [f"{r.rows_read:,}" for r in reports]),
        ("loaded", [f"{r.rows_loaded:,}" for r in reports]),
        ("quarantined", [f"{r.rows_quarantined:,}" for r in reports]),
        ("already present", [f"{r.rows_already_present:,}" for r in reports]),
        ("collapsed (duplicate_of)", [f"{r.rows_collapsed:,}" for r in reports]),
        ("CIB clusters", [f"{r.cib_clusters:,}" for r in reports]),
        ("scored", [f"{r.rows_scored:,}" for r in reports]),
        ("seconds", [f"{r.seconds:.1f}" for r in reports]),
    ]
    for rule in sorted({rule for r in reports for rule in r.flags}):
        rows.append((f"flag {rule}", [f"{r.flags.get(rule, 0):,}" for r in reports]))
    for name, values in rows:
        table.add_row(name, *values)
    return table


def _print_quarantine_reasons(reports: Sequence[IngestReport]) -> None:
    for r in reports:
        for reason, count in sorted(r.quarantine_reasons.items(), key=lambda item: (-item[1], item[0])):
            err.print(f"[yellow]quarantined[/] {count:,} row(s) of {r.path}: {reason}", markup=True, soft_wrap=True)


def _audit_table(group_name: str, groups: Sequence[GroupDistribution]) -> Table:
    table = Table(title=f"sentiment by {group_name}", title_justify="left", box=box.SIMPLE_HEAD,
                  caption="pos/neu/neg: label shares; zero: scored exactly 0; gap: mean minus the other texts' mean",
                  caption_justify="left")
    table.add_column(group_name, no_wrap=True)
    for name in ("n", "mean", "pos", "neu", "neg", "zero", "gap"):
        table.add_column(name, justify="right", no_wrap=True)
    for g in groups:
        table.add_row(g.group, f"{g.n:,}", f"{g.mean:+.3f}", f"{g.share_positive:.1%}", f"{g.share_neutral:.1%}",
                      f"{g.share_negative:.1%}", f"{g.share_zero:.1%}", f"{g.mean_gap:+.3f}")
    return table
