"""Access decisions compiled into dict lookups: default deny, deny overrides allow.

Resources are ``dataset/<id>``, ``dataset/<id>:<column>`` and ``kpi/<id>``; a rule resource may end
in ``*`` (a prefix). A request matches a rule when one of the principal's roles and the action are
the rule's and a rule resource equals the request, is a prefix pattern of it, or (for a column)
names the column's dataset: a grant on a dataset covers its columns.

Merging the matched rules (:func:`merge`), the same for the table and the naive scan:

* any unconditional deny → deny; no allow → deny (default);
* otherwise allow, with a :class:`RowFilter`: rows some allow condition admits (all rows when an
  allow is unconditional) and no conditional deny claims;
* masks: per column, the strictest mask of every allowing rule (least privilege, and the answer
  does not depend on which rule came first);
* a dataset read hides (never selects) every column a column-level deny names for the principal.

Rules are ordered canonically by (policy, rule id), so permuting files or rules changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple

from kpigov import expr
from kpigov.diagnostics import Location
from kpigov.specs.policy import AccessRule

Mask = Literal["hash", "redact", "null", "truncate"]
#: Stricter masks reveal less; two allowing rules masking one column keep the stricter.
MASK_STRICTNESS: Final[Mapping[str, int]] = MappingProxyType({"truncate": 1, "hash": 2, "redact": 3, "null": 4})
_NO_MASKS: Final[Mapping[str, str]] = MappingProxyType({})
_MAX_MEMO: Final = 200_000


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    """An access rule ready for matching; ``location`` is where it was written. Compared by identity."""

    policy: str
    id: str
    effect: Literal["allow", "deny"]
    roles: frozenset[str]
    actions: frozenset[str]
    resources: tuple[str, ...]
    condition: expr.Expr | None
    condition_text: str | None
    masks: Mapping[str, str]
    log: bool
    location: Location
    #: The condition compiled once to a Python closure (rows are judged with it, never re-parsed).
    evaluator: expr.Evaluator | None = field(default=None, repr=False)

    @property
    def order(self) -> tuple[str, str]:
        return self.policy, self.id

    @classmethod
    def from_spec(cls, policy: str, rule: AccessRule, location: Location) -> CompiledRule:
        condition = expr.parse(rule.condition) if rule.condition is not None else None
        return cls(policy, rule.id, rule.effect, frozenset(rule.roles), frozenset(rule.actions), tuple(rule.resources),
                   condition, rule.condition, MappingProxyType(dict(rule.masks)), rule.log, location,
                   expr.compile_python(condition) if condition is not None else None)

    def covers(self, resource: str) -> bool:
        """Whether one of the rule's resources matches ``resource`` (used by the naive scan only)."""
        dataset = resource.partition(":")[0]
        return any(_pattern_matches(pattern, resource) or (dataset != resource and pattern == dataset)
                   for pattern in self.resources)


def _pattern_matches(pattern: str, resource: str) -> bool:
    return resource.startswith(pattern[:-1]) if pattern.endswith("*") else pattern == resource


def _evaluator(rule: CompiledRule) -> expr.Evaluator:
    assert rule.condition is not None
    return rule.evaluator or expr.compile_python(rule.condition)


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Which rows a conditional decision admits: one ``allow_if`` rule's condition holds and no
    ``deny_if`` rule's does.

    An empty ``allow_if`` admits every row (an unconditional allow matched). Conditions keep SQL's
    three-valued logic: a condition that is NULL on a row neither admits nor claims it.
    """

    allow_if: tuple[CompiledRule, ...]
    deny_if: tuple[CompiledRule, ...]
    _allow: tuple[expr.Evaluator, ...] = field(repr=False, compare=False)
    _deny: tuple[expr.Evaluator, ...] = field(repr=False, compare=False)

    @classmethod
    def of(cls, allow_if: Iterable[CompiledRule], deny_if: Iterable[CompiledRule]) -> RowFilter:
        allows = tuple(sorted(set(allow_if), key=lambda r: r.order))
        denies = tuple(sorted(set(deny_if), key=lambda r: r.order))
        return cls(allows, denies, tuple(_evaluator(r) for r in allows if r.condition),
                   tuple(_evaluator(r) for r in denies if r.condition))

    def judge(self, row: Mapping[str, Any]) -> tuple[bool, CompiledRule | None]:
        """Whether ``row`` is admitted, and the rule that decided it (None: no allow condition held)."""
        for rule, claims in zip(self.deny_if, self._deny, strict=True):
            if claims(row) is True:
                return False, rule
        if not self._allow:
            return True, None
        for rule, admits in zip(self.allow_if, self._allow, strict=True):
            if admits(row) is True:
                return True, rule
        return False, None

    def to_sqlalchemy(self, columns: Mapping[str, Any]) -> Any:
        """The filter as a SQLAlchemy boolean over ``columns`` (bound parameters only)."""
        import sqlalchemy as sa

        compiled = expr.to_sqlalchemy  # type: ignore[attr-defined]
        clause = sa.or_(*(compiled(r.condition, columns) for r in self.allow_if)) if self.allow_if else sa.true()
        if self.deny_if:
            claimed = sa.or_(*(compiled(r.condition, columns) for r in self.deny_if))
            clause = sa.and_(clause, sa.not_(sa.func.coalesce(claimed, sa.false())))
        return clause

    def describe(self) -> dict[str, list[str]]:
        return {"allow_if": [str(r.condition_text) for r in self.allow_if],
                "deny_if": [str(r.condition_text) for r in self.deny_if]}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say about one (roles, action, resource): shared by every identical request."""

    allowed: bool
    rule: CompiledRule | None
    masks: Mapping[str, str]
    hidden: frozenset[str]
    row_filter: RowFilter | None
    log: bool


