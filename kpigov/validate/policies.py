"""Consistency rules for datasets, quality suites, escalation, retention, access and calendars."""

from __future__ import annotations

import difflib
import fnmatch
from typing import Iterable, Iterator

from kpigov.diagnostics import Code
from kpigov.project import Project
from kpigov.specs import AccessPolicy, Dataset, EscalationPolicy, EventCalendar, ExpectationSuite, RetentionRule
from kpigov.specs.base import to_timedelta
from kpigov.validate.gx_catalogue import COLUMN_ARGUMENTS, catalogue
from kpigov.validate.kpis import dataset_columns, report_expression


def _repeats(values: Iterable[str]) -> Iterator[int]:
    """Indexes of values already seen earlier in the sequence (the first occurrence is not a repeat)."""
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            yield i
        seen.add(value)


def check_datasets(project: Project) -> None:
    for dataset in project.of_kind(Dataset):
        for i in _repeats(column.name for column in dataset.spec.columns):
            project.diagnostics.error(Code.DUPLICATE_ID, f"column '{dataset.spec.columns[i].name}' is declared more than once",
                                      project.locate(dataset.ref, ["spec", "columns", i, "name"]))
        if dataset.spec.role == "outcomes" and dataset.spec.series is None:
            project.diagnostics.error(Code.MISSING_FIELD, "an outcomes dataset needs 'series' (its name in the outcomes table)",
                                      project.locate(dataset.ref, ["spec", "role"]))
        if dataset.spec.fallback == dataset.ref:
            project.diagnostics.error(Code.WRONG_REFERENCE_KIND, "a dataset cannot be its own fallback",
                                      project.locate(dataset.ref, ["spec", "fallback"]))


def check_suites(project: Project) -> None:
    """Expectation types and kwargs must be ones Great Expectations knows; columns must exist."""
    known = catalogue()["expectations"]
    for suite in project.of_kind(ExpectationSuite):
        dataset = project.get(suite.spec.dataset)
        columns = dataset_columns(dataset) if isinstance(dataset, Dataset) else None
        repeats = set(_repeats(e.id for e in suite.spec.expectations))
        for i, expectation in enumerate(suite.spec.expectations):
            where = ["spec", "expectations", i]
            if i in repeats:
                project.diagnostics.error(Code.DUPLICATE_ID, f"expectation id '{expectation.id}' is used more than once in the suite",
                                          project.locate(suite.ref, [*where, "id"]))
            entry = known.get(expectation.type)
            if entry is None:
                close = difflib.get_close_matches(expectation.type, list(known), n=1)
                project.diagnostics.error(Code.GX_EXPECTATION, f"'{expectation.type}' is not a Great Expectations expectation type",
                                          project.locate(suite.ref, [*where, "type"]),
                                          hint=f"did you mean '{close[0]}'?" if close else None)
                continue
            allowed = set(entry["required"]) | set(entry["optional"])
            for name in expectation.kwargs:
                if name not in allowed:
                    close = difflib.get_close_matches(name, sorted(allowed), n=1)
                    project.diagnostics.error(Code.GX_EXPECTATION, f"'{expectation.type}' takes no argument '{name}'",
                                              project.locate(suite.ref, [*where, "kwargs", name], key=True),
                                              hint=f"did you mean '{close[0]}'?" if close else None)
            for name in entry["required"]:
                if name not in expectation.kwargs:
                    project.diagnostics.error(Code.GX_EXPECTATION, f"'{expectation.type}' needs the argument '{name}'",
                                              project.locate(suite.ref, [*where, "kwargs"] if expectation.kwargs else where))
            if columns is None:
                continue
            for name in COLUMN_ARGUMENTS:
                value = expectation.kwargs.get(name)
                for column in value if isinstance(value, list) else [value] if value is not None else []:
                    if column not in columns:
                        project.diagnostics.error(Code.UNKNOWN_COLUMN, f"column '{column}' is not declared by {suite.spec.dataset}",
                                                  project.locate(suite.ref, [*where, "kwargs", name]))


