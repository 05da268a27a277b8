"""Policy kinds: who is alerted (EscalationPolicy), how long data is kept (RetentionRule), who may
read what (AccessPolicy)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from kpigov.specs.base import Duration, Envelope, Name, RoleRef, SpecModel, TeamRef, Text
from kpigov.specs.data import DataClass


class Trigger(SpecModel):
    """What raises an alert routed by this policy."""

    type: Literal["band_breach", "spike", "negative_cluster", "quality_failure", "withheld"]
    bands: list[Literal["amber", "red"]] = Field(default_factory=list, description="For band_breach.")
    detectors: list[Name] = Field(default_factory=list, description="For spike: detector ids (empty = any).")
    min_cluster_size: int | None = Field(None, ge=2, description="For negative_cluster: mentions in one cluster.")
    window: Duration | None = Field(None, description="For negative_cluster: time window of the cluster.")
    topics: list[Name] = Field(default_factory=list, description="Only alerts about these topics (empty = any).")


class Tier(SpecModel):
    level: int = Field(ge=1)
    team: TeamRef
    escalate_after: Duration = Field(description="Time without acknowledgement before the next tier is alerted.")
    channel: Literal["email", "chat", "pager", "ticket"] = "chat"
    note: Text | None = None


class EscalationPolicySpec(SpecModel):
    triggers: list[Trigger] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    severity: Literal["low", "medium", "high", "critical"] = "medium"


class EscalationPolicy(Envelope):
    KIND: ClassVar[str] = "EscalationPolicy"
    kind: Literal["EscalationPolicy"]
    spec: EscalationPolicySpec


class RetentionRuleSpec(SpecModel):
    data_class: DataClass
    datasets: list[Name] = Field(default_factory=list, description="Dataset refs it is limited to (empty = all).")
    period: Duration
    action: Literal["delete", "anonymize", "aggregate"]
    legal_basis: Text
    jurisdiction: Name
    legal_hold: bool = False
    minimum: Duration | None = Field(None, description="Legal minimum retention (e.g. audit records).")
    maximum: Duration | None = Field(None, description="Legal maximum retention (e.g. personal data).")
    when: Literal["age", "deleted_at_source"] = Field(
        "age", description="deleted_at_source expresses platform terms: remove posts deleted at the source.")


class RetentionRule(Envelope):
    KIND: ClassVar[str] = "RetentionRule"
    kind: Literal["RetentionRule"]
    spec: RetentionRuleSpec


class AccessRule(SpecModel):
    """Allow or deny roles an action on resources, optionally under a condition, with masks.

    Resources: ``dataset/<id>``, ``dataset/<id>:<column>``, ``kpi/<id>`` with ``*`` as a trailing
    wildcard (``kpi/*``, ``dataset/mentions:*``).
    """

    id: Name
    effect: Literal["allow", "deny"]
    roles: list[RoleRef] = Field(min_length=1)
    actions: list[Literal["read", "export", "read_raw", "publish"]] = Field(min_length=1)
    resources: list[Name] = Field(min_length=1)
    condition: Text | None = Field(None, description="Row condition over the dataset's columns.")
    masks: dict[Name, Literal["hash", "redact", "null", "truncate"]] = Field(
        default_factory=dict, description="Column masks applied when this rule allows a read.")
    log: bool = Field(False, description="Log decisions made by this rule to the audit trail.")


class AccessPolicySpec(SpecModel):
    rules: list[AccessRule] = Field(min_length=1)


class AccessPolicy(Envelope):
    KIND: ClassVar[str] = "AccessPolicy"
    kind: Literal["AccessPolicy"]
    spec: AccessPolicySpec
