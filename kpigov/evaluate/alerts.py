"""Alerts and their routing through an EscalationPolicy, as pure functions over the spec.

:func:`route` answers "who is told, on which channel, and when does it escalate" for one alert:
tier 1 at the moment the alert is raised, each next tier ``escalate_after`` of the tier before it
later, unless acknowledged (acknowledgement is the delivery side's business). Routing names
*teams*: brand KPIs measure the brand, never an employee's performance, so no alert carries a
person. The runtime service reuses these functions unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from kpigov.specs.base import to_timedelta
from kpigov.specs.policy import EscalationPolicy, Trigger

TriggerType = Literal["band_breach", "spike", "negative_cluster", "quality_failure", "withheld"]


@dataclass(frozen=True, slots=True)
class Alert:
    """Something a run found that a team may need to act on."""

    kpi_id: str
    trigger: TriggerType
    summary: str
    band: str | None = None
    detector: str | None = None
    topic: str | None = None
    cluster_size: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TierRoute:
    level: int
    team: str
    channel: str
    notify_at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RoutedAlert:
    alert: Alert
    policy: str
    severity: str
    raised_at: datetime
    tiers: tuple[TierRoute, ...]

    def to_json(self) -> dict[str, Any]:
        a = self.alert
        return {
            "kpi": a.kpi_id, "trigger": a.trigger, "summary": a.summary, "band": a.band, "detector": a.detector,
            "topic": a.topic, "cluster_size": a.cluster_size, "detail": dict(a.detail), "policy": self.policy,
            "severity": self.severity, "raised_at": self.raised_at.isoformat(),
            "tiers": [{"level": t.level, "team": t.team, "channel": t.channel, "notify_at": t.notify_at.isoformat(),
                       "note": t.note} for t in self.tiers],
        }


def matches(trigger: Trigger, alert: Alert) -> bool:
    """Whether ``trigger`` covers ``alert`` (empty lists in a trigger mean "any")."""
    if trigger.type != alert.trigger:
        return False
    if trigger.topics and alert.topic not in trigger.topics:
        return False
    if trigger.type == "band_breach":
        return not trigger.bands or alert.band in trigger.bands
    if trigger.type == "spike":
        return not trigger.detectors or alert.detector in trigger.detectors
    if trigger.type == "negative_cluster":
        return trigger.min_cluster_size is None or (alert.cluster_size or 0) >= trigger.min_cluster_size
    return True


def route(alert: Alert, policy: EscalationPolicy, raised_at: datetime) -> RoutedAlert | None:
    """The tiers ``alert`` goes to under ``policy``, or None when no trigger of the policy covers it."""
    if not any(matches(trigger, alert) for trigger in policy.spec.triggers):
        return None
    tiers: list[TierRoute] = []
    notify_at = raised_at
    for tier in sorted(policy.spec.tiers, key=lambda t: t.level):
        tiers.append(TierRoute(tier.level, tier.team, tier.channel, notify_at, tier.note))
        notify_at = notify_at + to_timedelta(tier.escalate_after)
    return RoutedAlert(alert, policy.ref, policy.spec.severity, raised_at, tuple(tiers))


def route_all(alerts: Iterable[Alert], policy_of: Mapping[str, EscalationPolicy], raised_at: datetime) -> list[RoutedAlert]:
    """Route every alert through its KPI's policy (``policy_of``: KPI id → policy); unrouted ones are dropped."""
    routed = []
    for alert in alerts:
        policy = policy_of.get(alert.kpi_id)
        found = route(alert, policy, raised_at) if policy is not None else None
        if found is not None:
            routed.append(found)
    return routed
