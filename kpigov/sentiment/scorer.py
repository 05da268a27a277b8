"""Score mention texts with VADER plus a governance repository's domain lexicon overrides.

A scorer is identified by its ``fingerprint``, stored next to every score it produces
(``mentions.lexicon_fingerprint``), so a KPI can tell scores from different lexicons apart and a
lexicon edit re-scores exactly what it must. Scoring is deduplicated by the text's sha256 and
spread over processes for large inputs: every text is scored once, by one process.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
from collections.abc import Mapping, MutableMapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import MappingProxyType
from typing import Literal

from kpigov.sentiment import _vader

Label = Literal["positive", "neutral", "negative"]

#: Below this many distinct uncached texts, starting worker processes costs more than it saves.
PARALLEL_MIN_TEXTS = 20_000
#: Chunks per worker: enough to even out uneven chunks, few enough that IPC stays negligible.
_CHUNKS_PER_WORKER = 4
#: VADER valences are human ratings on a -4..+4 scale; an override outside it is a typo.
_VALENCE_LIMIT = 4.0

_NO_OVERRIDES: Mapping[str, float] = MappingProxyType({})


def text_sha256(text: str) -> str:
    """The cache key of ``text``: sha256 of its exact UTF-8 bytes (VADER reads case and punctuation)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class SentimentScorer:
    """VADER compound scores under a domain lexicon, labelled with configurable thresholds.

    ``overrides`` maps a lowercase term to a VADER valence (-4..+4): it replaces VADER's value
    for a word it knows (``"sick": 2.0`` for a sneaker brand) or adds one it does not
    (``"bricks": -2.0``); ``0.0`` makes a word neutral. A term of several words (``"sold out"``)
    is matched on consecutive tokens and scored as a single lexicon item, so "not sold out"
    negates it like any word. Each scorer owns its lexicon copy: VADER's module state and other
    scorers never see its overrides. Building one copies VADER's 7,500-entry lexicon (about 1 ms).
    """

    def __init__(
        self,
        overrides: Mapping[str, float] = _NO_OVERRIDES,
        *,
        positive_at: float = 0.05,
        negative_at: float = -0.05,
        base: Literal["vader"] = "vader",
    ) -> None:
        if base != "vader":
            raise ValueError(f"unknown sentiment base {base!r}; supported: 'vader'")
        if not -1.0 <= negative_at < positive_at <= 1.0:
            raise ValueError(
                f"thresholds must satisfy -1 <= negative_at < positive_at <= 1, got {negative_at}, {positive_at}"
            )
        lexicon = _vader.base_lexicon()
        self.overrides: Mapping[str, float] = MappingProxyType(_validated(overrides, lexicon.emoji))
        self.positive_at = float(positive_at)
        self.negative_at = float(negative_at)
        self.base: Literal["vader"] = base
        self.fingerprint = _fingerprint(lexicon, self.overrides, self.positive_at, self.negative_at)
        self._emoji = lexicon.emoji
        self._lexicon = {**lexicon.valences, **self.overrides}
        self._phrases = _phrase_index(self.overrides)

    def __repr__(self) -> str:
        return f"SentimentScorer({len(self.overrides)} overrides, fingerprint={self.fingerprint[:12]})"

    def score(self, text: str) -> float:
        """The compound score of ``text`` in [-1, 1], rounded to 4 places as VADER does."""
        return _vader.compound(text, self._lexicon, self._emoji, self._phrases)

    def label(self, score: float) -> Label:
        """VADER's convention: at or beyond a threshold is polar, strictly between is neutral."""
        if score >= self.positive_at:
            return "positive"
        if score <= self.negative_at:
            return "negative"
        return "neutral"

    def score_texts(
        self,
        texts: Sequence[str],
        *,
        workers: int | None = None,
        cache: MutableMapping[str, float] | None = None,
    ) -> list[float]:
        """Scores of ``texts`` in order, scoring each distinct text once.

        ``cache`` maps :func:`text_sha256` keys to scores and is read before scoring and filled
        after; it must only ever hold this scorer's scores, so key caches by ``fingerprint``.
        ``workers`` caps the processes used (default: the CPUs this process may run on);
        fewer than ``PARALLEL_MIN_TEXTS`` distinct uncached texts are scored in-process.
        """
        keys = [text_sha256(text) for text in texts]
        known: dict[str, float] = {}
        pending: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in known or key in pending:
                continue
            cached = cache.get(key) if cache is not None else None
            if cached is None:
                pending[key] = text
            else:
                known[key] = cached
        scored = self._score_distinct(list(pending.values()), _usable_cpus() if workers is None else workers)
        for key, score in zip(pending, scored, strict=True):
            known[key] = score
            if cache is not None:
                cache[key] = score
        return [known[key] for key in keys]

    def _score_distinct(self, texts: list[str], workers: int) -> list[float]:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if workers == 1 or len(texts) < PARALLEL_MIN_TEXTS:
            return [self.score(text) for text in texts]
        size = math.ceil(len(texts) / (workers * _CHUNKS_PER_WORKER))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        recipe = (dict(self.overrides), self.positive_at, self.negative_at)
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=_pool_context(), initializer=_start_worker, initargs=recipe
        ) as pool:
            return [score for chunk in pool.map(_score_chunk, chunks) for score in chunk]