def check_escalation(project: Project) -> None:
    for policy in project.of_kind(EscalationPolicy):
        tiers = policy.spec.tiers
        for i in range(1, len(tiers)):
            previous, tier = tiers[i - 1], tiers[i]
            if tier.level <= previous.level:
                project.diagnostics.error(Code.ESCALATION_ORDER, f"tier levels must increase (level {tier.level} after {previous.level})",
                                          project.locate(policy.ref, ["spec", "tiers", i, "level"]))
            elif to_timedelta(tier.escalate_after) <= to_timedelta(previous.escalate_after):
                project.diagnostics.error(Code.ESCALATION_ORDER, f"escalate_after must grow from tier to tier "
                                          f"({tier.escalate_after} after {previous.escalate_after})",
                                          project.locate(policy.ref, ["spec", "tiers", i, "escalate_after"]))
        for i, trigger in enumerate(policy.spec.triggers):
            if trigger.type == "band_breach" and not trigger.bands:
                project.diagnostics.error(Code.MISSING_FIELD, "a band_breach trigger needs 'bands' (amber, red)",
                                          project.locate(policy.ref, ["spec", "triggers", i]))
            if trigger.type == "negative_cluster" and (trigger.min_cluster_size is None or trigger.window is None):
                project.diagnostics.error(Code.MISSING_FIELD, "a negative_cluster trigger needs 'min_cluster_size' and 'window'",
                                          project.locate(policy.ref, ["spec", "triggers", i]))


def check_retention(project: Project) -> None:
    seen: dict[tuple[str, str, tuple[str, ...]], str] = {}
    limits = {(limit.data_class, limit.jurisdiction): limit for limit in project.config.spec.retention_limits}
    for rule in project.of_kind(RetentionRule):
        s = rule.spec
        key = (s.data_class, s.jurisdiction, tuple(sorted(s.datasets)))
        if key in seen:
            project.diagnostics.error(Code.RETENTION_CONFLICT, f"'{seen[key]}' already governs data class '{s.data_class}' "
                                      f"in {s.jurisdiction}", project.locate(rule.ref, ["spec", "data_class"]))
        else:
            seen[key] = rule.ref
        period = to_timedelta(s.period)
        limit = limits.get((s.data_class, s.jurisdiction))
        minimum = s.minimum or (limit.minimum if limit else None)
        maximum = s.maximum or (limit.maximum if limit else None)
        if maximum and period > to_timedelta(maximum):
            project.diagnostics.error(Code.RETENTION_CONFLICT, f"period {s.period} is longer than the legal maximum {maximum}",
                                      project.locate(rule.ref, ["spec", "period"]))
        if minimum and period < to_timedelta(minimum):
            project.diagnostics.error(Code.RETENTION_CONFLICT, f"period {s.period} is shorter than the legal minimum {minimum}",
                                      project.locate(rule.ref, ["spec", "period"]))


def check_access(project: Project) -> None:
    """Resources resolve, masks and conditions name declared columns, rule ids are unique."""
    datasets = {d.id: d for d in project.of_kind(Dataset)}
    kpi_ids = [k.id for k in project.kpis]
    for policy in project.of_kind(AccessPolicy):
        repeats = set(_repeats(rule.id for rule in policy.spec.rules))
        for i, rule in enumerate(policy.spec.rules):
            where = ["spec", "rules", i]
            if i in repeats:
                project.diagnostics.error(Code.DUPLICATE_ID, f"rule id '{rule.id}' is used more than once",
                                          project.locate(policy.ref, [*where, "id"]))
            governed: dict[str, str] = {}
            for j, resource in enumerate(rule.resources):
                problem, columns = _resource_problem(resource, datasets, kpi_ids)
                if problem:
                    project.diagnostics.error(Code.ACCESS_RULE, problem, project.locate(policy.ref, [*where, "resources", j]))
                governed.update(columns)
            for column in rule.masks:
                if governed and column not in governed:
                    project.diagnostics.error(Code.ACCESS_RULE, f"mask on '{column}', which none of the rule's datasets declares",
                                              project.locate(policy.ref, [*where, "masks", column], key=True))
            if rule.masks and rule.effect == "deny":
                project.diagnostics.error(Code.ACCESS_RULE, "masks only apply to allow rules",
                                          project.locate(policy.ref, [*where, "masks"], key=True))
            if rule.condition is not None:
                report_expression(project, policy.ref, [*where, "condition"], rule.condition, governed,
                                  expect="boolean", noun="column")


