"""Request and response bodies of the HTTP service: bounded, so bad input is a 422, never a 500."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: Most decisions one batch request may ask for (the body size limit applies as well).
MAX_BATCH = 1_000

Name = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Principal = Name | Annotated[list[Name], Field(min_length=1, max_length=64)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccessRequest(Body):
    principal: Principal = Field(description="A role, team or user name, or several (their roles are combined).")
    action: Name = Field(description="read | export | read_raw | publish")
    resource: Name = Field(description="dataset/<id>, dataset/<id>:<column> or kpi/<id>")
    row: dict[Name, Any] | None = Field(None, max_length=256, description="Judge row conditions on this row.")


class AccessBatch(Body):
    requests: list[AccessRequest] = Field(min_length=1, max_length=MAX_BATCH)


class RuleRef(BaseModel):
    policy: str
    id: str
    location: str


class DecisionOut(BaseModel):
    decision_id: str
    effect: Literal["allow", "deny"]
    action: str
    resource: str
    roles: list[str]
    rule: RuleRef | None
    masks: dict[str, str]
    hidden: list[str]
    row_filter: dict[str, list[str]] | None


class DecisionAnswer(BaseModel):
    fingerprint: str
    decision: DecisionOut


class DecisionBatchAnswer(BaseModel):
    fingerprint: str
    decisions: list[DecisionOut]


class RetentionTermOut(BaseModel):
    rule: str
    data_class: str
    period: str
    action: str
    when: str
    legal_basis: str
    jurisdiction: str
    legal_hold: bool
    location: str


class RetentionAnswer(BaseModel):
    fingerprint: str
    subject: str
    data_class: str | None
    period: str | None
    action: str | None
    legal_hold: bool
    terms: list[RetentionTermOut]


class LastValueOut(BaseModel):
    run_id: str
    period_start: str
    period_end: str
    status: str
    value: float | None
    band: str | None
    reason: str | None


class KpiAnswerOut(BaseModel):
    fingerprint: str
    id: str
    version: str
    status: str
    owner: str | None
    definition: str
    location: str
    kpi_fingerprint: str
    last: LastValueOut | None
    lineage: dict[str, str | None]
    caveats: list[str]
    trustworthy: bool


class Health(BaseModel):
    status: Literal["ok"]
    fingerprint: str


class Readiness(BaseModel):
    ready: bool
    fingerprint: str
    store: Literal["none", "reachable", "unreachable"]
    problems: list[str]


class Problem(BaseModel):
    """Every error response: what was wrong, and which rules answered."""

    error: str
    detail: Any = None
    fingerprint: str
