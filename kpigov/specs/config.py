"""The repository config, ``kpigov.yaml``: conventions, required metadata, approvers, defaults."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from kpigov.specs.base import Duration, Name, SpecModel, TeamRef, Text

#: Default naming conventions: dotted lowercase ids for KPIs (domain.perspective.name), kebab-case
#: for everything else. A repository overrides them per kind in kpigov.yaml.
DEFAULT_NAMING: dict[str, str] = {
    "KPI": r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,3}$",
    "*": r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
}


class RetentionLimit(SpecModel):
    data_class: Name
    jurisdiction: Name
    minimum: Duration | None = None
    maximum: Duration | None = None


class ReviewCriteria(SpecModel):
    """When ``kpigov review`` recommends retiring a KPI."""

    retire_below_abs_r: float = Field(0.2, ge=0, le=1)
    quarters: int = Field(3, ge=1)
    max_lag_periods: int = Field(4, ge=0)
    max_withheld_share: float = Field(0.25, ge=0, le=1)


#: What the store's ``mentions.entity`` column holds: a short lowercase id, never a display name.
EntityId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class EntitySpec(SpecModel):
    """A tracked brand or competitor, and how a mention that carries no entity is recognised as about it."""

    name: Text = Field(description="Display name, e.g. 'Stridewell'.")
    keywords: list[Name] = Field(min_length=1, description="Words naming it in a text (whole words, any case).")
    handles: list[Name] = Field(default_factory=list, description="Its own accounts, without '@'; '@handle' names it too.")


class LineageConfig(SpecModel):
    """Where OpenLineage events go (``kpigov.lineage``). ``$OPENLINEAGE_URL`` selects HTTP too; keys stay in the environment."""

    namespace: Name = Field("kpigov", description="OpenLineage job namespace of this repository's jobs.")
    transport: Literal["file", "http"] = Field("file", description="`file`: JSON lines; `http`: a backend such as Marquez.")
    file: Name = Field(".kpigov/lineage/events.jsonl", description="Events file of the file transport (relative to the repository).")
    url: Name | None = Field(None, description="Base URL of the lineage backend (http transport), e.g. http://marquez:5000.")
    endpoint: Name = Field("api/v1/lineage", description="Path of the lineage endpoint under `url`.")
    timeout_seconds: float = Field(2.0, gt=0, le=60, description="HTTP timeout; no retries: undelivered events are spilled.")
    spill: Name = Field(".kpigov/lineage/spill.jsonl", description="Where undelivered events wait for `kpigov lineage flush`.")


class ConfigSpec(SpecModel):
    naming: dict[Name, Name] = Field(default_factory=dict, description="Kind (or '*') -> id regular expression.")
    required_tags: dict[Name, list[Name]] = Field(default_factory=dict, description="Kind -> tags every document needs.")
    required_metadata: dict[Name, list[Literal["owner", "description", "tags"]]] = Field(default_factory=dict)
    approvers: dict[Literal["access", "retention", "escalation", "privacy", "breaking"], list[TeamRef]] = Field(
        default_factory=dict, description="Which teams may approve policy-sensitive changes.")
    retention_limits: list[RetentionLimit] = Field(default_factory=list)
    review: ReviewCriteria = ReviewCriteria()
    entities: dict[EntityId, EntitySpec] = Field(
        default_factory=dict, description="Tracked entities by id: the values of the mentions' `entity` column.")
    lineage: LineageConfig = LineageConfig()
    store: Name | None = Field(None, description="Default store URL (no credentials: use KPIGOV_STORE_URL for those).")
    max_file_bytes: int = Field(256 * 1024, ge=1024, le=16 * 1024 * 1024)
    max_depth: int = Field(32, ge=4, le=256)


class Config(SpecModel):
    KIND: ClassVar[str] = "Config"
    apiVersion: Literal["kpigov/v1"]
    kind: Literal["Config"]
    spec: ConfigSpec = ConfigSpec()

    def naming_pattern(self, kind: str) -> str:
        merged = {**DEFAULT_NAMING, **self.spec.naming}
        return merged.get(kind, merged["*"])
