"""Building blocks shared by every kind: strict scalar types, references, metadata, the envelope.

All models are strict (a number is never silently a string, ``yes`` is never silently ``true``)
and forbid unknown fields (a typo is reported, not ignored). Formats that JSON Schema can express
(semver, ISO 8601 durations, references) are declared as ``pattern`` so the published schema
checks them too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

API_VERSION = "kpigov/v1"


class SpecModel(BaseModel):
    """Base of every spec model: strict, closed, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=False)


# -- scalar types ------------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]

SEMVER_PATTERN = (r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                  r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                  r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
_SEMVER = re.compile(SEMVER_PATTERN)


def _semver(value: Any) -> Any:
    if isinstance(value, str) and not _SEMVER.match(value):
        raise PydanticCustomError("kg_semver", "'{value}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.1.0)",
                                  {"value": value})
    return value


SemVer = Annotated[str, BeforeValidator(_semver), WithJsonSchema({"type": "string", "pattern": SEMVER_PATTERN})]

DURATION_PATTERN = (r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_DURATION = re.compile(DURATION_PATTERN)


def _duration(value: Any) -> Any:
    if isinstance(value, str) and not _DURATION.match(value):
        raise PydanticCustomError("kg_duration", "'{value}' is not an ISO 8601 duration (e.g. P8W, P30D, PT4H, P2Y)",
                                  {"value": value})
    return value


#: An ISO 8601 duration kept as written (``P8W``); :func:`duration_parts` and :func:`to_timedelta` read it.
Duration = Annotated[str, BeforeValidator(_duration), WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN})]


def duration_parts(value: str) -> tuple[int, int, int, int, int, int, int]:
    """(years, months, weeks, days, hours, minutes, seconds) of an ISO 8601 duration."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    return tuple(int(g) if g else 0 for g in match.groups())  # type: ignore[return-value]


def to_timedelta(value: str) -> timedelta:
    """The duration as a timedelta; years and months count as 365 and 30 days (for ordering only)."""
    years, months, weeks, days, hours, minutes, seconds = duration_parts(value)
    return timedelta(days=years * 365 + months * 30 + weeks * 7 + days, hours=hours, minutes=minutes,
                     seconds=seconds)


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("kg_date", "'{value}' is not an ISO 8601 date (YYYY-MM-DD)",
                                      {"value": value}) from None
    if isinstance(value, datetime):
        raise PydanticCustomError("kg_date", "expected a date (YYYY-MM-DD), not a date-time", {})
    return value


#: A calendar date written as ``YYYY-MM-DD`` (the loader keeps bare dates as strings).
Date = Annotated[date, BeforeValidator(_date), WithJsonSchema({"type": "string", "format": "date"})]


# -- references --------------------------------------------------------------------------------

#: Reference prefixes and the kind each one points at.
REFERENCE_KINDS: dict[str, str] = {
    "dataset": "Dataset",
    "dedup": "DedupPolicy",
    "lexicon": "Lexicon",
    "calendar": "EventCalendar",
    "suite": "ExpectationSuite",
    "escalation": "EscalationPolicy",
    "retention": "RetentionRule",
    "access": "AccessPolicy",
    "team": "Team",
    "role": "Role",
    "kpi": "KPI",
    "retirement": "RetirementDecision",
}
PREFIX_OF_KIND = {kind: prefix for prefix, kind in REFERENCE_KINDS.items()}

_ID_CHARS = r"[^\s/]+"


def _reference(prefix: str) -> Any:
    pattern = rf"^{prefix}/{_ID_CHARS}$"
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str) and not compiled.match(value):
            raise PydanticCustomError("kg_reference", "'{value}' is not a reference of the form '{prefix}/<id>'",
                                      {"value": value, "prefix": prefix})
        return value

    return Annotated[str, BeforeValidator(check), WithJsonSchema({"type": "string", "pattern": pattern})]


DatasetRef = _reference("dataset")
DedupRef = _reference("dedup")
LexiconRef = _reference("lexicon")
CalendarRef = _reference("calendar")
SuiteRef = _reference("suite")
EscalationRef = _reference("escalation")
TeamRef = _reference("team")
RoleRef = _reference("role")
KpiRef = _reference("kpi")


def split_reference(ref: str) -> tuple[str, str]:
    prefix, _, ident = ref.partition("/")
    return prefix, ident


# -- metadata and envelope ---------------------------------------------------------------------


class Approval(SpecModel):
    """An approval declared with a policy-sensitive change (checked by ``kpigov diff``)."""

    team: TeamRef
    reference: Name = Field(description="Ticket, decision record or minutes that hold the approval.")
    date: Date
    scope: Literal["access", "retention", "escalation", "privacy", "breaking"] | None = None


class Metadata(SpecModel):
    id: Name = Field(description="Unique id within its kind; the naming convention is set in kpigov.yaml.")
    version: SemVer = Field(description="Semantic version of this document's meaning.")
    owner: TeamRef | None = Field(None, description="Accountable team, e.g. team/social-analytics.")
    tags: list[Name] = Field(default_factory=list)
    description: Text | None = None
    labels: dict[Name, Name] = Field(default_factory=dict)
    approvals: list[Approval] = Field(default_factory=list)


class Envelope(SpecModel):
    """``apiVersion`` / ``kind`` / ``metadata`` / ``spec``: the shape of every document."""

    KIND: ClassVar[str]

    apiVersion: Literal["kpigov/v1"]
    metadata: Metadata

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def ref(self) -> str:
        return f"{PREFIX_OF_KIND[self.KIND]}/{self.metadata.id}"
