"""Organisation kinds: Team, Role, and the RetirementDecision a review board takes."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from kpigov.specs.base import Date, Envelope, Name, RoleRef, SpecModel, TeamRef, Text


class Member(SpecModel):
    name: Name
    contact: Name
    on_call: bool = False


class TeamSpec(SpecModel):
    function: Literal["pr", "customer_service", "product", "legal", "executive", "analytics",
                      "data_protection", "marketing", "engineering"]
    members: list[Member] = Field(default_factory=list)
    channel: Name | None = Field(None, description="Where alerts for this team go (chat channel, mailbox).")


class Team(Envelope):
    KIND: ClassVar[str] = "Team"
    kind: Literal["Team"]
    spec: TeamSpec


class RoleSpec(SpecModel):
    teams: list[TeamRef] = Field(default_factory=list, description="Members of these teams hold the role.")
    inherits: list[RoleRef] = Field(default_factory=list)
    description: Text | None = None


class Role(Envelope):
    KIND: ClassVar[str] = "Role"
    kind: Literal["Role"]
    spec: RoleSpec


class RetirementDecisionSpec(SpecModel):
    kpi: Name = Field(description="Id of the KPI decided on.")
    decision: Literal["retire", "keep", "revise"]
    reason: Text
    evidence: dict[Name, Any] = Field(default_factory=dict)
    decided_by: TeamRef
    date: Date
    effective_date: Date | None = Field(None, description="From this date the KPI is retired (not evaluated).")
    replacement: Name | None = None


class RetirementDecision(Envelope):
    KIND: ClassVar[str] = "RetirementDecision"
    kind: Literal["RetirementDecision"]
    spec: RetirementDecisionSpec