def _resource_problem(resource: str, datasets: dict[str, Dataset], kpi_ids: list[str]) -> tuple[str | None, dict[str, str]]:
    prefix, _, rest = resource.partition("/")
    if prefix == "kpi":
        if rest.endswith("*") or rest in kpi_ids:
            return None, {}
        if not any(fnmatch.fnmatchcase(k, rest) for k in kpi_ids):
            return f"resource '{resource}' matches no KPI", {}
        return None, {}
    if prefix != "dataset":
        return f"resource '{resource}' must start with 'dataset/' or 'kpi/'", {}
    dataset_id, _, column = rest.partition(":")
    dataset = datasets.get(dataset_id)
    if dataset is None:
        return f"resource '{resource}': dataset '{dataset_id}' is not defined", {}
    columns = dataset_columns(dataset)
    if column and column != "*" and column not in columns:
        return f"resource '{resource}': dataset '{dataset_id}' declares no column '{column}'", columns
    return None, columns


def check_calendars(project: Project) -> None:
    for calendar in project.of_kind(EventCalendar):
        repeats = set(_repeats(event.id for event in calendar.spec.events))
        for i, event in enumerate(calendar.spec.events):
            if event.end < event.start:
                project.diagnostics.error(Code.EVENT_DATES, f"event '{event.id}' ends ({event.end}) before it starts ({event.start})",
                                          project.locate(calendar.ref, ["spec", "events", i, "end"]))
            if i in repeats:
                project.diagnostics.error(Code.DUPLICATE_ID, f"event id '{event.id}' is used more than once",
                                          project.locate(calendar.ref, ["spec", "events", i, "id"]))


def mention_columns(project: Project) -> dict[str, str]:
    """Columns a cohort condition may name: those of the repository's mention datasets (first declaration wins).

    An event belongs to no dataset, so its cohorts are checked against every mention dataset at once;
    ``kpigov compare`` checks again against the source of the KPI it compares.
    """
    columns: dict[str, str] = {}
    for dataset in sorted(project.of_kind(Dataset), key=lambda d: d.ref):
        if dataset.spec.role == "mentions":
            for name, kind in dataset_columns(dataset).items():
                columns.setdefault(name, kind)
    return columns


def check_cohorts(project: Project) -> None:
    """Only experiments have cohorts, at least two, with unique ids and conditions on mention columns."""
    allowed: dict[str, str] | None = None
    for calendar in project.of_kind(EventCalendar):
        for i, event in enumerate(calendar.spec.events):
            if not event.cohorts:
                continue
            where: list[str | int] = ["spec", "events", i, "cohorts"]
            if event.type != "experiment":
                project.diagnostics.error(Code.EVENT_COHORTS, f"event '{event.id}' is a {event.type}, not an experiment: "
                                          "only experiments compare cohorts", project.locate(calendar.ref, where, key=True))
            elif len(event.cohorts) < 2:
                project.diagnostics.error(Code.EVENT_COHORTS, f"experiment '{event.id}' declares one cohort; a comparison "
                                          "needs at least two", project.locate(calendar.ref, where))
            ids = event.cohort_ids
            for j in _repeats(ids):
                project.diagnostics.error(Code.DUPLICATE_ID, f"cohort id '{ids[j]}' is used more than once in "
                                          f"event '{event.id}'", project.locate(calendar.ref, [*where, j, "id"]))
            allowed = mention_columns(project) if allowed is None else allowed
            for j, cohort in enumerate(event.cohorts):
                if isinstance(cohort, str):
                    project.diagnostics.warning(Code.EVENT_COHORTS, f"cohort '{cohort}' is only a name, with no condition: "
                                                "'kpigov compare --cohorts' cannot use it", project.locate(calendar.ref, [*where, j]),
                                                hint=f"define it as {{id: {cohort}, where: \"<condition on mention columns>\"}}")
                    continue
                report_expression(project, calendar.ref, [*where, j, "where"], cohort.where, allowed,
                                  expect="boolean", noun="mention column")
