"""Change control: compare two compiled repositories and classify every change.

Each :class:`Change` says what changed (kind of change, node, field, before -> after), which rule
classified it, and the verdict. The rules (docs/compiler.md#change-control):

- **breaking** (blocked unless the KPI's major version is bumped *and* the old definition is kept
  as a deprecated KPI with a deprecation date whose replacement is the changed KPI): measure,
  filter, source, dedup policy, lexicon, sentiment threshold, net-sentiment variant, formula,
  competitor panel or baseline; a change to a shared dedup policy, lexicon or event calendar
  (blocked unless every KPI using it bumps its major version); a removed KPI that anything still
  references; net-sentiment variants mixed in one derived KPI or one scorecard;
- **policy-sensitive** (blocked unless the changed document declares a *new* ``approvals`` entry
  from a team the *base* ``kpigov.yaml`` authorises for that scope: a change cannot approve
  itself): access broadened, retention beyond a legal maximum or below a legal minimum (or the
  limit itself loosened, or a legal hold lifted), an escalation tier removed, a public KPI's
  privacy treatment removed or weakened;
- **compatible**: metadata, new KPIs, and any other change (a warning when the version was not bumped).

Nodes are compared as manifest entries (``kind``, ``version``, ``file``, ``meaning``, ``metadata``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Literal, Mapping

from kpigov import expr
from kpigov.compiler.nodes import CompiledNode

ChangeKind = Literal["breaking", "policy-sensitive", "compatible"]
Verdict = Literal["blocked", "allowed", "warning"]
Node = Mapping[str, Any]

#: KPI fields whose change changes what the number means, and the rule each one falls under.
BREAKING_KPI_FIELDS: dict[str, str] = {
    "measure.variant": "sentiment-variant-changed",
    "measure.formula": "formula-changed",
    "measure.panel": "competitor-panel-changed",
    "measure": "measure-changed",
    "filter": "filter-changed",
    "source": "source-changed",
    "dedup": "dedup-changed",
    "sentiment.lexicon": "lexicon-changed",
    "sentiment": "sentiment-threshold-changed",
    "baseline": "baseline-changed",
}
#: Shared documents whose meaning is part of every KPI using them.
SHARED_KINDS = {"DedupPolicy": ("dedup", "dedup-policy-changed"), "Lexicon": ("lexicon", "lexicon-changed"),
                "EventCalendar": ("calendar", "baseline-calendar-changed")}


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    node: str
    field: str
    before: Any
    after: Any
    rule: str
    verdict: Verdict
    reason: str
    file: str

    @property
    def blocked(self) -> bool:
        return self.verdict == "blocked"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "field": self.field, "before": self.before, "after": self.after,
                "rule": self.rule, "verdict": self.verdict, "reason": self.reason, "file": self.file}


# -- helpers ------------------------------------------------------------------------------------


def leaf_changes(before: Any, after: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, before, after) for every differing leaf; lists compare whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            yield from leaf_changes(before.get(key), after.get(key), f"{path}.{key}" if path else key)
    elif before != after:
        yield path, before, after


def _without_cohorts(meaning: dict[str, Any]) -> dict[str, Any]:
    """An EventCalendar's meaning as baselines see it: the events without their experiment cohorts."""
    return {**meaning, "events": [{k: v for k, v in event.items() if k != "cohorts"}
                                  for event in meaning.get("events", [])]}


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _breaking_rule(field: str) -> str | None:
    for prefix, rule in BREAKING_KPI_FIELDS.items():
        if field == prefix or field.startswith(prefix + "."):
            return rule
    return None


def _breaking_view(meaning: Mapping[str, Any]) -> dict[str, Any]:
    return {name: meaning.get(name) for name in ("measure", "filter", "source", "dedup", "sentiment", "baseline")}


def _kpis(nodes: Mapping[str, Node]) -> Iterator[tuple[str, Node]]:
    return ((ref, node) for ref, node in nodes.items() if node["kind"] == "KPI")


def _variant(node: Node | None) -> str | None:
    if node is None or node["kind"] != "KPI":
        return None
    measure = node["meaning"]["measure"]
    return measure.get("variant") if measure.get("type") == "net_sentiment" else None


def formula_names(meaning: Mapping[str, Any]) -> list[str]:
    formula = meaning.get("measure", {}).get("formula")
    if not formula:
        return []
    try:
        return list(dict.fromkeys(n.name for n in expr.names(expr.parse(formula))))
    except expr.ExprError:
        return []


