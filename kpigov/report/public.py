"""The public scorecard's figures: the releases ``kpigov publish`` made, never the stored exact values.

A public report is built from the published file alone (no store is opened), so it cannot show a raw
value and cannot spend privacy budget: each release is made once by :func:`kpigov.publish.publish`
and reused by every report or export built from it, however often they are rebuilt.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from kpigov.evaluate.baseline import band_of
from kpigov.project import Project
from kpigov.publish import PublicScorecard, PublicValue
from kpigov.publish.scorecard import FORMAT_VERSION
from kpigov.report.data import KPIReport, Point, ReportData, report_events
from kpigov.specs import KPI

#: Label of every value on a public site, next to the mechanism and ε of its release.
RELEASE_LABEL = "differentially private release"


class PublishedScorecardError(Exception):
    """The published scorecard file is absent, unreadable, of another format, or of another as-of date."""


def read_published(path: Path, as_of: date) -> PublicScorecard:
    """The scorecard ``kpigov publish --as-of`` wrote to ``path``; it must be the one for ``as_of``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PublishedScorecardError(f"{path} does not exist: run `kpigov publish --as-of {as_of} --out {path}` first") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PublishedScorecardError(f"{path} is not a readable published scorecard: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_VERSION:
        raise PublishedScorecardError(f"{path} is not a kpigov published scorecard (format {FORMAT_VERSION})")
    try:
        card = PublicScorecard(date.fromisoformat(raw["as_of"]), str(raw["manifest_fingerprint"]),
                               tuple(_public_value(entry) for entry in raw["kpis"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PublishedScorecardError(f"{path} is malformed: {exc!r}") from None
    if card.as_of != as_of:
        raise PublishedScorecardError(f"{path} was published as of {card.as_of}, not {as_of}: "
                                      f"run `kpigov publish --as-of {as_of}` to release values for that date")
    return card


def _public_value(entry: dict[str, Any]) -> PublicValue:
    dates = {name: date.fromisoformat(entry[name]) if entry.get(name) else None
             for name in ("period_start", "period_end", "budget_period_start")}
    if entry["status"] not in ("published", "withheld"):
        raise ValueError(f"unknown status {entry['status']!r} for {entry['kpi_id']}")
    return PublicValue(entry["kpi_id"], entry["status"], entry.get("value"), mechanism=entry.get("mechanism"),
                       epsilon=entry.get("epsilon"), reason=entry.get("reason"), **dates)


def public_report_data(project: Project, card: PublicScorecard) -> ReportData:
    """Report data holding, per public KPI, only its release: the noised value or the withholding reason.

    Baselines, changes, alerts, overrides and quality-gate observations are derived from exact values,
    so a public report has none of them; a band is shown only as computed from the noised value.
    """
    released = {value.kpi_id: value for value in card.values}
    kpis = sorted((k for k in project.of_kind(KPI) if k.spec.status != "draft" and k.spec.publication == "public"),
                  key=lambda k: k.metadata.id)
    return ReportData(project=project, as_of=card.as_of,
                      kpis=tuple(KPIReport(k, (_release_point(k, released.get(k.metadata.id), card),)) for k in kpis),
                      events=report_events(project), alerts=(), overrides=(), quality={})


def _release_point(kpi: KPI, value: PublicValue | None, card: PublicScorecard) -> Point:
    """One release as a report point; a withholding is dated by the publication's as-of (it has no period)."""
    source = f"publish:{card.fingerprint[:16]}"
    if value is None or value.status != "published" or value.value is None:
        reason = value.reason if value is not None else f"not released by kpigov publish as of {card.as_of}"
        return Point(card.as_of, card.as_of, "withheld", None, None, None, None, reason, source, card.as_of)
    assert value.period_start is not None and value.period_end is not None  # a published value always has its period
    noised = float(value.value)
    band = band_of(noised, kpi.spec.bands) if kpi.spec.bands else None
    return Point(value.period_start, value.period_end, "ok", noised, band, None, None, None, source, card.as_of,
                 {"release": {"mechanism": value.mechanism, "epsilon": value.epsilon}})
