"""The rule table against its naive-scan reference and the metamorphic laws of the access model.

Rule sets are generated over a small universe so wildcards, column grants, conditions and masks
collide often: default deny, deny-overrides-allow and order independence must hold for all of them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kpigov.diagnostics import Location
from kpigov.runtime.access import CompiledRule, RuleTable, Verdict, scan
from kpigov.specs.policy import AccessRule

ROLES = ("role/r0", "role/r1", "role/r2")
ACTIONS = ("read", "export")
DATASETS = {"dataset/d0": ["c0", "c1", "x0"], "dataset/d1": ["c0"]}
PATTERNS = ("dataset/d0", "dataset/d0:c0", "dataset/d0:c1", "dataset/d0:c*", "dataset/d0:*", "dataset/d1",
            "dataset/d1:c0", "dataset/*", "kpi/*", "kpi/a.b", "kpi/a.*")
REQUESTS = ("dataset/d0", "dataset/d0:c0", "dataset/d0:c1", "dataset/d0:x0", "dataset/d1", "dataset/d1:c0",
            "dataset/d2", "kpi/a.b", "kpi/a.c", "kpi/b.a", "other/x")
CONDITIONS = (None, None, "c0 = 'x'", "c1 > 3 or c0 is null", "not (c0 in ('a', 'b'))")
MASKS = ("hash", "redact", "null", "truncate")

rule_specs = st.fixed_dictionaries({
    "effect": st.sampled_from(["allow", "deny"]),
    "roles": st.lists(st.sampled_from(ROLES), min_size=1, max_size=2, unique=True),
    "actions": st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2, unique=True),
    "resources": st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3, unique=True),
    "condition": st.sampled_from(CONDITIONS),
    "masks": st.dictionaries(st.sampled_from(["c0", "c1"]), st.sampled_from(MASKS), max_size=2),
})


def compile_rules(specs: Sequence[dict[str, Any]], policy: str = "access/p") -> list[CompiledRule]:
    rules = []
    for i, spec in enumerate(specs):
        masks = spec["masks"] if spec["effect"] == "allow" else {}
        rule = AccessRule.model_validate({**spec, "masks": masks, "id": f"rule-{i}"})
        rules.append(CompiledRule.from_spec(policy, rule, Location("policies/p.yaml", i + 1, 1)))
    return rules


def summary(verdict: Verdict) -> tuple[Any, ...]:
    """What a caller can observe of a verdict, independent of object identity."""
    row_filter = verdict.row_filter.describe() if verdict.row_filter else None
    return (verdict.allowed, verdict.rule.order if verdict.rule else None, dict(verdict.masks),
            sorted(verdict.hidden), row_filter, verdict.log)


def all_requests() -> list[tuple[frozenset[str], str, str]]:
    role_sets = [frozenset([r]) for r in ROLES] + [frozenset(ROLES[:2]), frozenset()]
    return [(roles, action, resource) for roles in role_sets for action in ACTIONS for resource in REQUESTS]


@settings(max_examples=150, deadline=None)
@given(st.lists(rule_specs, min_size=1, max_size=8))
def test_table_agrees_with_the_naive_scan(specs: list[dict[str, Any]]) -> None:
    rules = compile_rules(specs)
    table = RuleTable(rules, DATASETS)
    for roles, action, resource in all_requests():
        assert summary(table.decide(roles, action, resource)) == summary(scan(rules, roles, action, resource, DATASETS)), (
            roles, action, resource)


@settings(max_examples=100, deadline=None)
@given(st.lists(rule_specs, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_permuting_rules_changes_no_decision(specs: list[dict[str, Any]], rng: random.Random) -> None:
    rules = compile_rules(specs)
    shuffled = rules[:]
    rng.shuffle(shuffled)
    first, second = RuleTable(rules, DATASETS), RuleTable(shuffled, DATASETS)
    for request in all_requests():
        assert summary(first.verdict(*request)) == summary(second.verdict(*request))


@settings(max_examples=100, deadline=None)
@given(st.lists(rule_specs, min_size=1, max_size=8))
def test_every_unmatched_request_is_denied(specs: list[dict[str, Any]]) -> None:
    rules = compile_rules(specs)
    table = RuleTable(rules, DATASETS)
    for roles, action, resource in all_requests():
        if not any(r for r in rules if not roles.isdisjoint(r.roles) and action in r.actions and r.covers(resource)):
            verdict = table.verdict(roles, action, resource)
            assert not verdict.allowed and verdict.rule is None


@settings(max_examples=100, deadline=None)
@given(st.lists(rule_specs, min_size=1, max_size=8), st.sampled_from(ROLES), st.sampled_from(ACTIONS),
       st.sampled_from(REQUESTS))
def test_a_deny_beside_an_allow_denies(specs: list[dict[str, Any]], role: str, action: str, resource: str) -> None:
    deny = {"effect": "deny", "roles": [role], "actions": [action], "resources": [resource], "condition": None,
            "masks": {}}
    rules = compile_rules([*specs, deny])
    verdict = RuleTable(rules, DATASETS).verdict(frozenset([role]), action, resource)
    assert not verdict.allowed
    assert verdict.rule is not None and verdict.rule.effect == "deny"


def test_masks_of_several_allows_keep_the_strictest() -> None:
    specs = [{"effect": "allow", "roles": ["role/r0"], "actions": ["read"], "resources": ["dataset/d0"],
              "condition": None, "masks": {"c0": "truncate", "c1": "null"}},
             {"effect": "allow", "roles": ["role/r1"], "actions": ["read"], "resources": ["dataset/d0"],
              "condition": None, "masks": {"c0": "hash"}}]
    verdict = RuleTable(compile_rules(specs), DATASETS).verdict(frozenset(["role/r0", "role/r1"]), "read", "dataset/d0")
    assert dict(verdict.masks) == {"c0": "hash", "c1": "null"}


def test_column_denies_hide_columns_from_dataset_reads() -> None:
    specs = [{"effect": "allow", "roles": ["role/r0"], "actions": ["export"], "resources": ["dataset/d0"],
              "condition": None, "masks": {"c0": "hash"}},
             {"effect": "deny", "roles": ["role/r0"], "actions": ["export"], "resources": ["dataset/d0:c*"],
              "condition": None, "masks": {}}]
    table = RuleTable(compile_rules(specs), DATASETS)
    verdict = table.verdict(frozenset(["role/r0"]), "export", "dataset/d0")
    assert verdict.allowed and verdict.hidden == {"c0", "c1"} and dict(verdict.masks) == {}
    assert not table.verdict(frozenset(["role/r0"]), "export", "dataset/d0:c1").allowed
    assert table.verdict(frozenset(["role/r0"]), "export", "dataset/d0:x0").allowed