def _mentions(node: Node, kpi_id: str) -> bool:
    """Whether a document still refers to the KPI ``kpi_id`` (formula, replacement, decision, access)."""
    meaning = node["meaning"]
    if node["kind"] == "KPI":
        return kpi_id in formula_names(meaning) or meaning.get("replacement") == kpi_id
    if node["kind"] == "RetirementDecision":
        return kpi_id in (meaning.get("kpi"), meaning.get("replacement"))
    if node["kind"] == "AccessPolicy":
        return any(resource == f"kpi/{kpi_id}" for rule in meaning["rules"] for resource in rule["resources"])
    return False


class _Approvals:
    """Which teams the base config authorises per scope, and which approvals a change declares."""

    def __init__(self, base_policy: Mapping[str, Any], base: Mapping[str, Node]) -> None:
        self.authorised = {scope: set(teams) for scope, teams in base_policy.get("approvers", {}).items()}
        self.base = base

    def find(self, ref: str, head: Node | None, scope: str) -> str | None:
        """A description of the approval covering ``scope`` on ``ref``, or None."""
        if head is None:
            return None
        old = self.base.get(ref)
        previous = old["metadata"].get("approvals", []) if old is not None else []
        for approval in head["metadata"].get("approvals", []):
            if approval in previous or approval.get("scope") not in (None, scope):
                continue
            if approval["team"] in self.authorised.get(scope, set()):
                return f"approved by {approval['team']} ({approval['reference']}, {approval['date']})"
        return None

    def verdict(self, ref: str, head: Node | None, scope: str) -> tuple[Verdict, str]:
        found = self.find(ref, head, scope)
        if found:
            return "allowed", found
        teams = ", ".join(sorted(self.authorised.get(scope, set()))) or "no team (kpigov.yaml approvers)"
        return "blocked", f"needs a new metadata.approvals entry (scope {scope}) from {teams}"


# -- the rules ----------------------------------------------------------------------------------


