"""VADER's compound score, ported for speed with its exact arithmetic.

``vaderSentiment`` re-lowercases the whole sentence for every lexicon word it meets, rebuilds the
text one character at a time to translate emoji, and computes the ``pos``/``neu``/``neg`` ratios
that kpigov never stores. This module computes only the compound score, visits each token once,
and reads the lexicon, emoji table and rule constants from the installed ``vaderSentiment``, so
the numbers are VADER's own: ``tests/sentiment/test_vader_parity.py`` asserts exact equality with
``SentimentIntensityAnalyzer().polarity_scores(text)["compound"]`` on the 4,200 human-rated
tweets and on generated adversarial sentences. VADER's quirks are kept on purpose (see
``_apply_but``): a scorer that disagreed with VADER could not claim VADER's validation.

The one addition is phrase merging: consecutive tokens that spell a multi-word lexicon override
are joined into one token before scoring, so ``"sold out"`` behaves as a single lexicon item
(negation, boosters and capitals apply to it as to any word). Only phrases the caller passes
are merged; VADER's four multi-word lexicon entries (``"fed up"``...) stay as inert as they are
in VADER, which never matches them.
"""

from __future__ import annotations

import hashlib
import math
import string
from collections.abc import Mapping
from functools import cache
from importlib import metadata, resources
from types import MappingProxyType

from vaderSentiment import vaderSentiment as _vs

BOOSTERS: Mapping[str, float] = _vs.BOOSTER_DICT
_SPECIAL_CASES: Mapping[str, float] = _vs.SPECIAL_CASES
_NEGATIONS = frozenset(_vs.NEGATE)
_C_INCR, _N_SCALAR = _vs.C_INCR, _vs.N_SCALAR
_PUNCTUATION = string.punctuation

#: Bumped whenever this port's arithmetic changes, so fingerprints of scores it produced change.
ALGORITHM_VERSION = "1"


class BaseLexicon:
    """VADER's lexicon and emoji table as installed, read once per process and never mutated."""

    def __init__(self) -> None:
        package = resources.files("vaderSentiment")
        lexicon_bytes = package.joinpath("vader_lexicon.txt").read_bytes()
        emoji_bytes = package.joinpath("emoji_utf8_lexicon.txt").read_bytes()
        self.version = metadata.version("vaderSentiment")
        self.sha256 = hashlib.sha256(lexicon_bytes + b"\0" + emoji_bytes).hexdigest()
        self.valences: Mapping[str, float] = MappingProxyType(_parse_lexicon(lexicon_bytes.decode("utf-8")))
        self.emoji: Mapping[str, str] = MappingProxyType(_parse_emoji(emoji_bytes.decode("utf-8")))


def _parse_lexicon(text: str) -> dict[str, float]:
    valences: dict[str, float] = {}
    for line in text.rstrip("\n").split("\n"):
        if line:
            word, measure = line.strip().split("\t")[0:2]
            valences[word] = float(measure)
    return valences


def _parse_emoji(text: str) -> dict[str, str]:
    # VADER translates emoji one character at a time, so multi-codepoint entries never match.
    emoji: dict[str, str] = {}
    for line in text.rstrip("\n").split("\n"):
        symbol, description = line.strip().split("\t")[0:2]
        if len(symbol) == 1:
            emoji[symbol] = description
    return emoji


@cache
def base_lexicon() -> BaseLexicon:
    """The process-wide base lexicon (about 20 ms to read the first time, free afterwards)."""
    return BaseLexicon()


def strip_punctuation(token: str) -> str:
    """VADER's token rule: drop surrounding punctuation unless that leaves two characters or fewer."""
    stripped = token.strip(_PUNCTUATION)
    return token if len(stripped) <= 2 else stripped


def tokens(text: str, emoji: Mapping[str, str]) -> list[str]:
    """Split ``text`` as VADER does after translating single-character emoji into words."""
    if not text.isascii():
        text = _translate_emoji(text, emoji)
    return [strip_punctuation(word) for word in text.split()]


def _translate_emoji(text: str, emoji: Mapping[str, str]) -> str:
    # VADER's rule: a space goes before a description unless one precedes it, never after it.
    parts: list[str] = []
    prev_space = True
    for char in text:
        description = emoji.get(char)
        if description is None:
            parts.append(char)
            prev_space = char == " "
        else:
            if not prev_space:
                parts.append(" ")
            parts.append(description)
            prev_space = False
    return "".join(parts)


def merge_phrases(words: list[str], phrases: Mapping[str, tuple[tuple[str, ...], ...]]) -> list[str]:
    """Join runs of tokens spelling a phrase (``phrases``: first word -> word tuples, longest first)."""
    lowered = [word.lower() for word in words]
    merged: list[str] = []
    i = 0
    while i < len(words):
        for phrase in phrases.get(lowered[i], ()):
            end = i + len(phrase)
            if tuple(lowered[i:end]) == phrase:
                merged.append(" ".join(words[i:end]))
                i = end
                break
        else:
            merged.append(words[i])
            i += 1
    return merged


