"""Adapters by name. A second registration under a taken name is a bug, so it raises."""

from __future__ import annotations

from kpigov.ingest.adapters.base import Adapter
from kpigov.ingest.errors import UnknownSourceError

ADAPTERS: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    if adapter.name in ADAPTERS:
        raise ValueError(f"an adapter named {adapter.name!r} is already registered")
    ADAPTERS[adapter.name] = adapter
    return adapter


def get_adapter(name: str) -> Adapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise UnknownSourceError(
            f"unknown source {name!r}; known sources: {', '.join(sorted(ADAPTERS))}"
        ) from None