def _validated(overrides: Mapping[str, float], emoji: Mapping[str, str]) -> dict[str, float]:
    """Overrides sorted by term; every term or value that could never apply is reported at once."""
    problems: list[str] = []
    for term, value in overrides.items():
        if not isinstance(term, str) or not term:
            problems.append(f"{term!r}: a term must be a non-empty string")
            continue
        canonical = " ".join(word.lower() for word in _vader.tokens(term, emoji))
        if term != canonical:
            problems.append(
                f"{term!r}: VADER would never produce this token sequence from text; "
                f"write it lowercase, single-spaced, without edge punctuation or emoji: {canonical!r}"
            )
        elif term in _vader.BOOSTERS:
            problems.append(f"{term!r}: VADER treats it as an intensifier before looking it up; an override never applies")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"{term!r}: valence must be a finite number, got {value!r}")
        elif abs(value) > _VALENCE_LIMIT:
            problems.append(f"{term!r}: valence {value} is outside VADER's -4..+4 scale")
    if problems:
        raise ValueError("invalid lexicon overrides:\n  " + "\n  ".join(problems))
    return {term: float(overrides[term]) for term in sorted(overrides)}


def _phrase_index(overrides: Mapping[str, float]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """First word -> multi-word terms starting with it, longest first (longest match wins)."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for term in overrides:
        words = tuple(term.split(" "))
        if len(words) > 1:
            by_first.setdefault(words[0], []).append(words)
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in by_first.items()}


def _fingerprint(
    lexicon: _vader.BaseLexicon, overrides: Mapping[str, float], positive_at: float, negative_at: float
) -> str:
    identity = {
        "base": "vader",
        "base_version": lexicon.version,
        "base_lexicon_sha256": lexicon.sha256,
        "algorithm": _vader.ALGORITHM_VERSION,
        "overrides": sorted(overrides.items()),
        "positive_at": positive_at,
        "negative_at": negative_at,
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _pool_context() -> multiprocessing.context.BaseContext:
    # Not fork: the parent may run DuckDB or other threaded code, and forking a threaded process
    # can deadlock the child. forkserver pays interpreter start-up once per parent process.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


_worker_scorer: SentimentScorer | None = None


def _start_worker(overrides: dict[str, float], positive_at: float, negative_at: float) -> None:
    global _worker_scorer
    _worker_scorer = SentimentScorer(overrides, positive_at=positive_at, negative_at=negative_at)


def _score_chunk(texts: list[str]) -> list[float]:
    if _worker_scorer is None:
        raise RuntimeError("sentiment worker used before its initializer ran")
    return [_worker_scorer.score(text) for text in texts]
