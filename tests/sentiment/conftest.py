"""The ground-truth fixture, skipped with its reason when ../shared/data is absent."""

from __future__ import annotations

import pytest
from sentiment_fixtures import GROUND_TRUTH, RatedTweets, read_rated_tweets


@pytest.fixture(scope="session")
def rated_tweets() -> RatedTweets:
    if not GROUND_TRUTH.is_file():
        pytest.skip(f"VADER ground truth not found at {GROUND_TRUTH} (../shared/data is absent in a fresh clone)")
    return read_rated_tweets()
