"""SentimentScorer: overrides, fingerprint, labels, caching and process-parallel scoring."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from sentiment_fixtures import SNEAKER_OVERRIDES, RatedTweets
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

import kpigov.sentiment.scorer as scorer_module
from kpigov.sentiment import SentimentScorer, text_sha256

TEXTS = [
    "these are sick",
    "I feel sick today",
    "new drop on friday",
    "total bricks, returning them",
    "great shoes, fast delivery",
    "the laces broke after a week",
    "meh",
]


def test_an_override_moves_exactly_the_texts_containing_its_term() -> None:
    plain, domain = SentimentScorer(), SentimentScorer({"bricks": -2.0})
    moved = {text for text in TEXTS if plain.score(text) != domain.score(text)}
    assert moved == {"total bricks, returning them"}
    assert domain.score("total bricks, returning them") < 0 == plain.score("total bricks, returning them")


def test_slang_praise_turns_positive_and_a_drop_stops_being_negative() -> None:
    plain, domain = SentimentScorer(), SentimentScorer(SNEAKER_OVERRIDES)
    assert plain.label(plain.score("these are sick")) == "negative"
    assert domain.label(domain.score("these are sick")) == "positive"
    assert plain.score("new drop on friday") < 0 < domain.score("new drop on friday")


def test_overrides_stay_private_to_their_scorer() -> None:
    SentimentScorer({"sick": 3.0, "sold out": -1.0})
    assert SentimentScorer().score("these are sick") < 0
    assert SentimentScorer().score("sold out") == SentimentIntensityAnalyzer().polarity_scores("sold out")["compound"]
    assert SentimentIntensityAnalyzer().lexicon["sick"] == -2.3


def test_a_phrase_override_scores_as_one_negatable_word() -> None:
    scorer = SentimentScorer({"sold out": -1.5})
    assert scorer.score("sold out") < 0
    assert scorer.score("Sold Out again") == scorer.score("sold out again")
    assert scorer.score("not sold out") > 0
    assert scorer.score("sold and out") == SentimentScorer().score("sold and out")


def test_the_longest_phrase_wins() -> None:
    scorer = SentimentScorer({"sold out": -1.5, "sold out fast": 2.0})
    assert scorer.score("sold out fast") > 0 > scorer.score("sold out today")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Sick": 2.0}, "'sick'"),
        ({"fire!": 2.0}, "'fire'"),
        ({"sold  out": 1.0}, "'sold out'"),
        ({"🔥": 2.0}, "'fire'"),
        ({"really": 1.0}, "intensifier"),
        ({"kind of": 1.0}, "intensifier"),
        ({"sick": 4.5}, "outside VADER's -4..+4"),
        ({"sick": float("nan")}, "finite"),
        ({"sick": True}, "finite"),
        ({"": 1.0}, "non-empty"),
    ],
)
def test_overrides_that_could_never_apply_are_rejected(overrides: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match="invalid lexicon overrides") as raised:
        SentimentScorer(overrides)
    assert message in str(raised.value)


def test_all_override_problems_are_reported_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        SentimentScorer({"Sick": 2.0, "fire": 9.0})
    assert "'Sick'" in str(raised.value) and "'fire'" in str(raised.value)


def test_thresholds_are_validated_and_applied() -> None:
    with pytest.raises(ValueError, match="thresholds"):
        SentimentScorer(positive_at=-0.1, negative_at=0.1)
    with pytest.raises(ValueError, match="unknown sentiment base"):
        SentimentScorer(base="textblob")  # type: ignore[arg-type]
    strict = SentimentScorer(positive_at=0.5, negative_at=-0.5)
    assert [strict.label(score) for score in (0.5, 0.49, -0.49, -0.5)] == ["positive", "neutral", "neutral", "negative"]


def test_fingerprint_tracks_overrides_and_thresholds_only() -> None:
    base = SentimentScorer(SNEAKER_OVERRIDES)
    assert SentimentScorer(dict(reversed(list(SNEAKER_OVERRIDES.items())))).fingerprint == base.fingerprint
    changed = [
        SentimentScorer({**SNEAKER_OVERRIDES, "sick": 2.1}),
        SentimentScorer({**SNEAKER_OVERRIDES, "heat": 1.5}),
        SentimentScorer({k: v for k, v in SNEAKER_OVERRIDES.items() if k != "drop"}),
        SentimentScorer(SNEAKER_OVERRIDES, positive_at=0.1),
        SentimentScorer(SNEAKER_OVERRIDES, negative_at=-0.1),
    ]
    assert len({scorer.fingerprint for scorer in changed} | {base.fingerprint}) == len(changed) + 1


def test_fingerprint_is_stable_across_processes() -> None:
    program = (
        "from kpigov.sentiment import SentimentScorer;"
        f"print(SentimentScorer({SNEAKER_OVERRIDES!r}).fingerprint)"
    )
    other = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == SentimentScorer(SNEAKER_OVERRIDES).fingerprint


def counting(scorer: SentimentScorer) -> list[str]:
    """Replace ``scorer.score`` with a wrapper that records every text it is asked to score."""
    seen: list[str] = []
    score: Callable[[str], float] = scorer.score

    def recorded(text: str) -> float:
        seen.append(text)
        return score(text)

    scorer.score = recorded  # type: ignore[method-assign]
    return seen


def test_a_duplicate_text_is_scored_once() -> None:
    scorer = SentimentScorer()
    seen = counting(scorer)
    scores = scorer.score_texts(["good", "bad", "good", "good", "bad"], workers=1)
    assert sorted(seen) == ["bad", "good"]
    assert scores[0] == scores[2] == scores[3] and scores[1] == scores[4]


def test_a_persistent_cache_is_read_before_scoring_and_filled_after() -> None:
    scorer = SentimentScorer()
    cache = {text_sha256("good"): 0.1234}
    seen = counting(scorer)
    assert scorer.score_texts(["good", "bad"], workers=1, cache=cache) == [0.1234, SentimentScorer().score("bad")]
    assert seen == ["bad"]
    assert cache[text_sha256("bad")] == SentimentScorer().score("bad")
    seen.clear()
    scorer.score_texts(["bad", "good"], workers=1, cache=cache)
    assert seen == []


def test_case_and_punctuation_variants_are_distinct_cache_entries() -> None:
    assert len({text_sha256(text) for text in ("Good!", "good!", "Good")}) == 3


def test_process_parallel_scores_equal_serial_scores(
    rated_tweets: RatedTweets, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"{text} #{copy}" for copy in range(3) for text in rated_tweets.texts] + rated_tweets.texts[:50]
    scorer = SentimentScorer(SNEAKER_OVERRIDES)
    pools: list[object] = []
    real_pool = scorer_module.ProcessPoolExecutor

    def recording_pool(*args: object, **kwargs: object) -> object:
        pools.append(kwargs)
        return real_pool(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scorer_module, "PARALLEL_MIN_TEXTS", 1_000)
    monkeypatch.setattr(scorer_module, "ProcessPoolExecutor", recording_pool)
    parallel = scorer.score_texts(texts, workers=2)
    assert len(pools) == 1
    assert parallel == scorer.score_texts(texts, workers=1)


def test_small_inputs_stay_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: object, **kwargs: object) -> object:
        raise AssertionError("a worker pool was started for a small input")

    monkeypatch.setattr(scorer_module, "ProcessPoolExecutor", no_pool)
    assert len(SentimentScorer().score_texts(TEXTS * 100, workers=2)) == len(TEXTS) * 100


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers"):
        SentimentScorer().score_texts(["good"], workers=0)
