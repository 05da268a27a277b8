"""One small module per input format, each registering its adapter by name on import."""

from kpigov.ingest.adapters import canonical, csv, reddit, vk, weibo, x, youtube  # noqa: F401  (registration)
from kpigov.ingest.adapters.base import Adapter, RecordAdapter
from kpigov.ingest.adapters.csv import CSV_PRESETS, CsvAdapter, CsvMapping
from kpigov.ingest.adapters.registry import ADAPTERS, get_adapter, register

__all__ = ["ADAPTERS", "CSV_PRESETS", "Adapter", "CsvAdapter", "CsvMapping", "RecordAdapter", "get_adapter", "register"]
