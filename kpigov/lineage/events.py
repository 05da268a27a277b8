"""OpenLineage run events for KPI evaluations and ingests, built from plain inputs.

A caller describes a run once (:func:`run_events` for one KPI, :func:`ingest_run_events` for one
ingest) and gets a :class:`RunLineage` whose ``start()``, ``complete()``, ``fail()`` and
``abort()`` return the run's events. Everything is built with openlineage-python's own classes,
so the events serialise exactly as its transports send them:

- job: ``evaluate.<kpi id>`` in the repository's job namespace, with ownership (the KPI owner),
  documentation (its description), source code location (governance repository and commit), job
  type, and kpigov's ``kpigov_kpiSpec`` facet (spec version and fingerprint);
- inputs: the mention and outcome tables with ``schema``, ``dataQualityAssertions`` (the GX
  results) and ``dataQualityMetrics`` when known;
- output: the KPI results table with ``schema``, ``columnLineage`` and ``outputStatistics``.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Literal

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    ownership_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.generated.base import InputDatasetFacet, JobFacet, RunFacet
from openlineage.client.uuid import generate_new_uuid

from kpigov import __version__
from kpigov.lineage.errors import LineageError
from kpigov.lineage.facets import KPI_SPEC_FACET_KEY, KpiSpecJobFacet
from kpigov.lineage.naming import file_dataset, ingest_job_name, kpi_job_name, table_dataset
from kpigov.store import schema as store_schema

#: Who produced the events (OpenLineage asks for a URI naming the producer and its version).
PRODUCER = f"https://kpigov.dev/releases/{__version__}"
DEFAULT_JOB_NAMESPACE = "kpigov"
_OPENLINEAGE_VERSION = package_version("openlineage-python")


@dataclass(frozen=True, slots=True)
class LineageDataset:
    """A dataset a run read or wrote, with what is known about it (all optional but its name).

    ``assertions`` are data-quality outcomes as plain dicts (``assertion`` and ``success``
    required; ``column``, ``severity``, ``name``, ``description``, ``expected``, ``actual``,
    ``params`` optional), e.g. one per Great Expectations result. ``metrics`` follows the
    ``dataQualityMetrics`` facet (``rowCount``, ``columnMetrics: {column: {nullCount, ...}}``).
    """

    namespace: str
    name: str
    columns: Mapping[str, str] = field(default_factory=dict)
    assertions: Sequence[Mapping[str, Any]] = ()
    metrics: Mapping[str, Any] | None = None
    row_count: int | None = None

    @classmethod
    def table(cls, store_url: str, table: str, **known: Any) -> LineageDataset:
        """A table of the store at ``store_url``; columns default to kpigov's own schema of it."""
        namespace, name = table_dataset(store_url, table)
        if "columns" not in known and table in store_schema.metadata.tables:
            known["columns"] = {c.name: str(c.type) for c in store_schema.metadata.tables[table].columns}
        return cls(namespace, name, **known)

    @classmethod
    def file(cls, path: Path, **known: Any) -> LineageDataset:
        """A local file, e.g. a platform export being ingested."""
        namespace, name = file_dataset(path)
        return cls(namespace, name, **known)


@dataclass(frozen=True, slots=True)
class ColumnSource:
    """An input column an output column (or the whole output) depends on, and how."""

    dataset: LineageDataset
    column: str
    kind: Literal["DIRECT", "INDIRECT"] = "DIRECT"
    subtype: str = "AGGREGATION"
    description: str | None = None


