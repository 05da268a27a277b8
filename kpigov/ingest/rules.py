"""Compiled ingestion rules: what counts as one mention and which mentions are flagged.

These are the compiled layer (frozen dataclasses), independent of any YAML: specs are mapped onto
them elsewhere. Every rule only sets a stored column (``duplicate_of``, ``is_bot``, ``is_spam``,
``is_employee``, ``cib_cluster``); ingestion never deletes a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property


@dataclass(frozen=True)
class DedupRules:
    """Which rows collapse onto another one (``duplicate_of``).

    - ``collapse_reposts``: a repost/retweet collapses onto its original when the original is in
      the store, otherwise onto the earliest repost of that original, which stands in for it.
    - ``quotes_count_as_mentions``: False collapses quote posts the same way as reposts.
    - ``cross_platform_window``: rows with the same normalised text (``content_hash``) on another
      platform, posted within this window after the earliest such row, collapse onto it. None: off.
    - ``min_text_length_for_text_dedup``: shorter texts ("lol", "") never collapse by text.
    """

    collapse_reposts: bool
    quotes_count_as_mentions: bool
    cross_platform_window: timedelta | None
    min_text_length_for_text_dedup: int

    def __post_init__(self) -> None:
        if self.cross_platform_window is not None and self.cross_platform_window < timedelta(0):
            raise ValueError("cross_platform_window must not be negative")
        if self.min_text_length_for_text_dedup < 0:
            raise ValueError("min_text_length_for_text_dedup must not be negative")


@dataclass(frozen=True)
class BotRules:
    """Account heuristics. Each enabled criterion flags on its own; None (or empty) disables it.

    Sets ``is_bot``:
    - ``max_followers``: author has at most this many followers;
    - ``min_posts``: author has published fewer posts than this (throwaway account);
    - ``max_posts``: author has published more posts than this (automated volume);
    - ``min_account_age_days``: the account was younger than this when it posted.

    Sets ``is_spam``:
    - ``handle_patterns``: the author handle matches one of these regular expressions
      (Python ``re.search``, case-insensitive);
    - ``max_link_ratio``: more than this share of the author account's stored posts hold a link,
      judged on all of them after each insert (``kpigov.ingest.accounts``), once the account has at
      least ``link_ratio_min_posts`` stored posts (None: from its first post).

    A criterion whose input is unknown (null followers, no account) does not fire.
    """

    max_followers: int | None = None
    min_posts: int | None = None
    max_posts: int | None = None
    min_account_age_days: int | None = None
    handle_patterns: tuple[str, ...] = ()
    max_link_ratio: float | None = None
    link_ratio_min_posts: int | None = None

    def __post_init__(self) -> None:
        if self.max_link_ratio is not None and not 0.0 <= self.max_link_ratio <= 1.0:
            raise ValueError("max_link_ratio must be within [0, 1]")
        if self.link_ratio_min_posts is not None and self.link_ratio_min_posts < 1:
            raise ValueError("link_ratio_min_posts must be at least 1")
        _compile_patterns(self.handle_patterns)

    @cached_property
    def handle_regex(self) -> re.Pattern[str] | None:
        return _compile_patterns(self.handle_patterns)


@dataclass(frozen=True)
class CIBRules:
    """Coordinated inauthentic behaviour: at least ``min_accounts`` distinct accounts posting
    near-identical text (same ``content_hash``, or token-set Jaccard ≥ ``min_similarity``) within
    ``window`` of each other. Members get a stable ``cib_cluster`` id."""

    min_accounts: int
    window: timedelta
    min_similarity: float

    def __post_init__(self) -> None:
        if self.min_accounts < 2:
            raise ValueError("min_accounts must be at least 2: one account cannot coordinate")
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")
        if not 0.0 < self.min_similarity <= 1.0:
            raise ValueError("min_similarity must be within (0, 1]")


@dataclass(frozen=True)
class EmployeeRules:
    """Sets ``is_employee`` for authors whose handle is listed (case-insensitive, without "@")
    or matches one of ``handle_patterns`` (Python ``re.search``, case-insensitive)."""

    handles: frozenset[str] = frozenset()
    handle_patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _compile_patterns(self.handle_patterns)

    @cached_property
    def normalised_handles(self) -> frozenset[str]:
        return frozenset(h.removeprefix("@").casefold() for h in self.handles)

    @cached_property
    def handle_regex(self) -> re.Pattern[str] | None:
        return _compile_patterns(self.handle_patterns)


@dataclass(frozen=True)
class IngestRules:
    """Everything ingestion applies besides normalisation. ``cib=None`` turns CIB detection off."""

    dedup: DedupRules
    bots: BotRules = field(default_factory=BotRules)
    cib: CIBRules | None = None
    employees: EmployeeRules = field(default_factory=EmployeeRules)


def _compile_patterns(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of all patterns; a bad pattern is reported with its text."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid handle pattern {pattern!r}: {exc}") from exc
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
