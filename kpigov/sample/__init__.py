"""A seeded, realistic sample of sneaker-brand mentions and the outcomes they should predict.

``generate`` streams canonical ``mentions`` batches, ``generate_outcomes`` returns the weekly
``outcomes`` rows of the same world, and ``write_sample`` puts both on disk (``kpigov sample``).
"""

from kpigov.sample.mentions import CAMPAIGN_PLAN, LEFT_TO_INGESTION, MENTIONS_SCHEMA, Campaign, generate
from kpigov.sample.outcomes import OUTCOMES_SCHEMA, generate_outcomes
from kpigov.sample.vocabulary import BRAND, COMPETITORS
from kpigov.sample.world import CRISIS, LAUNCH, Event
from kpigov.sample.writer import SampleSummary, write_sample

__all__ = [
    "BRAND",
    "CAMPAIGN_PLAN",
    "COMPETITORS",
    "CRISIS",
    "LAUNCH",
    "LEFT_TO_INGESTION",
    "MENTIONS_SCHEMA",
    "OUTCOMES_SCHEMA",
    "Campaign",
    "Event",
    "SampleSummary",
    "generate",
    "generate_outcomes",
    "write_sample",
]