def compound(
    text: str,
    lexicon: Mapping[str, float],
    emoji: Mapping[str, str],
    phrases: Mapping[str, tuple[tuple[str, ...], ...]],
) -> float:
    """VADER's compound score of ``text`` under ``lexicon``, rounded to 4 places as VADER does."""
    if not text.isascii():
        text = _translate_emoji(text, emoji)
    text = text.strip()
    words = [strip_punctuation(word) for word in text.split()]
    if phrases:
        words = merge_phrases(words, phrases)
    if not words:
        return 0.0
    lower = [word.lower() for word in words]
    caps = sum(1 for word in words if word.isupper())
    is_cap_diff = 0 < len(words) - caps < len(words)
    last = len(words) - 1

    sentiments: list[float] = []
    for i, low in enumerate(lower):
        if low in BOOSTERS or (low == "kind" and i < last and lower[i + 1] == "of"):
            sentiments.append(0)
        elif low in lexicon:
            sentiments.append(_valence(i, words, lower, lexicon, is_cap_diff))
        else:
            sentiments.append(0)

    if "but" in lower:
        _apply_but(lower.index("but"), sentiments)
    total = float(sum(sentiments))
    if total > 0:
        total += _punctuation_emphasis(text)
    elif total < 0:
        total -= _punctuation_emphasis(text)
    return round(_normalize(total), 4)


def _valence(i: int, words: list[str], lower: list[str], lexicon: Mapping[str, float], is_cap_diff: bool) -> float:
    low = lower[i]
    valence = lexicon[low]
    if low == "no" and i != len(words) - 1 and lower[i + 1] in lexicon:
        valence = 0.0
    if (
        (i > 0 and lower[i - 1] == "no")
        or (i > 1 and lower[i - 2] == "no")
        or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor"))
    ):
        valence = lexicon[low] * _N_SCALAR
    if is_cap_diff and words[i].isupper():
        valence = valence + _C_INCR if valence > 0 else valence - _C_INCR

    for start_i in range(3):
        j = i - (start_i + 1)
        if i > start_i and lower[j] not in lexicon:
            s = _scalar(words[j], lower[j], valence, is_cap_diff)
            if start_i == 1 and s != 0:
                s = s * 0.95
            if start_i == 2 and s != 0:
                s = s * 0.9
            valence = valence + s
            valence = _negation(valence, lower, start_i, i)
            if start_i == 2:
                valence = _special_idioms(valence, lower, i)

    if i > 1 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        if lower[i - 2] != "at" and lower[i - 2] != "very":
            valence = valence * _N_SCALAR
    elif i > 0 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        valence = valence * _N_SCALAR
    return valence


def _scalar(word: str, low: str, valence: float, is_cap_diff: bool) -> float:
    if low not in BOOSTERS:
        return 0.0
    scalar = BOOSTERS[low]
    if valence < 0:
        scalar *= -1
    if word.isupper() and is_cap_diff:
        scalar = scalar + _C_INCR if valence > 0 else scalar - _C_INCR
    return scalar


def _is_negation(low: str) -> bool:
    return low in _NEGATIONS or "n't" in low


def _negation(valence: float, lower: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _is_negation(lower[i - 1]):
            valence = valence * _N_SCALAR
    elif start_i == 1:
        if lower[i - 2] == "never" and lower[i - 1] in ("so", "this"):
            valence = valence * 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _is_negation(lower[i - 2]):
            valence = valence * _N_SCALAR
    else:
        if (lower[i - 3] == "never" and lower[i - 2] in ("so", "this")) or lower[i - 1] in ("so", "this"):
            valence = valence * 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _is_negation(lower[i - 3]):
            valence = valence * _N_SCALAR
    return valence


def _special_idioms(valence: float, lower: list[str], i: int) -> float:
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in _SPECIAL_CASES:
            valence = _SPECIAL_CASES[seq]
            break
    if len(lower) - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in _SPECIAL_CASES:
            valence = _SPECIAL_CASES[zeroone]
    if len(lower) - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in _SPECIAL_CASES:
            valence = _SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTERS:
            valence = valence + BOOSTERS[n_gram]
    return valence


def _apply_but(but_at: int, sentiments: list[float]) -> None:
    # Verbatim VADER: ``index`` finds the first *equal* value, so repeated valences are
    # re-weighted by position of their first copy. Kept so scores stay identical to VADER's.
    for sentiment in sentiments:
        si = sentiments.index(sentiment)
        if si < but_at:
            sentiments.pop(si)
            sentiments.insert(si, sentiment * 0.5)
        elif si > but_at:
            sentiments.pop(si)
            sentiments.insert(si, sentiment * 1.5)


def _punctuation_emphasis(text: str) -> float:
    exclamations = min(text.count("!"), 4)
    questions = text.count("?")
    question_emphasis = 0.0
    if questions > 1:
        question_emphasis = questions * 0.18 if questions <= 3 else 0.96
    return exclamations * 0.292 + question_emphasis


def _normalize(score: float, alpha: float = 15) -> float:
    norm = score / math.sqrt((score * score) + alpha)
    return max(-1.0, min(1.0, norm))
