"""Benchmark: compiling a large governance repository, incrementally, and diffing manifests (issue 3).

Reuses the 10,000-KPI + 2,000-policy repository of ``bench_validate.py`` and times, in one run
(ratios are what count on a shared machine):

- the bare C-accelerated YAML parse of every file (the baseline),
- ``kpigov validate`` (``kpigov.load``),
- a cold ``compile_repo`` (no cache): target <= 1.2x validate,
- a recompile with nothing changed, and after changing one KPI file (the best of three; each
  appends a record to the cache's journal): target <= 0.3 s or <= 5% of the cold compile,
  whichever is larger,
- the occasional one-file recompile that compacts the journal (rewrites the whole cache snapshot;
  once the journal reaches ``JOURNAL_LIMIT`` of it, i.e. after hundreds of one-file edits),
- ``diff_manifests`` of the two manifests (before/after the one-file change): target <= 1 s.

``--baseline REV`` also times validate and the compiles with kpigov as it is at Git revision REV
(extracted with ``git archive``, run in a subprocess on the same repository), so a speed change is
measured before and after in the same run.

Usage: python bench/bench_compile.py [--kpis 10000] [--policies 2000] [--baseline HEAD]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_timings(repo: Path, kpis: int) -> dict[str, float]:
    """Validate, cold compile, no-change and one-KPI-change recompiles of ``repo`` with the kpigov on sys.path."""
    import kpigov
    from bench.bench_validate import timed
    from kpigov.compiler import CACHE_DIR, compile_repo

    kpigov.load(ROOT)  # warm imports
    results = {"kpigov validate": timed(lambda: kpigov.load(repo))}

    def cold() -> None:
        shutil.rmtree(repo / CACHE_DIR, ignore_errors=True)
        compiled, project = compile_repo(repo)
        assert compiled is not None, [str(d) for d in list(project.diagnostics)[:5]]

    results["cold compile"] = timed(cold)
    compile_repo(repo)
    results["recompile, nothing changed"] = timed(lambda: compile_repo(repo), repeat=3)
    edited = min(3141, kpis - 1)  # a generated KPI that exists whatever --kpis is
    target = repo / "kpi_specs" / "generated" / f"kpi_{edited // 1000}" / f"kpi_{edited}.yaml"
    text = target.read_text(encoding="utf-8")
    step = iter(range(1, 100))

    def one_file() -> None:
        target.write_text(text.replace("likes >= ", f"likes >= {next(step)}"), encoding="utf-8")
        compiled, project = compile_repo(repo)
        assert compiled is not None, [str(d) for d in list(project.diagnostics)[:5]]

    results["recompile, one KPI changed"] = timed(one_file, repeat=3)
    from kpigov.compiler import cache

    if hasattr(cache, "JOURNAL_LIMIT"):  # not in kpigov before the journal (--baseline)
        limit, cache.JOURNAL_LIMIT = cache.JOURNAL_LIMIT, 0.0
        try:
            results["one KPI changed, compacting"] = timed(one_file)
        finally:
            cache.JOURNAL_LIMIT = limit
    target.write_text(text, encoding="utf-8")
    return results


def baseline_timings(rev: str, repo: Path, kpis: int) -> dict[str, float]:
    """:func:`compile_timings` with kpigov as of ``rev``, in a subprocess (its own imports)."""
    with tempfile.TemporaryDirectory() as code:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "kpigov"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", code], input=archive, check=True)
        script = (f"import sys, json; sys.path[:0] = [{code!r}, {str(ROOT)!r}]; "
                  f"from bench.bench_compile import compile_timings; "
                  f"print(json.dumps(compile_timings(__import__('pathlib').Path({str(repo)!r}), {kpis})))")
        done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(label: str, results: dict[str, float], base: float) -> None:
    validate, cold_s, one = results["kpigov validate"], results["cold compile"], results["recompile, one KPI changed"]
    print(label)
    for name, seconds in results.items():
        print(f"  {name:28s} {seconds:7.3f} s  {seconds / base:6.3f}x bare parse  {seconds / validate:6.3f}x validate")
    budget = max(0.3, 0.05 * cold_s)
    print(f"  cold compile / validate = {cold_s / validate:.2f} (target <= 1.2)")
    print(f"  one-file recompile = {one:.3f} s = {one / cold_s:.1%} of cold, budget max(0.3 s, 5% of cold = "
          f"{0.05 * cold_s:.3f} s) = {budget:.3f} s -> {'ok' if one <= budget else 'OVER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kpis", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=2_000)
    parser.add_argument("--baseline", metavar="REV", help="also time kpigov as of this Git revision (e.g. HEAD)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from ruamel.yaml import YAML

    from bench.bench_validate import bare_parse, make_repository, timed
    from kpigov.compiler import compile_repo
    from kpigov.compiler.diff import diff_manifests

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        make_repository(repo, args.kpis, args.policies)
        files = sorted(p for d in ("kpi_specs", "policies", "expectations") for p in (repo / d).rglob("*.yaml"))
        print(f"repository: {len(files)} files ({args.kpis} KPIs + {args.policies} policies)")
        base = timed(lambda: bare_parse(files, lambda: YAML(typ="safe", pure=False)))
        print(f"  bare C safe parse            {base:7.3f} s")
        if args.baseline:
            report(f"kpigov at {args.baseline}:", baseline_timings(args.baseline, repo, args.kpis), base)
        results = compile_timings(repo, args.kpis)
        report("kpigov in this working tree:", results, base)

        before, _ = compile_repo(repo)
        target = repo / "kpi_specs" / "generated" / f"kpi_{min(3141, args.kpis - 1) // 1000}"
        edited = sorted(target.glob("*.yaml"))[0]
        edited.write_text(edited.read_text(encoding="utf-8").replace("likes >= ", "likes >= 9"), encoding="utf-8")
        after, _ = compile_repo(repo)
        assert before is not None and after is not None
        base_manifest, head_manifest = before.manifest, after.manifest  # decoded once, outside the timing
        changes: list[object] = []
        seconds = timed(lambda: changes.extend(diff_manifests(base_manifest, head_manifest)))
        print(f"  diff of two manifests = {seconds:.3f} s (target <= 1 s), {len(changes)} change(s) found")


if __name__ == "__main__":
    main()
