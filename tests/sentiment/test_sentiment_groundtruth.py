"""Agreement with Hutto & Gilbert's human ratings: domain overrides must not make it worse.

The numbers are printed (run with ``-s``) and written to the pytest report, so a lexicon change
that shifts them is visible in review.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import pearsonr
from sentiment_fixtures import SNEAKER_OVERRIDES, RatedTweets
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from kpigov.sentiment import SentimentScorer

#: How far a domain lexicon may lower the correlation on general, out-of-domain tweets.
TOLERANCE = 0.005


def sign_agreement(ratings: np.ndarray, scores: np.ndarray) -> float:
    """Share of tweets where the compound score has the sign of the human mean (zero counts as zero)."""
    return float(np.mean(np.sign(ratings) == np.sign(scores)))


@pytest.fixture(scope="module")
def vader_scores(rated_tweets: RatedTweets) -> np.ndarray:
    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(text)["compound"] for text in rated_tweets.texts])


@pytest.mark.parametrize("overrides", [{}, SNEAKER_OVERRIDES], ids=["no-overrides", "sneaker-overrides"])
def test_correlation_with_human_ratings_is_at_least_plain_vaders(
    rated_tweets: RatedTweets,
    vader_scores: np.ndarray,
    overrides: dict[str, float],
    record_property: pytest.RecordProperty,
) -> None:
    ratings = np.array(rated_tweets.ratings)
    scores = np.array(SentimentScorer(overrides).score_texts(rated_tweets.texts, workers=1))
    vader_r, kpigov_r = pearsonr(ratings, vader_scores)[0], pearsonr(ratings, scores)[0]
    vader_sign, kpigov_sign = sign_agreement(ratings, vader_scores), sign_agreement(ratings, scores)
    summary = f"pearson vader={vader_r:.4f} kpigov={kpigov_r:.4f}; sign vader={vader_sign:.4f} kpigov={kpigov_sign:.4f}"
    print(summary)
    record_property("groundtruth", summary)
    assert kpigov_r >= vader_r - TOLERANCE
    assert kpigov_sign >= vader_sign - TOLERANCE
    assert vader_r > 0.85  # sanity: the published ground truth still lines up with VADER
