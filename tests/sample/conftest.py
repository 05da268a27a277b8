"""One generated year at a small volume, scored once and shared by the feature tests."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from kpigov.sample import generate, generate_outcomes
from sample_fixtures import SAMPLE, example_scorer


@pytest.fixture(scope="session")
def sample_mentions() -> pd.DataFrame:
    frame = pa.Table.from_batches(list(generate(**SAMPLE))).to_pandas()
    scorer = example_scorer()
    frame["sentiment_score"] = scorer.score_texts(frame["text"].tolist())
    frame["sentiment_label"] = [scorer.label(score) for score in frame["sentiment_score"]]
    return frame


@pytest.fixture(scope="session")
def sample_outcomes() -> pd.DataFrame:
    return generate_outcomes(**SAMPLE).to_pandas()