class _Differ:
    def __init__(self, base: Mapping[str, Node], head: Mapping[str, Node], base_policy: Mapping[str, Any]) -> None:
        self.base, self.head, self.policy = base, head, base_policy
        self.approvals = _Approvals(base_policy, base)
        self.changes: list[Change] = []

    def add(self, kind: ChangeKind, ref: str, field: str, before: Any, after: Any, rule: str, verdict: Verdict,
            reason: str) -> None:
        node = self.head.get(ref) or self.base[ref]
        self.changes.append(Change(kind, ref, field, before, after, rule, verdict, reason, node["file"]))

    def run(self) -> list[Change]:
        for ref in sorted(set(self.base) | set(self.head)):
            old, new = self.base.get(ref), self.head.get(ref)
            if old is None:
                self.added(ref, new)  # type: ignore[arg-type]
            elif new is None:
                self.removed(ref, old)
            elif _differs(old, new):
                self.changed(ref, old, new)
        self.mixed_variants()
        return self.changes

    # documents added or removed

    def added(self, ref: str, new: Node) -> None:
        if new["kind"] == "AccessPolicy":
            for rule in new["meaning"]["rules"]:
                if rule["effect"] == "allow":
                    self.access_broadened(ref, new, f"spec.rules[{rule['id']}]", None, _rule_summary(rule), "new allow rule")
        rule = "kpi-added" if new["kind"] == "KPI" else "document-added"
        self.add("compatible", ref, "(document)", None, new["version"], rule, "allowed", f"new {new['kind']}")

    def removed(self, ref: str, old: Node) -> None:
        if old["kind"] == "KPI":
            kpi_id = ref.split("/", 1)[1]
            users = sorted(r for r, node in self.head.items() if _mentions(node, kpi_id))
            if users:
                self.add("breaking", ref, "(document)", old["version"], None, "removed-kpi-referenced", "blocked",
                         f"still referenced by {', '.join(users)}")
                return
        if old["kind"] == "EscalationPolicy":
            users = [r for r, node in _kpis(self.base) if node["meaning"].get("escalation") == ref]
            missing = [r for r in users if not self.approvals.find(r, self.head.get(r), "escalation")]
            verdict: Verdict = "blocked" if missing or not users else "allowed"
            reason = (f"every KPI it served needs an escalation approval; missing on {', '.join(missing)}" if missing
                      else "no KPI carries an approval for removing it" if not users else "approved on every KPI it served")
            self.add("policy-sensitive", ref, "spec.tiers", [t["level"] for t in old["meaning"]["tiers"]], None,
                     "escalation-tier-removed", verdict, reason)
            return
        self.add("compatible", ref, "(document)", old["version"], None, f"{old['kind'].lower()}-removed", "allowed",
                 "no longer referenced")

    # documents changed

    def changed(self, ref: str, old: Node, new: Node) -> None:
        kind = new["kind"]
        classified: set[str] = set()
        if kind == "KPI":
            classified = self.kpi(ref, old, new)
        elif kind in SHARED_KINDS:
            classified = self.shared(ref, old, new)
        elif kind == "AccessPolicy":
            classified = self.access(ref, old, new)
        elif kind == "RetentionRule":
            classified = self.retention(ref, old, new)
        elif kind == "EscalationPolicy":
            classified = self.escalation(ref, old, new)
        for field, before, after in leaf_changes(old["meaning"], new["meaning"]):
            if not any(field == c or field.startswith(c + ".") for c in classified):
                bumped = old["version"] != new["version"]
                self.add("compatible", ref, f"spec.{field}", before, after, "minor-change", "allowed" if bumped else "warning",
                         "compatible" + ("" if bumped else "; the meaning changed but metadata.version did not"))
        for field, before, after in leaf_changes(old["metadata"], new["metadata"]):
            if field not in ("approvals", "version"):
                self.add("compatible", ref, f"metadata.{field}", before, after, "metadata-changed", "allowed", "metadata only")

    def kpi(self, ref: str, old: Node, new: Node) -> set[str]:
        classified: set[str] = set()
        verdict, reason = self.versioned(ref, old, new)
        for field, before, after in leaf_changes(old["meaning"], new["meaning"]):
            rule = _breaking_rule(field)
            if rule is not None:
                self.add("breaking", ref, f"spec.{field}", before, after, rule, verdict, reason)
                classified.add(field)
        before_p, after_p = old["meaning"].get("privacy"), new["meaning"].get("privacy")
        if new["meaning"].get("publication") == "public" and before_p and before_p != after_p:
            weaker = after_p is None or any(after_p.get(k, 0) > before_p.get(k, 0) for k in ("epsilon", "budget_per_period")) \
                or (before_p.get("withhold_during_crisis") and not after_p.get("withhold_during_crisis"))
            if weaker:
                verdict_p, reason_p = self.approvals.verdict(ref, new, "privacy")
                self.add("policy-sensitive", ref, "spec.privacy", before_p, after_p,
                         "privacy-removed" if after_p is None else "privacy-weakened", verdict_p, reason_p)
                classified.add("privacy")
        if old["meaning"].get("escalation") and not new["meaning"].get("escalation"):
            verdict_e, reason_e = self.approvals.verdict(ref, new, "escalation")
            self.add("policy-sensitive", ref, "spec.escalation", old["meaning"]["escalation"], None,
                     "escalation-tier-removed", verdict_e, reason_e)
            classified.add("escalation")
        return classified

    def versioned(self, ref: str, old: Node, new: Node) -> tuple[Verdict, str]:
        """A breaking KPI change is allowed with a major bump and the old definition kept, deprecated."""
        if _major(new["version"]) <= _major(old["version"]):
            return "blocked", f"needs a major version bump ({old['version']} -> {_major(old['version']) + 1}.0.0) and the " \
                              "old definition kept as a deprecated KPI with deprecation_date and replacement"
        kpi_id = ref.split("/", 1)[1]
        wanted = _breaking_view(old["meaning"])
        for other, node in _kpis(self.head):
            m = node["meaning"]
            if (m.get("status") == "deprecated" and m.get("deprecation_date") and m.get("replacement") == kpi_id
                    and _breaking_view(m) == wanted):
                return "allowed", f"major version bumped; the old definition lives on as deprecated {other}"
        return "blocked", "major version bumped, but no deprecated KPI keeps the old definition (with deprecation_date " \
                          f"and replacement: {kpi_id})"

    def shared(self, ref: str, old: Node, new: Node) -> set[str]:
        if new["kind"] == "EventCalendar" and _without_cohorts(old["meaning"]) == _without_cohorts(new["meaning"]):
            return set()  # only experiment cohorts changed: baselines read event dates, never cohorts
        field_name, rule = SHARED_KINDS[new["kind"]]
        users = sorted(r for r, node in _kpis(self.head) if _uses(node["meaning"], field_name, ref)
                       and node["meaning"].get("status") in ("active", "draft"))
        unbumped = [r for r in users if r in self.base and _major(self.head[r]["version"]) <= _major(self.base[r]["version"])]
        verdict: Verdict = "blocked" if unbumped else "allowed"
        reason = (f"changes the meaning of {len(unbumped)} KPI(s) without a major version bump: {', '.join(unbumped[:5])}"
                  + (" ..." if len(unbumped) > 5 else "")) if unbumped else f"every KPI using it bumped its major version ({len(users)})"
        changes = list(leaf_changes(old["meaning"], new["meaning"]))
        for field, before, after in changes:
            self.add("breaking", ref, f"spec.{field}", before, after, rule, verdict, reason)
        return {field for field, _, _ in changes}

    def access(self, ref: str, old: Node, new: Node) -> set[str]:
        before = {rule["id"]: rule for rule in old["meaning"]["rules"]}
        after = {rule["id"]: rule for rule in new["meaning"]["rules"]}
        for rule_id, rule in after.items():
            prior = before.get(rule_id)
            where = f"spec.rules[{rule_id}]"
            if rule["effect"] == "allow":
                if prior is None or prior["effect"] == "deny":
                    self.access_broadened(ref, new, where, _rule_summary(prior), _rule_summary(rule), "new allow rule")
                    continue
                for name in ("roles", "actions", "resources"):
                    gained = sorted(set(rule[name]) - set(prior[name]))
                    if gained:
                        self.access_broadened(ref, new, f"{where}.{name}", prior[name], rule[name], f"allows more {name}")
                if prior.get("condition") and prior.get("condition") != rule.get("condition"):
                    self.access_broadened(ref, new, f"{where}.condition", prior["condition"], rule.get("condition"),
                                          "row condition removed or changed")
                for column, mask in prior["masks"].items():
                    if rule["masks"].get(column) != mask:
                        self.access_broadened(ref, new, f"{where}.masks.{column}", mask, rule["masks"].get(column),
                                              "mask removed or changed", rule="mask-removed")
            elif prior is not None and prior["effect"] == "deny":
                for name in ("roles", "actions", "resources"):
                    lost = sorted(set(prior[name]) - set(rule[name]))
                    if lost:
                        self.access_broadened(ref, new, f"{where}.{name}", prior[name], rule[name], f"denies fewer {name}")
        for rule_id, prior in before.items():
            if prior["effect"] == "deny" and rule_id not in after:
                self.access_broadened(ref, new, f"spec.rules[{rule_id}]", _rule_summary(prior), None, "deny rule removed")
        return {"rules"}

    def access_broadened(self, ref: str, new: Node, field: str, before: Any, after: Any, what: str,
                         rule: str = "access-broadened") -> None:
        verdict, reason = self.approvals.verdict(ref, new, "access")
        self.add("policy-sensitive", ref, field, before, after, rule, verdict, f"{what}; {reason}")

    def retention(self, ref: str, old: Node, new: Node) -> set[str]:
        from kpigov.specs.base import to_timedelta

        o, n = old["meaning"], new["meaning"]
        limits = {(lim["data_class"], lim["jurisdiction"]): lim for lim in self.policy.get("retention_limits", [])}
        legal = limits.get((n["data_class"], n["jurisdiction"]), {})
        maximum, minimum = legal.get("maximum") or o.get("maximum"), legal.get("minimum") or o.get("minimum")
        verdict, reason = self.approvals.verdict(ref, new, "retention")
        found: list[tuple[str, str, str]] = []
        period = to_timedelta(n["period"])
        if n["period"] != o["period"] and maximum and period > to_timedelta(maximum):
            found.append(("period", "retention-beyond-maximum", f"longer than the legal maximum {maximum}"))
        if n["period"] != o["period"] and minimum and period < to_timedelta(minimum):
            found.append(("period", "retention-below-minimum", f"shorter than the legal minimum {minimum}"))
        if o.get("maximum") and (not n.get("maximum") or to_timedelta(n["maximum"]) > to_timedelta(o["maximum"])):
            found.append(("maximum", "retention-limit-loosened", "the rule's own legal maximum was raised or removed"))
        if o.get("minimum") and (not n.get("minimum") or to_timedelta(n["minimum"]) < to_timedelta(o["minimum"])):
            found.append(("minimum", "retention-limit-loosened", "the rule's own legal minimum was lowered or removed"))
        if o.get("legal_hold") and not n.get("legal_hold"):
            found.append(("legal_hold", "legal-hold-lifted", "the legal hold was lifted"))
        for field, rule, what in found:
            self.add("policy-sensitive", ref, f"spec.{field}", o.get(field), n.get(field), rule, verdict, f"{what}; {reason}")
        return {field for field, _, _ in found}

    def escalation(self, ref: str, old: Node, new: Node) -> set[str]:
        levels = {tier["level"]: tier for tier in new["meaning"]["tiers"]}
        removed = [tier for tier in old["meaning"]["tiers"] if tier["level"] not in levels]
        if removed:
            verdict, reason = self.approvals.verdict(ref, new, "escalation")
            self.add("policy-sensitive", ref, "spec.tiers", [t["level"] for t in old["meaning"]["tiers"]],
                     [t["level"] for t in new["meaning"]["tiers"]], "escalation-tier-removed", verdict,
                     f"tier(s) {', '.join(str(t['level']) for t in removed)} removed; {reason}")
            return {"tiers"}
        return set()

    # repository-wide rules

    def mixed_variants(self) -> None:
        """Net-sentiment variants are never comparable: not in one derived KPI, not in one scorecard."""
        for ref, node in _kpis(self.head):
            variants = {v for v in (_variant(self.head.get(f"kpi/{n}")) for n in formula_names(node["meaning"])) if v}
            if len(variants) > 1 and self._new_or_changed(ref):
                self.add("breaking", ref, "spec.measure.formula", None, sorted(variants), "mixed-sentiment-variants",
                         "blocked", f"the formula combines net-sentiment variants {', '.join(sorted(variants))}")
        base_cards = _scorecards(self.base)
        for scorecard, head_mix in _scorecards(self.head).items():
            if len(head_mix) < 2 or base_cards.get(scorecard) == head_mix:
                continue
            for variant, refs in sorted(head_mix.items()):
                for ref in refs:
                    if self._new_or_changed(ref):
                        self.add("breaking", ref, "spec.measure.variant", None, variant, "mixed-sentiment-variants", "blocked",
                                 f"scorecard '{scorecard}' would compare variants {', '.join(sorted(head_mix))}")

    def _new_or_changed(self, ref: str) -> bool:
        old = self.base.get(ref)
        return old is None or _differs(old, self.head[ref])


