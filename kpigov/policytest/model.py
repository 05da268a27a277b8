"""What a policy-test author writes: a ``PolicyTest`` document of cases, each one input and one expectation.

The shape follows Cerbos ``_test.yaml`` files: a fixed clock (``now``), named ``principals``, then
``cases``. A case names what it asks by its input key (``access``, ``route``, ``retention`` or
``kpi``) and states what it ``expect``s. Each case is validated against the model its input key
selects (:data:`CASE_MODELS`), one case at a time, so an error is located inside that case rather
than reported as "none of four shapes matched".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from kpigov.specs.base import Duration, Name, SpecModel, TeamRef, Text


def _instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("kg_date", "'{value}' is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)",
                                      {"value": value}) from None
        if parsed.tzinfo is not None:
            raise PydanticCustomError("kg_date", "'{value}' carries a time zone; write UTC without one",
                                      {"value": value})
        return parsed
    return value


#: A naive UTC date-time written ``YYYY-MM-DDTHH:MM:SS`` (the store's timestamps are naive UTC).
Instant = Annotated[datetime, BeforeValidator(_instant), WithJsonSchema({"type": "string", "format": "date-time"})]


# -- access --------------------------------------------------------------------------------------

class AccessRequest(SpecModel):
    principal: Name = Field(description="A principal declared under spec.principals.")
    action: Literal["read", "export", "read_raw", "publish"]
    resource: Name = Field(description="dataset/<id>, dataset/<id>:<column> or kpi/<id>.")
    row: dict[Name, str | int | float | bool | None] | None = Field(
        None, description="A concrete row: conditional rules are judged on it.")


class AccessExpectation(SpecModel):
    effect: Literal["allow", "deny"]
    rule: Name | None = Field(None, description="Id of the rule that decides; 'default' for the default deny.")
    masks: dict[Name, Literal["hash", "redact", "null", "truncate"]] | None = Field(
        None, description="The exact column masks of an allow (omit to not check them).")
    hidden: list[Name] | None = Field(None, description="The exact columns hidden from a dataset read.")


class AccessCase(SpecModel):
    name: Name
    access: AccessRequest
    expect: AccessExpectation


# -- escalation routing ----------------------------------------------------------------------------

class AlertInput(SpecModel):
    kpi: Name = Field(description="KPI id the alert is about.")
    trigger: Literal["band_breach", "spike", "negative_cluster", "quality_failure", "withheld"]
    band: Literal["green", "amber", "red"] | None = None
    detector: Name | None = None
    topic: Name | None = None
    cluster_size: int | None = Field(None, ge=0)


class RouteRequest(SpecModel):
    alert: AlertInput


class ExpectedTier(SpecModel):
    level: int = Field(ge=1)
    team: TeamRef
    channel: Literal["email", "chat", "pager", "ticket"] | None = None
    after: Duration | None = Field(None, description="When this tier is notified, counted from now.")


class RouteExpectation(SpecModel):
    routed: bool = Field(True, description="false: no trigger of the KPI's policy covers the alert.")
    policy: Name | None = Field(None, description="escalation/<id> that routes the alert.")
    severity: Literal["low", "medium", "high", "critical"] | None = None
    tiers: list[ExpectedTier] | None = Field(None, description="The exact tiers, in order.")


class RouteCase(SpecModel):
    name: Name
    route: RouteRequest
    expect: RouteExpectation


# -- retention -----------------------------------------------------------------------------------

class RetentionRequest(SpecModel):
    subject: Name = Field(description="A data class, dataset/<id>:<column>, <id>.<column> or dataset/<id>.")


class RetentionExpectation(SpecModel):
    period: Duration | None = None
    action: Literal["delete", "anonymize", "aggregate"] | None = None
    legal_hold: bool | None = None
    rule: Name | None = Field(None, description="retention/<id> of the governing rule.")
    data_class: Name | None = None


class RetentionCase(SpecModel):
    name: Name
    retention: RetentionRequest
    expect: RetentionExpectation


# -- KPI value -----------------------------------------------------------------------------------

MentionRow = dict[Name, str | int | float | bool | None]


class KpiRequest(SpecModel):
    id: Name = Field(description="KPI id, e.g. brand.customer.mention_volume.")
    mentions: list[MentionRow] = Field(description="Rows of the mentions table; omitted columns get defaults.")


class KpiExpectation(SpecModel):
    status: Literal["ok", "withheld", "not_comparable", "no_data", "error"] = "ok"
    value: float | int | None = None
    tolerance: float | int = Field(1e-9, ge=0, description="Largest accepted |value - expected|.")
    band: Literal["green", "amber", "red"] | None = None


class KpiCase(SpecModel):
    name: Name
    kpi: KpiRequest
    expect: KpiExpectation


Case = AccessCase | RouteCase | RetentionCase | KpiCase
#: The case model each input key selects.
CASE_MODELS: dict[str, type[AccessCase] | type[RouteCase] | type[RetentionCase] | type[KpiCase]] = {
    "access": AccessCase, "route": RouteCase, "retention": RetentionCase, "kpi": KpiCase,
}


# -- the document --------------------------------------------------------------------------------

class PolicyTestMetadata(SpecModel):
    id: Name
    description: Text | None = None


class PolicyTestSpec(SpecModel):
    now: Instant = Field(description="The fixed clock: alerts are raised and KPIs evaluated as of it.")
    principals: dict[Name, list[Name]] = Field(
        default_factory=dict, description="Named principals: role ids, role refs or member contacts each holds.")
    cases: list[dict[Name, Any]] = Field(min_length=1, description="Validated one by one: see CASE_MODELS.")


class PolicyTest(SpecModel):
    KIND: ClassVar[str] = "PolicyTest"

    apiVersion: Literal["kpigov/v1"]
    kind: Literal["PolicyTest"]
    metadata: PolicyTestMetadata
    spec: PolicyTestSpec


__all__ = ["AccessCase", "AccessExpectation", "AccessRequest", "AlertInput", "CASE_MODELS", "Case", "ExpectedTier",
           "Instant", "KpiCase", "KpiExpectation", "KpiRequest", "MentionRow", "PolicyTest",
           "PolicyTestSpec", "RetentionCase", "RetentionExpectation", "RetentionRequest", "RouteCase",
           "RouteExpectation", "RouteRequest"]
