"""Which tracked entity (brand, competitor) a mention is about."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol


class EntityResolver(Protocol):
    """``(text, raw_row) -> entity`` or None when the mention names no tracked entity."""

    def __call__(self, text: str, raw_row: Mapping[str, Any]) -> str | None: ...


class KeywordEntityResolver:
    """Resolves by case-insensitive whole-word keywords or handles; the first entity listed wins.

    "Whole word" means not glued to letters, digits or "_" on either side, so "acme" matches
    "ACME!" and "#acme" but not "acmeville"; a keyword may itself start with "@" or "#".
    The mention's own text is searched first; when it names nothing, the raw row's other strings
    are, because a bare repost ("转发微博", an empty VK repost) names its brand only in the
    embedded original.
    """

    def __init__(self, keywords: Mapping[str, Sequence[str]]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for entity, words in keywords.items():
            cleaned = [w.strip() for w in words if w.strip()]
            if not cleaned:
                raise ValueError(f"entity {entity!r} has no keywords")
            alternation = "|".join(re.escape(w) for w in sorted(cleaned, key=len, reverse=True))
            self._patterns.append((entity, re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)))

    def __call__(self, text: str, raw_row: Mapping[str, Any]) -> str | None:
        return self._first_match(text) or self._first_match("\n".join(_strings(raw_row)))

    def _first_match(self, text: str) -> str | None:
        for entity, pattern in self._patterns:
            if pattern.search(text):
                return entity
        return None


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