@dataclass(frozen=True, slots=True)
class KpiMetadata:
    """What the events say about the KPI: its identity, meaning and accountable owner."""

    id: str
    version: str
    fingerprint: str
    owner: str | None = None
    description: str | None = None
    spec_path: str | None = None
    measure: str | None = None
    perspective: str | None = None
    status: str | None = None

    @classmethod
    def from_spec(cls, kpi: Any, *, fingerprint: str, spec_path: str | None = None) -> KpiMetadata:
        """From a loaded ``KPISpec`` (``project.kpis``) and the fingerprint the compiler gave it."""
        return cls(id=kpi.metadata.id, version=kpi.metadata.version, fingerprint=fingerprint,
                   owner=kpi.metadata.owner, description=kpi.metadata.description, spec_path=spec_path,
                   measure=kpi.spec.measure.type, perspective=kpi.spec.perspective, status=kpi.spec.status)


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where the governance repository lives and which commit the run used."""

    repository_url: str
    commit: str | None = None
    branch: str | None = None


@dataclass(frozen=True, slots=True)
class ParentRun:
    """The run this one belongs to (one ``evaluate`` run spawns one job run per KPI)."""

    namespace: str
    name: str
    run_id: str


@dataclass(frozen=True)
class RunLineage:
    """One run, described once; each method returns one of its events (new event time each call)."""

    job: Job
    run_id: str
    inputs: tuple[InputDataset, ...] = ()
    outputs: tuple[OutputDataset, ...] = ()
    run_facets: Mapping[str, RunFacet] = field(default_factory=dict)

    def start(self) -> RunEvent:
        """START names the datasets without their facets: OpenLineage facets accumulate over a run,
        and the final event carries them all (halving what a run serialises)."""
        return replace(self, inputs=tuple(InputDataset(namespace=d.namespace, name=d.name) for d in self.inputs),
                       outputs=tuple(OutputDataset(namespace=d.namespace, name=d.name) for d in self.outputs)
                       ).event(RunState.START)

    def complete(self) -> RunEvent:
        return self.event(RunState.COMPLETE)

    def fail(self, error: BaseException | str) -> RunEvent:
        return self.event(RunState.FAIL, error=error)

    def abort(self) -> RunEvent:
        return self.event(RunState.ABORT)

    def with_datasets(self, *, inputs: Sequence[LineageDataset] | None = None,
                      output: LineageDataset | None = None,
                      column_lineage: Mapping[str, Sequence[ColumnSource]] | None = None,
                      filters: Sequence[ColumnSource] = ()) -> RunLineage:
        """A copy with datasets known only later in the run (GX results, output row counts)."""
        return replace(
            self,
            inputs=self.inputs if inputs is None else tuple(_input(d) for d in inputs),
            outputs=self.outputs if output is None else (_output(output, column_lineage or {}, filters),),
        )

    def event(self, state: RunState, *, error: BaseException | str | None = None) -> RunEvent:
        facets = dict(self.run_facets)
        if error is not None:
            facets["errorMessage"] = _error_facet(error)
        return RunEvent(eventType=state, eventTime=datetime.now(UTC).isoformat(), producer=PRODUCER,
                        run=Run(runId=self.run_id, facets=facets), job=self.job,
                        inputs=list(self.inputs), outputs=list(self.outputs))


def new_run_id() -> str:
    """A UUIDv7 (time-ordered), the run id form OpenLineage recommends."""
    return str(generate_new_uuid())


def run_events(*, kpi: KpiMetadata, inputs: Sequence[LineageDataset], output: LineageDataset,
               column_lineage: Mapping[str, Sequence[ColumnSource]] | None = None,
               filters: Sequence[ColumnSource] = (), source: SourceLocation | None = None,
               run_id: str | None = None, parent: ParentRun | None = None,
               namespace: str = DEFAULT_JOB_NAMESPACE) -> RunLineage:
    """The lineage of one KPI evaluation run.

    ``column_lineage`` maps each output column to the input columns its value is computed from;
    ``filters`` are input columns that select rows for every output column (the KPI's filter,
    dedup and flags), reported as dataset-level ``INDIRECT`` lineage.
    """
    facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="KPIGOV",
                                                jobType="KPI_EVALUATION", producer=PRODUCER),
        KPI_SPEC_FACET_KEY: KpiSpecJobFacet(kpiId=kpi.id, specVersion=kpi.version, fingerprint=kpi.fingerprint,
                                            specPath=kpi.spec_path, measure=kpi.measure,
                                            perspective=kpi.perspective, status=kpi.status, producer=PRODUCER),
    }
    if kpi.owner:
        facets["ownership"] = ownership_job.OwnershipJobFacet(
            owners=[ownership_job.Owner(name=kpi.owner.replace("/", ":", 1), type="OWNER")], producer=PRODUCER)
    if kpi.description:
        facets["documentation"] = documentation_job.DocumentationJobFacet(
            description=kpi.description, contentType="text/plain", producer=PRODUCER)
    if source:
        facets["sourceCodeLocation"] = _source_facet(source, kpi.spec_path)
    lineage = RunLineage(job=Job(namespace=namespace, name=kpi_job_name(kpi.id), facets=facets),
                         run_id=run_id or new_run_id(), run_facets=_run_facets(parent))
    return lineage.with_datasets(inputs=inputs, output=output, column_lineage=column_lineage, filters=filters)


def ingest_run_events(*, source_name: str, input_file: LineageDataset, output: LineageDataset,
                      source: SourceLocation | None = None, run_id: str | None = None,
                      namespace: str = DEFAULT_JOB_NAMESPACE) -> RunLineage:
    """The lineage of one ingest: a platform export read into the mention table."""
    facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="KPIGOV", jobType="INGEST",
                                                producer=PRODUCER)}
    if source:
        facets["sourceCodeLocation"] = _source_facet(source, None)
    lineage = RunLineage(job=Job(namespace=namespace, name=ingest_job_name(source_name), facets=facets),
                         run_id=run_id or new_run_id(), run_facets=_run_facets(None))
    return lineage.with_datasets(inputs=[input_file], output=output)


# -- facets from plain inputs -------------------------------------------------------------------

_ASSERTION_FIELDS = {"assertion", "success", "column", "severity", "name", "description", "expected", "actual",
                     "content", "contentType", "params"}
_METRIC_FIELDS = {"nullCount", "distinctCount", "sum", "count", "min", "max", "quantiles"}


def _schema_facet(columns: Mapping[str, str]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=name, type=kind, ordinal_position=position)
                for position, (name, kind) in enumerate(columns.items(), start=1)],
        producer=PRODUCER)


def _input(dataset: LineageDataset) -> InputDataset:
    input_facets: dict[str, InputDatasetFacet] = {}
    if dataset.assertions:
        input_facets["dataQualityAssertions"] = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=[_assertion(dataset.name, a) for a in dataset.assertions], producer=PRODUCER)
    if dataset.metrics is not None:
        input_facets["dataQualityMetrics"] = _metrics_facet(dataset.name, dataset.metrics)
    facets = {"schema": _schema_facet(dataset.columns)} if dataset.columns else {}
    return InputDataset(namespace=dataset.namespace, name=dataset.name, facets=facets, inputFacets=input_facets)


def _output(dataset: LineageDataset, column_lineage: Mapping[str, Sequence[ColumnSource]],
            filters: Sequence[ColumnSource]) -> OutputDataset:
    facets: dict[str, Any] = {"schema": _schema_facet(dataset.columns)} if dataset.columns else {}
    if column_lineage or filters:
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
            fields={column: column_lineage_dataset.Fields(inputFields=[_input_field(s) for s in sources])
                    for column, sources in column_lineage.items()},
            dataset=[_input_field(s) for s in filters], producer=PRODUCER)
    output_facets = ({"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        rowCount=dataset.row_count, producer=PRODUCER)} if dataset.row_count is not None else {})
    return OutputDataset(namespace=dataset.namespace, name=dataset.name, facets=facets, outputFacets=output_facets)


def _input_field(source: ColumnSource) -> column_lineage_dataset.InputField:
    return column_lineage_dataset.InputField(
        namespace=source.dataset.namespace, name=source.dataset.name, field=source.column,
        transformations=[column_lineage_dataset.Transformation(type=source.kind, subtype=source.subtype,
                                                               description=source.description)])


def _assertion(dataset: str, outcome: Mapping[str, Any]) -> data_quality_assertions_dataset.Assertion:
    unknown = set(outcome) - _ASSERTION_FIELDS
    if unknown or not isinstance(outcome.get("assertion"), str) or not isinstance(outcome.get("success"), bool):
        raise LineageError(f"data-quality outcome for {dataset} needs 'assertion' (text) and 'success' (boolean)"
                           + (f"; unknown keys: {', '.join(sorted(unknown))}" if unknown else "") + f": {outcome!r:.200}")
    values = dict(outcome)
    for key in ("expected", "actual"):  # the facet carries them as text
        if key in values and values[key] is not None and not isinstance(values[key], str):
            values[key] = json.dumps(values[key], sort_keys=True, default=str)
    return data_quality_assertions_dataset.Assertion(**values)


def _metrics_facet(dataset: str, metrics: Mapping[str, Any]) -> data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet:
    columns = metrics.get("columnMetrics", {})
    bad = {c for c, m in columns.items() if not isinstance(m, Mapping) or set(m) - _METRIC_FIELDS}
    if bad:
        raise LineageError(f"column metrics for {dataset} use keys outside {sorted(_METRIC_FIELDS)}: {sorted(bad)}")
    return data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        columnMetrics={c: data_quality_metrics_input_dataset.ColumnMetrics(**m) for c, m in columns.items()},
        rowCount=metrics.get("rowCount"), bytes=metrics.get("bytes"), producer=PRODUCER)


def _source_facet(source: SourceLocation, path: str | None) -> source_code_location_job.SourceCodeLocationJobFacet:
    return source_code_location_job.SourceCodeLocationJobFacet(
        type="git", url=source.repository_url, repoUrl=source.repository_url, path=path, version=source.commit,
        branch=source.branch, producer=PRODUCER)


def _run_facets(parent: ParentRun | None) -> dict[str, RunFacet]:
    facets: dict[str, RunFacet] = {"processing_engine": processing_engine_run.ProcessingEngineRunFacet(
        version=__version__, name="kpigov", openlineageAdapterVersion=_OPENLINEAGE_VERSION, producer=PRODUCER)}
    if parent:
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent.run_id), job=parent_run.Job(namespace=parent.namespace, name=parent.name),
            producer=PRODUCER)
    return facets


def _error_facet(error: BaseException | str) -> error_message_run.ErrorMessageRunFacet:
    if isinstance(error, BaseException):
        return error_message_run.ErrorMessageRunFacet(
            message=f"{type(error).__name__}: {error}", programmingLanguage="python",
            stackTrace="".join(traceback.format_exception(error)), producer=PRODUCER)
    return error_message_run.ErrorMessageRunFacet(message=error, programmingLanguage="python", producer=PRODUCER)