def _differs(old: Node, new: Node) -> bool:
    """Whether a node's own meaning or metadata changed; manifest entries compare by hash first."""
    if "meaning_hash" in old and "meaning_hash" in new:
        return old["meaning_hash"] != new["meaning_hash"] or old["metadata"] != new["metadata"]
    return old["meaning"] != new["meaning"] or old["metadata"] != new["metadata"]


def _uses(meaning: Mapping[str, Any], field_name: str, ref: str) -> bool:
    if field_name == "dedup":
        return meaning.get("dedup") == ref
    if field_name == "lexicon":
        return _get(meaning, "sentiment.lexicon") == ref
    return _get(meaning, "baseline.exclude_events") == ref


def _scorecards(nodes: Mapping[str, Node]) -> dict[str, dict[str, list[str]]]:
    """Scorecard (``metadata.labels.scorecard``, else the ``scorecard`` tag) -> variant -> active KPIs."""
    cards: dict[str, dict[str, list[str]]] = {}
    for ref, node in _kpis(nodes):
        variant = _variant(node)
        if variant is None or node["meaning"].get("status") != "active":
            continue
        metadata = node["metadata"]
        card = metadata.get("labels", {}).get("scorecard") or ("scorecard" if "scorecard" in metadata.get("tags", []) else None)
        if card:
            cards.setdefault(card, {}).setdefault(variant, []).append(ref)
    return {card: {v: sorted(refs) for v, refs in mix.items()} for card, mix in cards.items()}


