"""Throughput of kpigov's sentiment scorer against plain VADER, measured in the same run.

    .venv/bin/python bench/bench_sentiment.py [--texts 100000] [--workers N]

The corpus is the 4,200 VADER ground-truth tweets (or, without ../shared/data, a small built-in
synthetic corpus), each copy suffixed with a number so that every text has its own hash and
neither VADER nor kpigov's dedup can skip work. Plain VADER runs in one process; kpigov runs with
a sneaker lexicon's overrides on every available core. The target is at least one VADER per core.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from kpigov.sentiment import SentimentScorer

GROUND_TRUTH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vader-groundtruth" / "tweets_GroundTruth.txt"
OVERRIDES = {"sick": 2.0, "fire": 2.2, "drop": 0.3, "bricks": -2.0, "sold out": 1.0}
SYNTHETIC = [
    f"{opener} {product} {verdict}{ending}"
    for opener, product, verdict, ending in itertools.product(
        ["ngl", "Honestly", "@anonymous", "lol", "Just got"],
        ["the Aero 2", "these runners", "my new kicks", "the restock"],
        ["are sick", "feel like bricks", "are NOT comfortable", "sold out in minutes", "are okay I guess"],
        ["!!", ".", " :)", " http://url_removed", "?"],
    )
]


def corpus(size: int) -> tuple[list[str], str]:
    if GROUND_TRUTH.is_file():
        base = [line.split("\t")[2] for line in GROUND_TRUTH.read_text(encoding="utf-8").splitlines() if line]
        source = f"{len(base):,} VADER ground-truth tweets"
    else:
        base, source = SYNTHETIC, f"{len(SYNTHETIC)} built-in synthetic texts (../shared/data absent)"
    return [f"{base[i % len(base)]} #{i // len(base)}" for i in range(size)], source


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f} texts/s ({seconds:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    texts, source = corpus(args.texts)
    print(f"corpus: {len(texts):,} distinct texts from {source}; workers: {args.workers}")

    started = time.perf_counter()
    scorers = [SentimentScorer(OVERRIDES) for _ in range(200)]
    print(f"build a scorer with {len(OVERRIDES)} overrides: {(time.perf_counter() - started) / len(scorers) * 1e3:.2f} ms")

    analyzer = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for text in texts:
        analyzer.polarity_scores(text)
    vader_seconds = time.perf_counter() - started

    scorer = SentimentScorer(OVERRIDES)
    started = time.perf_counter()
    scorer.score_texts(texts, workers=1)
    serial_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scorer.score_texts(texts, workers=args.workers)
    parallel_seconds = time.perf_counter() - started

    print(f"plain VADER, 1 process:                 {rate(len(texts), vader_seconds)}")
    print(f"kpigov + overrides, 1 process:          {rate(len(texts), serial_seconds)}")
    print(f"kpigov + overrides, {args.workers} workers (pool incl.): {rate(len(texts), parallel_seconds)}")
    print(f"ratio kpigov 1 process / VADER: {vader_seconds / serial_seconds:.2f}x")
    print(f"ratio kpigov {args.workers} workers / VADER: {vader_seconds / parallel_seconds:.2f}x (target >= {args.workers:.1f}x)")


if __name__ == "__main__":
    main()
