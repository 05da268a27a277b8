"""Runtime decision speed: 1,000 access rules, 100 roles, 10,000 resources.

Prints, measured in the same run on the same requests:

- compile time of the rules (spec -> CompiledRule -> RuleTable; target <= 1 s);
- per-decision latency p50/p99 of the in-process path Governance.check_access takes (principal
  resolution, table lookup, Decision with its id), warm (memo filled) and cold (memo bypassed);
  targets p50 <= 2 us, p99 <= 10 us;
- the same decisions by a naive scan over the rule list, and the ratio to it.

Numbers only, no pass/fail. Each latency is one perf_counter_ns pair around one call, so it includes
~50-100 ns of timer overhead.

    python bench/bench_runtime.py [--requests 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable

from kpigov.diagnostics import Location
from kpigov.runtime.access import CompiledRule, Decision, RuleTable, Verdict, scan
from kpigov.runtime.principals import RoleDirectory
from kpigov.specs.org import Role
from kpigov.specs.policy import AccessRule

ROLES, RULES, DATASETS, COLUMNS = 100, 1000, 100, 99  # 100 datasets + 9,900 columns = 10,000 resources
ACTIONS = ("read", "export", "read_raw", "publish")


def build(rng: random.Random) -> tuple[list[AccessRule], dict[str, list[str]], list[str], list[Role]]:
    datasets = {f"dataset/d{d}": [f"c{c}" for c in range(COLUMNS)] for d in range(DATASETS)}
    resources = [*datasets, *(f"{d}:{c}" for d, cols in datasets.items() for c in cols)]
    roles = [Role.model_validate({"apiVersion": "kpigov/v1", "kind": "Role", "metadata": {"id": f"r{i}", "version": "1.0.0"},
                                  "spec": {"inherits": [f"role/r{i - 1}"] if i % 10 else []}}) for i in range(ROLES)]
    rules = []
    for i in range(RULES):
        effect = "deny" if rng.random() < 0.15 else "allow"
        picked = rng.sample(resources, rng.randint(1, 5))
        if rng.random() < 0.1:
            picked[0] = picked[0].partition(":")[0] + ":c1*"
        rules.append(AccessRule.model_validate({
            "id": f"rule-{i}", "effect": effect, "roles": [f"role/r{rng.randrange(ROLES)}" for _ in range(rng.randint(1, 3))],
            "actions": rng.sample(ACTIONS, rng.randint(1, 2)), "resources": picked,
            "condition": "entity = 'stridewell' and likes > 3" if rng.random() < 0.1 else None,
            "masks": {"c0": "hash", "c5": "null"} if effect == "allow" and rng.random() < 0.3 else {}}))
    return rules, datasets, resources, roles


def latencies(call: Callable[[str, str, str], object], requests: list[tuple[str, str, str]]) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for principal, action, resource in requests:
        start = clock()
        call(principal, action, resource)
        out.append(clock() - start)
    return out


def report(name: str, values: list[int]) -> float:
    ordered = sorted(values)
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]
    print(f"{name:<34} p50 {p50 / 1000:8.2f} us   p99 {p99 / 1000:8.2f} us   mean {statistics.fmean(values) / 1000:8.2f} us")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    specs, datasets, resources, roles = build(rng)

    start = time.perf_counter()
    rules = [CompiledRule.from_spec("access/bench", rule, Location("policies/bench.yaml", i + 1, 7))
             for i, rule in enumerate(specs)]
    table = RuleTable(rules, datasets)
    directory = RoleDirectory(roles, [])
    compile_s = time.perf_counter() - start
    print(f"{RULES} rules, {ROLES} roles, {len(resources)} resources: compile {compile_s * 1000:.0f} ms (target <= 1000 ms)")

    requests = [(f"r{rng.randrange(ROLES)}", rng.choice(ACTIONS), rng.choice(resources)) for _ in range(args.requests)]
    ids = itertools.count(1)

    def governed(principal: str, action: str, resource: str) -> Decision:  # the body of Governance._decide
        roles = directory.resolve(principal)
        return Decision(table.verdict(roles, action, resource), roles, action, resource, f"bench-{next(ids)}")

    def cold(principal: str, action: str, resource: str) -> Verdict:
        return table.decide(directory.resolve(principal), action, resource)

    def naive(principal: str, action: str, resource: str) -> Verdict:
        return scan(rules, directory.resolve(principal), action, resource, datasets)

    for request in requests:  # fill the memo, as a long-running service would be after warm-up
        governed(*request)
    allowed = sum(governed(*r).allowed for r in requests)
    print(f"{args.requests} requests, {allowed} allowed")
    warm = report("check (warm, memo)", latencies(governed, requests))
    first = report("check (cold, table lookups)", latencies(cold, requests))
    sample = requests[: max(1, args.requests // 20)]
    slow = report(f"naive scan ({len(sample)} requests)", latencies(naive, sample))
    print(f"naive scan / table: warm {slow / warm:.0f}x, cold {slow / first:.0f}x (p50)")


if __name__ == "__main__":
    main()
