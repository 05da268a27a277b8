"""Does the scorer treat some kinds of text differently? Score distributions per group.

VADER's lexicon was rated by English-speaking crowd workers in 2014. Text it cannot read (other
scripts, newer slang) mostly scores exactly 0 and lands in "neutral", which quietly inflates
a neutral share and dilutes net sentiment for those authors. The audit reports, per group, the
distribution a KPI would consume, plus the share scored exactly 0 (usually: no lexicon word
recognised). A gap between groups is a question to investigate, not proof of bias: groups may
genuinely feel differently about a brand.

Groups come from the data (``mentions.language``) or from :func:`text_marker`, a deliberately
crude surface detector. It is not a language or dialect classifier and must not be read as
identifying who wrote a text: it only flags text whose vocabulary or script VADER is known to
misread, so the audit can show whether those texts score differently.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from kpigov.sentiment import _vader

#: Informal and slang words (many from AAVE and internet usage) that VADER's lexicon lacks or
#: reads in another sense ("sick" -2.3, "fire" -1.4). Several have standard senses too ("bet",
#: "cap", "fire"), so the marker over-matches by design: it asks "does the scorer see slang?".
SLANG_WORDS = frozenset(
    {
        "bet", "bruh", "bussin", "cap", "deadass", "drip", "fam", "finna", "fire", "goat", "highkey",
        "ion", "lit", "lowkey", "mid", "ngl", "nocap", "ong", "periodt", "salty", "sheesh", "sick",
        "slaps", "slay", "sus", "tryna",
    }
)  # fmt: skip

#: More than this share of letters outside ASCII marks a text as written mostly in another script.
_NON_ASCII_LETTER_SHARE = 0.5


def text_marker(text: str) -> str:
    """``"non_latin_script"``, ``"slang"`` or ``"other"``: the first that applies, in that order.

    ``non_latin_script``: most letters are outside ASCII (Cyrillic, CJK, Arabic...; heavily
    accented Latin such as Vietnamese lands here too). ``slang``: at least one word of
    :data:`SLANG_WORDS`. Everything else is ``other``, which does not mean standard English.
    """
    letters = [char for char in text if char.isalpha()]
    if letters and sum(not char.isascii() for char in letters) > _NON_ASCII_LETTER_SHARE * len(letters):
        return "non_latin_script"
    words = {word.lower() for word in _vader.tokens(text, _vader.base_lexicon().emoji)}
    return "slang" if words & SLANG_WORDS else "other"


@dataclass(frozen=True, slots=True)
class GroupDistribution:
    """How one group's texts scored. ``sd`` is the sample deviation (NaN for a single text)."""

    group: str
    n: int
    mean: float
    median: float
    sd: float
    share_positive: float
    share_neutral: float
    share_negative: float
    share_zero: float
    mean_gap: float
    """This group's mean minus the mean of every other text (NaN when there is no other text)."""


def bias_audit(
    texts: Sequence[str],
    scores: Sequence[float],
    groups: Sequence[str | None] | None = None,
    *,
    positive_at: float = 0.05,
    negative_at: float = -0.05,
) -> list[GroupDistribution]:
    """Score distribution per group, sorted by group; groups default to :func:`text_marker`.

    A missing group (a null ``language``) is reported as ``"unknown"`` rather than dropped.

    Labels use the same thresholds as :meth:`SentimentScorer.label`; pass the scorer's own
    ``positive_at``/``negative_at`` when they differ from VADER's defaults.
    """
    if len(texts) != len(scores) or (groups is not None and len(groups) != len(texts)):
        raise ValueError("texts, scores and groups must have the same length")
    if not texts:
        return []
    labels = [text_marker(text) for text in texts] if groups is None else ["unknown" if g is None else g for g in groups]
    by_group: dict[str, list[float]] = {}
    for label, score in zip(labels, scores, strict=True):
        by_group.setdefault(label, []).append(float(score))
    total, count = math.fsum(float(score) for score in scores), len(scores)
    return [
        _distribution(group, members, total, count, positive_at, negative_at)
        for group, members in sorted(by_group.items())
    ]


def _distribution(
    group: str, members: list[float], total: float, count: int, positive_at: float, negative_at: float
) -> GroupDistribution:
    n = len(members)
    mean = statistics.fmean(members)
    rest = count - n
    return GroupDistribution(
        group=group,
        n=n,
        mean=mean,
        median=statistics.median(members),
        sd=statistics.stdev(members) if n > 1 else math.nan,
        share_positive=sum(score >= positive_at for score in members) / n,
        share_neutral=sum(negative_at < score < positive_at for score in members) / n,
        share_negative=sum(score <= negative_at for score in members) / n,
        share_zero=sum(score == 0.0 for score in members) / n,
        mean_gap=mean - (total - math.fsum(members)) / rest if rest else math.nan,
    )
