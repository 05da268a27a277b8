"""Ingestion: platform and vendor adapters → checked mentions → dedup and flags, in one transaction."""

from kpigov.ingest.adapters import ADAPTERS, CSV_PRESETS, Adapter, CsvAdapter, CsvMapping, get_adapter, register
from kpigov.ingest.dedup import deduplicate
from kpigov.ingest.entities import EntityResolver, KeywordEntityResolver
from kpigov.ingest.errors import IngestError, IngestSetupError, MalformedFileError, UnknownSourceError
from kpigov.ingest.from_specs import IngestSetup, ingest_setup
from kpigov.ingest.pipeline import IngestReport, ingest_file
from kpigov.ingest.rules import BotRules, CIBRules, DedupRules, EmployeeRules, IngestRules
from kpigov.ingest.scoring import SentimentScorer
from kpigov.ingest.text import content_hash, mention_id, normalise_text, normalised_texts

__all__ = [
    "ADAPTERS",
    "CSV_PRESETS",
    "Adapter",
    "BotRules",
    "CIBRules",
    "CsvAdapter",
    "CsvMapping",
    "DedupRules",
    "EmployeeRules",
    "EntityResolver",
    "IngestError",
    "IngestReport",
    "IngestRules",
    "IngestSetup",
    "IngestSetupError",
    "KeywordEntityResolver",
    "MalformedFileError",
    "SentimentScorer",
    "UnknownSourceError",
    "content_hash",
    "deduplicate",
    "get_adapter",
    "ingest_file",
    "ingest_setup",
    "mention_id",
    "normalise_text",
    "normalised_texts",
    "register",
]
