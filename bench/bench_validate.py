"""Benchmark: validating a large governance repository (issue: foundation).

Generates a repository of 10,000 KPIs + 2,000 policy documents (files of ~1 KB, like the example's),
then times, in the same run (machines are noisy; ratios are what count):

- ``kpigov.load`` (full validation: loader, typed specs, semantic checks),
- a bare ruamel round-trip parse of the same files (``YAML()`` load),
- a bare C-accelerated safe parse (``YAML(typ="safe", pure=False)`` load).

Targets: validation <= 2x the round-trip parse (end goal <= 1.5x the C parse). Then every golden
bad-input case is validated in its own process, reporting its time and peak RSS (targets: <= 1 s,
<= 256 MiB each).

Usage: python bench/bench_validate.py [--kpis 10000] [--policies 2000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ruamel.yaml import YAML  # noqa: E402

import kpigov  # noqa: E402

KPI = """apiVersion: kpigov/v1
kind: KPI
metadata:
  id: brand.customer.kpi_{i}
  version: 1.{m}.0
  owner: team/social-analytics
  tags: [scorecard, customer, generated]
  description: Generated KPI {i} for the validation benchmark.
spec:
  perspective: customer
  indicator: leading
  polarity: higher_is_better
  unit: count
  frequency: weekly
  review: quarterly
  status: active
  source: dataset/mentions
  filter: "entity = 'stridewell' and not is_bot and not is_employee and likes >= {m}"
  dedup: dedup/default
  sentiment: {{lexicon: lexicon/brand-domain, positive_at: 0.05, negative_at: -0.05}}
  measure: {{type: sentiment_adjusted_volume, label: negative}}
  baseline: {{window: P8W, seasonality: weekly, exclude_events: calendar/launches}}
  bands: {{green: ">= 100", amber: ">= 50", red: "< 50"}}
  quality_gates: [suite/mentions-core]
  escalation: escalation/brand-negative-cluster
  footnotes: ["Private groups and direct messages are not collected."]
  outcomes: [dataset/weekly-sales]
"""

POLICY = """apiVersion: kpigov/v1
kind: AccessPolicy
metadata:
  id: generated-access-{i}
  version: 1.0.0
  owner: team/data-protection
  description: Generated access policy {i}.
spec:
  rules:
    - id: analysts-{i}
      effect: allow
      roles: [role/analyst]
      actions: [read]
      resources: [dataset/mentions]
      condition: "topic = 'topic_{i}' and likes > {i}"
      masks: {{author_handle: hash, author_id: hash}}
    - id: deny-export-{i}
      effect: deny
      roles: [role/care-agent]
      actions: [export]
      resources: ['dataset/mentions:author_handle']
"""


def make_repository(target: Path, kpis: int, policies: int) -> list[Path]:
    for part in ("kpigov.yaml", "kpi_specs", "policies", "expectations"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target / part)
    files = []
    for i in range(kpis):
        path = target / "kpi_specs" / "generated" / f"kpi_{i // 1000}" / f"kpi_{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(KPI.format(i=i, m=i % 7), encoding="utf-8")
        files.append(path)
    for i in range(policies):
        path = target / "policies" / "generated" / f"access_{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(POLICY.format(i=i), encoding="utf-8")
        files.append(path)
    return files


def timed(fn, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bare_parse(files: list[Path], yaml_factory) -> None:  # type: ignore[no-untyped-def]
    for path in files:
        list(yaml_factory().load_all(path.read_text(encoding="utf-8")))


CASE_SCRIPT = """
import resource, sys, time
sys.path.insert(0, {root!r})
import kpigov
from tests.conftest import copy_example
from pathlib import Path
repo = Path(sys.argv[1])
started = time.perf_counter()
project = kpigov.load(repo)
elapsed = time.perf_counter() - started
print(f"{{elapsed:.3f}} {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}} {{len(project.diagnostics)}}")
"""


def bad_cases() -> None:
    cases_dir = ROOT / "tests" / "cases" / "validate"
    sys.path.insert(0, str(ROOT))
    from tests.conftest import copy_example

    worst_time, worst_rss = 0.0, 0
    script = CASE_SCRIPT.format(root=str(ROOT))
    rows = []
    for case in sorted(cases_dir.rglob("*.yaml")):
        with tempfile.TemporaryDirectory() as tmp:
            repo = copy_example(Path(tmp) / "repo")
            rel = case.relative_to(cases_dir)
            target = repo / "kpigov.yaml" if rel.parts[0] == "config" else repo / rel
            target.write_bytes(case.read_bytes())
            out = subprocess.run([sys.executable, "-c", script, str(repo)], capture_output=True, text=True, check=True)
            seconds, rss, count = out.stdout.split()
            rows.append((str(rel), float(seconds), int(rss)))
            worst_time, worst_rss = max(worst_time, float(seconds)), max(worst_rss, int(rss))
    slowest = sorted(rows, key=lambda r: -r[1])[:3]
    print(f"bad-input cases: {len(rows)}; worst load time {worst_time:.3f} s (target <= 1 s), "
          f"worst peak RSS {worst_rss} MiB per process incl. interpreter (target <= 256 MiB)")
    print("  slowest: " + ", ".join(f"{name} {t:.3f}s" for name, t, _ in slowest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kpis", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=2_000)
    parser.add_argument("--skip-cases", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        files = make_repository(repo, args.kpis, args.policies)
        all_files = sorted(p for d in ("kpi_specs", "policies", "expectations") for p in (repo / d).rglob("*.yaml"))
        size = sum(p.stat().st_size for p in all_files)
        print(f"repository: {len(all_files)} files, {size / 1e6:.1f} MB ({args.kpis} KPIs + {args.policies} policies)")
        kpigov.load(ROOT)  # warm imports so the first timing does not pay them
        results: dict[str, float] = {}
        project = None

        def run_validate() -> None:
            nonlocal project
            project = kpigov.load(repo)

        results["kpigov validate"] = timed(run_validate)
        results["ruamel round-trip parse"] = timed(lambda: bare_parse(all_files, YAML))
        results["ruamel C safe parse"] = timed(lambda: bare_parse(all_files, lambda: YAML(typ="safe", pure=False)))
        assert project is not None and project.ok, [str(d) for d in list(project.diagnostics)[:5]]
        base_rt, base_c = results["ruamel round-trip parse"], results["ruamel C safe parse"]
        for name, seconds in results.items():
            print(f"  {name:26s} {seconds:7.2f} s   {seconds / base_rt:5.2f}x round-trip   {seconds / base_c:5.2f}x C-safe")
        print(f"  documents validated: {len(project.specs)}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
        del files
    if not args.skip_cases:
        bad_cases()


if __name__ == "__main__":
    main()