_DEFAULT_DENY: Final = Verdict(False, None, _NO_MASKS, frozenset(), None, False)


class Decision(NamedTuple):
    """One answered request. ``rule`` decided it (None: default deny); ``decision_id`` names it in logs.

    A NamedTuple, not a frozen dataclass: one is built per request, and a frozen dataclass's
    ``__init__`` costs about a microsecond of the 2 us budget.
    """

    verdict: Verdict
    roles: frozenset[str]
    action: str
    resource: str
    decision_id: str

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def effect(self) -> Literal["allow", "deny"]:
        return "allow" if self.verdict.allowed else "deny"

    @property
    def rule(self) -> CompiledRule | None:
        return self.verdict.rule

    @property
    def masks(self) -> Mapping[str, str]:
        return self.verdict.masks

    @property
    def hidden(self) -> frozenset[str]:
        return self.verdict.hidden

    @property
    def row_filter(self) -> RowFilter | None:
        return self.verdict.row_filter

    def to_json(self) -> dict[str, Any]:
        rule = self.rule
        return {
            "decision_id": self.decision_id, "effect": self.effect, "action": self.action, "resource": self.resource,
            "roles": sorted(self.roles),
            "rule": None if rule is None else {"policy": rule.policy, "id": rule.id, "location": str(rule.location)},
            "masks": dict(sorted(self.masks.items())), "hidden": sorted(self.hidden),
            "row_filter": None if self.row_filter is None else self.row_filter.describe(),
        }


def merge(matched: Iterable[CompiledRule], hidden: frozenset[str] = frozenset(), column: str | None = None) -> Verdict:
    """The verdict of the rules matching a request (see the module docstring); pure and order-free."""
    rules = sorted(set(matched), key=lambda r: r.order)
    denies = [r for r in rules if r.effect == "deny"]
    hard_deny = next((r for r in denies if r.condition is None), None)
    if hard_deny is not None:
        return Verdict(False, hard_deny, _NO_MASKS, frozenset(), None, hard_deny.log)
    allows = [r for r in rules if r.effect == "allow"]
    if not allows:
        return _DEFAULT_DENY
    masks: dict[str, str] = {}
    for rule in allows:
        for name, mask in rule.masks.items():
            if (column is None or name == column) and name not in hidden:
                if MASK_STRICTNESS[mask] > MASK_STRICTNESS.get(masks.get(name, ""), 0):
                    masks[name] = mask
    unconditional = any(r.condition is None for r in allows)
    row_filter = None
    if denies or not unconditional:
        row_filter = RowFilter.of(() if unconditional else allows, denies)
    chosen = next((r for r in allows if r.condition is None), allows[0])
    return Verdict(True, chosen, MappingProxyType(dict(sorted(masks.items()))), hidden, row_filter,
                   any(r.log for r in rules))


def on_row(verdict: Verdict, row: Mapping[str, Any]) -> Verdict:
    """The verdict for one concrete row: a conditional allow becomes allow or deny by its conditions."""
    if not verdict.allowed or verdict.row_filter is None:
        return verdict
    admitted, rule = verdict.row_filter.judge(row)
    if admitted:
        return Verdict(True, rule or verdict.rule, verdict.masks, verdict.hidden, None, verdict.log)
    return Verdict(False, rule, _NO_MASKS, frozenset(), None, verdict.log)