def _rule_summary(rule: Mapping[str, Any] | None) -> str | None:
    if rule is None:
        return None
    return f"{rule['effect']} {','.join(rule['roles'])} {','.join(rule['actions'])} on {','.join(rule['resources'])}"


def entries_of(nodes: Mapping[str, CompiledNode]) -> dict[str, Node]:
    """Manifest-like entries for nodes that could not be compiled as a whole (a working tree that
    does not validate still shows which KPIs its changes break)."""
    return {ref: {"kind": n.kind, "version": n.version, "file": n.file, "meaning": n.meaning, "metadata": n.metadata}
            for ref, n in nodes.items()}


def diff_nodes(base: Mapping[str, Node], head: Mapping[str, Node], base_policy: Mapping[str, Any]) -> list[Change]:
    """Every change from ``base`` to ``head`` (manifest node entries), classified, in node order."""
    return _Differ(base, head, base_policy).run()


def diff_manifests(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Change]:
    """:func:`diff_nodes` over two manifests; the base manifest's policy (approvers, limits) applies."""
    if base["fingerprint"] == head["fingerprint"]:
        return []
    return diff_nodes(base["nodes"], head["nodes"], base["policy"])


__all__ = ["Change", "diff_nodes", "diff_manifests", "entries_of", "leaf_changes", "BREAKING_KPI_FIELDS"]
