"""Kinds that describe data: Dataset, DedupPolicy, Lexicon, EventCalendar (with experiment cohorts)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, TypeAdapter, ValidatorFunctionWrapHandler, WrapValidator

from kpigov.specs.base import DatasetRef, Date, Duration, Envelope, Name, SpecModel, Text
from kpigov.specs.kpi import Platform

ColumnType = Literal["string", "integer", "float", "boolean", "timestamp", "date"]
DataClass = Literal["public", "internal", "pseudonymous", "personal_data", "user_content", "aggregate", "audit"]


class Column(SpecModel):
    name: Name
    type: ColumnType
    data_class: DataClass = "internal"
    description: Text | None = None
    nullable: bool = True


class Provenance(SpecModel):
    """Where the rows come from."""

    kind: Literal["platform_api", "vendor", "internal_system", "generated"]
    vendor: Literal["brandwatch", "sprinklr", "talkwalker", "meltwater"] | None = None
    platforms: list[Platform] = Field(default_factory=list)
    terms: Text | None = Field(None, description="Platform or vendor terms that bind the data (e.g. deletion sync).")


class Freshness(SpecModel):
    max_age: Duration = Field(description="Newest row must be at most this old at evaluation time.")


class DatasetSpec(SpecModel):
    role: Literal["mentions", "outcomes", "results", "audit"]
    table: Name = Field(description="Table in the store.")
    series: Name | None = Field(None, description="For outcome datasets: the series name in the outcomes table.")
    columns: list[Column] = Field(min_length=1)
    provenance: Provenance
    freshness: Freshness | None = None
    fallback: DatasetRef | None = Field(None, description="Dataset used when this source is in an outage.")


class Dataset(Envelope):
    KIND: ClassVar[str] = "Dataset"
    kind: Literal["Dataset"]
    spec: DatasetSpec


class CrossPlatformRule(SpecModel):
    window: Duration = Field(description="Same normalised text on different platforms within this window is one mention.")
    min_text_length: int = Field(20, ge=0, description="Shorter texts are never collapsed by text.")


class BotRule(SpecModel):
    max_followers: int | None = Field(None, ge=0, description="Accounts with at most this many followers are bots.")
    max_posts: int | None = Field(None, ge=0, description="Accounts with more posts than this are bots.")
    min_account_age: Duration | None = Field(None, description="Accounts younger than this are bots.")
    handle_patterns: list[Name] = Field(default_factory=list, description="Regular expressions on the handle (spam).")
    max_link_ratio: float | None = Field(
        None, ge=0, le=1,
        description="Accounts with more than this share of their stored posts holding a link are spam (all their posts).")
    # Added after the first release: left out of dumps while unset, so the meaning (and fingerprint)
    # of every policy that does not use it stays what it was (kpigov diff sees no change).
    link_ratio_min_posts: int | None = Field(
        None, ge=1, exclude_if=lambda value: value is None,
        description="Accounts with fewer stored posts than this are not judged by max_link_ratio; "
                    "unset: judged from their first post.")


class CoordinationRule(SpecModel):
    """Coordinated inauthentic behaviour: distinct accounts posting near-identical text together."""

    min_accounts: int = Field(ge=2)
    window: Duration
    min_similarity: float = Field(0.9, gt=0, le=1)


class EmployeeRule(SpecModel):
    handles: list[Name] = Field(default_factory=list)
    handle_patterns: list[Name] = Field(default_factory=list)


class DedupPolicySpec(SpecModel):
    """Which collected rows are distinct, authentic mentions (flags are stored, rows never deleted)."""

    reposts: Literal["collapse", "count"] = "collapse"
    quotes: Literal["collapse", "count"] = "count"
    cross_platform: CrossPlatformRule | None = None
    bots: BotRule | None = None
    coordination: CoordinationRule | None = None
    employees: EmployeeRule | None = None


class DedupPolicy(Envelope):
    KIND: ClassVar[str] = "DedupPolicy"
    kind: Literal["DedupPolicy"]
    spec: DedupPolicySpec


class LexiconSpec(SpecModel):
    """Domain terms with valence overrides (VADER scale −4…+4) on top of a base lexicon."""

    base: Literal["vader"] = "vader"
    language: Name = "en"
    positive_at: float = Field(0.05, ge=-1, le=1)
    negative_at: float = Field(-0.05, ge=-1, le=1)
    terms: dict[Name, float] = Field(default_factory=dict)


class Lexicon(Envelope):
    KIND: ClassVar[str] = "Lexicon"
    kind: Literal["Lexicon"]
    spec: LexiconSpec


class Cohort(SpecModel):
    """One arm of an experiment: the mentions that meet ``where`` during the event."""

    id: Name = Field(description="Unique within its event; `kpigov compare --cohorts` names it.")
    where: Text = Field(description="Condition on mention columns in the expression language, "
                                    "e.g. \"geo in ('GB', 'IE')\".")
    description: Text | None = None


_NAME: TypeAdapter[str] = TypeAdapter(Name)


def _cohort_or_name(value: Any, _handler: ValidatorFunctionWrapHandler) -> Any:
    """A string is the old bare-name form, anything else must be a Cohort: one branch's errors, never both.

    Bare names stay loadable (a warning, not an error) so that revisions written before cohorts had
    conditions still validate as the base of ``kpigov diff``; ``kpigov compare`` refuses them.
    """
    if isinstance(value, str):
        return _NAME.validate_python(value)
    return Cohort.model_validate(value)


class Event(SpecModel):
    id: Name
    name: Text
    type: Literal["launch", "crisis", "campaign", "experiment", "holiday"]
    start: Date
    end: Date
    entity: Name | None = None
    cohorts: list[Annotated[Cohort | Name, WrapValidator(_cohort_or_name)]] = Field(
        default_factory=list, description="For experiments: the cohorts compared (at least two), each "
                                          "`{id, where}`; a bare name (the old form) has no condition and cannot be compared.")

    @property
    def cohort_ids(self) -> list[str]:
        return [cohort if isinstance(cohort, str) else cohort.id for cohort in self.cohorts]


class EventCalendarSpec(SpecModel):
    events: list[Event] = Field(default_factory=list)


class EventCalendar(Envelope):
    KIND: ClassVar[str] = "EventCalendar"
    kind: Literal["EventCalendar"]
    spec: EventCalendarSpec
