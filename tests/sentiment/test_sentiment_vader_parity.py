"""kpigov's port of VADER must give VADER's own compound score, bit for bit."""

from __future__ import annotations

from sentiment_fixtures import SNEAKER_OVERRIDES, RatedTweets
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from kpigov.sentiment import SentimentScorer

VADER = SentimentIntensityAnalyzer()

# Tokens that trigger every VADER rule: lexicon words, boosters, negations, "no", "least", "but",
# "kind of", idioms, capitals, emoticons, emoji, contractions and punctuation runs.
_RULE_TOKENS = [
    "good", "GOOD", "bad", "BAD", "love", "hate", "sick", "fire", "bricks", "drop", "okay", "the", "shit",
    "bomb", "kiss", "of", "death", "yeah", "right", "to", "die", "for", "bad", "ass", "very", "VERY",
    "really", "kinda", "kind", "sort", "barely", "not", "no", "nor", "or", "never", "so", "this",
    "without", "doubt", "least", "at", "isn't", "don't", "but", "BUT", "lol", ":)", ":D", ":(", "<3",
    "😁", "💘", "😡", "🔥", "great!", "awful...", "meh", "sux", "!", "!!!", "??", "???", "?!", "#fire",
    "@anonymous", "http://url_removed", "ok?", "Good,", "(bad)", "sold", "out",
]  # fmt: skip

sentences = st.lists(st.sampled_from(_RULE_TOKENS), min_size=0, max_size=14).flatmap(
    lambda words: st.sampled_from([" ", "  ", "\t"]).map(lambda sep: sep.join(words))
)


def vader_with(overrides: dict[str, float]) -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(overrides)
    return analyzer


SNEAKER_VADER = vader_with(SNEAKER_OVERRIDES)


def test_base_scorer_equals_vader_on_every_ground_truth_tweet(rated_tweets: RatedTweets) -> None:
    scorer = SentimentScorer()
    differing = [text for text in rated_tweets.texts if scorer.score(text) != VADER.polarity_scores(text)["compound"]]
    assert differing == []


def test_overrides_equal_vader_with_the_same_lexicon_entries(rated_tweets: RatedTweets) -> None:
    scorer, reference = SentimentScorer(SNEAKER_OVERRIDES), SNEAKER_VADER
    differing = [
        text for text in rated_tweets.texts if scorer.score(text) != reference.polarity_scores(text)["compound"]
    ]
    assert differing == []


@settings(max_examples=600, deadline=None)
@given(sentences)
def test_rule_heavy_sentences_equal_vader(text: str) -> None:
    assert SentimentScorer().score(text) == VADER.polarity_scores(text)["compound"]


@settings(max_examples=300, deadline=None)
@given(sentences)
def test_rule_heavy_sentences_with_overrides_equal_vader(text: str) -> None:
    assert SentimentScorer(SNEAKER_OVERRIDES).score(text) == SNEAKER_VADER.polarity_scores(text)["compound"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_unicode_equals_vader(text: str) -> None:
    assert SentimentScorer().score(text) == VADER.polarity_scores(text)["compound"]
