"""Parameters shared by the sample tests and their fixtures, and the example repository's lexicon."""

from __future__ import annotations

from pathlib import Path

import kpigov
from kpigov.ingest.from_specs import entity_resolver, sentiment_scorer
from kpigov.ingest.entities import KeywordEntityResolver
from kpigov.sentiment import SentimentScorer
from kpigov.specs import Lexicon

#: Small enough to generate and score in seconds, large enough for weekly statistics to be stable.
SAMPLE = {"seed": 11, "mentions_per_day": 400}

EXAMPLE_REPO = Path(__file__).resolve().parents[2]


def example_project() -> kpigov.Project:
    project = kpigov.load(EXAMPLE_REPO)
    assert project.ok, [str(d) for d in project.diagnostics]
    return project


def example_scorer() -> SentimentScorer:
    """The scorer of ``policies/lexicon.yaml``: the sample's phrases are written against it."""
    (lexicon,) = example_project().of_kind(Lexicon)
    return sentiment_scorer(lexicon.spec)


def example_resolver() -> KeywordEntityResolver:
    """The entity resolver compiled from ``kpigov.yaml``'s ``entities``."""
    return entity_resolver(example_project().config.spec.entities)
