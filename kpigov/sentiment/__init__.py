"""Sentiment of mention texts: VADER plus domain lexicon overrides, cached by content hash.

``SentimentScorer`` scores and labels texts and carries the ``fingerprint`` stored with every
score; ``bias_audit`` compares score distributions across languages or text markers.
"""

from kpigov.sentiment.audit import SLANG_WORDS, GroupDistribution, bias_audit, text_marker
from kpigov.sentiment.scorer import PARALLEL_MIN_TEXTS, Label, SentimentScorer, text_sha256

__all__ = [
    "PARALLEL_MIN_TEXTS",
    "SLANG_WORDS",
    "GroupDistribution",
    "Label",
    "SentimentScorer",
    "bias_audit",
    "text_marker",
    "text_sha256",
]
