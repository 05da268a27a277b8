"""Benchmark: compiling a large governance repository, incrementally, and diffing manifests (issue 3).

Reuses the 10,000-KPI + 2,000-policy repository of ``bench_validate.py`` and times, in one run
(ratios are what count on a shared machine):

- the bare C-accelerated YAML parse of every file (the baseline),
- ``kpigov validate`` (``kpigov.load``),
- a cold ``compile_repo`` (no cache): target <= 1.2x validate,
- a recompile with nothing changed, and after changing one KPI file: target <= 0.3 s or <= 5% of
  the cold compile, whichever is larger,
- ``diff_manifests`` of the two manifests (before/after the one-file change): target <= 1 s.

Usage: python bench/bench_compile.py [--kpis 10000] [--policies 2000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ruamel.yaml import YAML  # noqa: E402

import kpigov  # noqa: E402
from bench.bench_validate import bare_parse, make_repository, timed  # noqa: E402
from kpigov.compiler import CACHE_DIR, compile_repo  # noqa: E402
from kpigov.compiler.diff import diff_manifests  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kpis", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        make_repository(repo, args.kpis, args.policies)
        files = sorted(p for d in ("kpi_specs", "policies", "expectations") for p in (repo / d).rglob("*.yaml"))
        print(f"repository: {len(files)} files ({args.kpis} KPIs + {args.policies} policies)")
        kpigov.load(ROOT)  # warm imports
        results: dict[str, float] = {}
        results["bare C safe parse"] = timed(lambda: bare_parse(files, lambda: YAML(typ="safe", pure=False)))
        results["kpigov validate"] = timed(lambda: kpigov.load(repo))

        def cold() -> None:
            shutil.rmtree(repo / CACHE_DIR, ignore_errors=True)
            compiled, project = compile_repo(repo)
            assert compiled is not None, [str(d) for d in list(project.diagnostics)[:5]]

        results["cold compile"] = timed(cold)
        before, _ = compile_repo(repo)
        results["recompile, nothing changed"] = timed(lambda: compile_repo(repo))
        target = repo / "kpi_specs" / "generated" / "kpi_3" / "kpi_3141.yaml"
        text = target.read_text(encoding="utf-8")
        step = iter(range(1, 100))

        def one_file() -> None:
            target.write_text(text.replace("likes >= ", f"likes >= {next(step)}"), encoding="utf-8")
            compiled, project = compile_repo(repo)
            assert compiled is not None, [str(d) for d in list(project.diagnostics)[:5]]

        results["recompile, one KPI changed"] = timed(one_file, repeat=3)
        after, _ = compile_repo(repo)
        assert before is not None and after is not None
        base_manifest, head_manifest = before.manifest, after.manifest  # decoded once, outside the timing
        changes: list[object] = []
        results["diff of two manifests"] = timed(lambda: changes.extend(diff_manifests(base_manifest, head_manifest)))
        base, validate, cold_s = results["bare C safe parse"], results["kpigov validate"], results["cold compile"]
        for name, seconds in results.items():
            print(f"  {name:28s} {seconds:7.3f} s  {seconds / base:6.3f}x bare parse  {seconds / validate:6.3f}x validate")
        one = results["recompile, one KPI changed"]
        budget = max(0.3, 0.05 * cold_s)
        print(f"  cold compile / validate = {cold_s / validate:.2f} (target <= 1.2)")
        print(f"  one-file recompile = {one:.3f} s, budget max(0.3 s, 5% of cold = {0.05 * cold_s:.3f} s) = {budget:.3f} s "
              f"-> {'ok' if one <= budget else 'OVER'}")
        print(f"  diff = {results['diff of two manifests']:.3f} s (target <= 1 s), {len(changes)} change(s) found")


if __name__ == "__main__":
    main()