class RuleTable:
    """Rules indexed by what a request names first: (action, resource), (action, dataset) and
    (action, wildcard prefix).

    A decision is a memo lookup; on a miss, one lookup per key the resource can match (the
    resource, its dataset for a column, one per distinct wildcard prefix length), then a role test
    on the few rules found, then :func:`merge`. Most requests match no rule at all and end after
    those lookups, whatever the number of roles the principal holds.
    """

    def __init__(self, rules: Iterable[CompiledRule], datasets: Mapping[str, Sequence[str]]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(sorted(rules, key=lambda r: r.order))
        exact: dict[tuple[str, str], list[CompiledRule]] = {}
        prefixed: dict[tuple[str, str], list[CompiledRule]] = {}
        hidden: dict[tuple[str, str], list[tuple[frozenset[str], str]]] = {}
        for rule in self.rules:
            for resource in rule.resources:
                bucket, key = (prefixed, resource[:-1]) if resource.endswith("*") else (exact, resource)
                for action in rule.actions:
                    bucket.setdefault((action, key), []).append(rule)
                if rule.effect == "deny":
                    for dataset, column in _columns_named(resource, datasets):
                        for action in rule.actions:
                            hidden.setdefault((action, dataset), []).append((rule.roles, column))
        self._exact = {key: tuple(found) for key, found in exact.items()}
        self._prefixed = {key: tuple(found) for key, found in prefixed.items()}
        self._prefix_lengths = tuple(sorted({len(key[1]) for key in prefixed}))
        self._hidden = {key: tuple(found) for key, found in hidden.items()}
        self._memo: dict[tuple[frozenset[str], str, str], Verdict] = {}

    def verdict(self, roles: frozenset[str], action: str, resource: str) -> Verdict:
        key = (roles, action, resource)
        found = self._memo.get(key)
        if found is None:
            found = self.decide(roles, action, resource)
            if len(self._memo) >= _MAX_MEMO:
                self._memo.clear()
            self._memo[key] = found
        return found

    def decide(self, roles: frozenset[str], action: str, resource: str) -> Verdict:
        """The verdict computed from the index, without the memo (what a first request costs)."""
        dataset, colon, column = resource.partition(":")
        candidates = self._exact.get((action, resource), ())
        if colon:
            candidates += self._exact.get((action, dataset), ())
        for length in self._prefix_lengths:
            if length > len(resource):
                break
            candidates += self._prefixed.get((action, resource[:length]), ())
        matched = [rule for rule in candidates if not roles.isdisjoint(rule.roles)]
        if not matched:
            return _DEFAULT_DENY
        hidden = frozenset() if colon else frozenset(
            name for rule_roles, name in self._hidden.get((action, resource), ()) if not roles.isdisjoint(rule_roles))
        return merge(matched, hidden, column if colon else None)


def scan(rules: Iterable[CompiledRule], roles: frozenset[str], action: str, resource: str,
         datasets: Mapping[str, Sequence[str]]) -> Verdict:
    """The same verdict by a naive scan over every rule: the reference the table is tested and benched against."""
    dataset, colon, column = resource.partition(":")
    matched: list[CompiledRule] = []
    hidden: set[str] = set()
    for rule in rules:
        if roles.isdisjoint(rule.roles) or action not in rule.actions:
            continue
        if rule.covers(resource):
            matched.append(rule)
        if not colon and rule.effect == "deny":
            hidden.update(c for pattern in rule.resources for d, c in _columns_named(pattern, datasets) if d == resource)
    if not matched:
        return _DEFAULT_DENY
    return merge(matched, frozenset(hidden), column if colon else None)


def _columns_named(pattern: str, datasets: Mapping[str, Sequence[str]]) -> Iterable[tuple[str, str]]:
    """The (dataset, column) pairs a column-level pattern (``dataset/d:c``, ``dataset/d:c*``) names."""
    dataset, colon, column = pattern.partition(":")
    if not colon:
        return ()
    if column.endswith("*"):
        return ((dataset, c) for c in datasets.get(dataset, ()) if c.startswith(column[:-1]))
    return ((dataset, column),)


__all__ = ["CompiledRule", "Decision", "MASK_STRICTNESS", "Mask", "RowFilter", "RuleTable", "Verdict", "merge", "on_row", "scan"]
