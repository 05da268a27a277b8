"""Governance specs → the compiled objects an ingest runs with.

The repository is the one source of truth: ``DedupPolicy`` becomes :class:`IngestRules`, the
``Lexicon`` becomes a :class:`~kpigov.sentiment.SentimentScorer` and the config's ``entities``
become a :class:`KeywordEntityResolver`. A spec that loads but cannot be compiled (a handle
pattern Python's ``re`` rejects, a lexicon term VADER could never match) is an
:class:`IngestSetupError` pointing at the line that holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from kpigov.ingest.entities import KeywordEntityResolver
from kpigov.ingest.errors import IngestSetupError
from kpigov.ingest.rules import BotRules, CIBRules, DedupRules, EmployeeRules, IngestRules
from kpigov.specs.base import Envelope, to_timedelta
from kpigov.specs.config import EntitySpec
from kpigov.specs.data import DedupPolicy, DedupPolicySpec, Lexicon, LexiconSpec

if TYPE_CHECKING:
    from kpigov.project import Project
    from kpigov.sentiment import SentimentScorer

SpecT = TypeVar("SpecT", bound=Envelope)


@dataclass(frozen=True)
class IngestSetup:
    """Everything ``ingest_file`` needs from a repository, and which documents it came from."""

    rules: IngestRules
    scorer: SentimentScorer
    resolver: KeywordEntityResolver | None
    dedup_ref: str
    lexicon_ref: str


def ingest_setup(project: Project, *, dedup: str | None = None, lexicon: str | None = None) -> IngestSetup:
    """Compile the repository's ingestion specs; ``dedup``/``lexicon`` pick one when several exist.

    The project must have loaded without errors: rules compiled from a broken repository would
    silently count the wrong mentions.
    """
    if not project.ok:
        raise IngestSetupError(
            f"{project.root}: the governance repository has {project.diagnostics.error_count} error(s); "
            "run 'kpigov validate' and fix them first"
        )
    policy = _chosen(project, DedupPolicy, dedup, "--dedup")
    words = _chosen(project, Lexicon, lexicon, "--lexicon")
    try:
        rules = ingest_rules(policy.spec)
    except ValueError as exc:
        raise IngestSetupError(f"{project.locate(policy.ref, ['spec'])}: {policy.ref}: {exc}") from exc
    try:
        scorer = sentiment_scorer(words.spec)
    except ValueError as exc:
        raise IngestSetupError(f"{project.locate(words.ref, ['spec', 'terms'])}: {words.ref}: {exc}") from exc
    entities = project.config.spec.entities
    return IngestSetup(rules, scorer, entity_resolver(entities) if entities else None, policy.ref, words.ref)


def ingest_rules(policy: DedupPolicySpec) -> IngestRules:
    """A DedupPolicy as rules; ValueError names what cannot be compiled."""
    cross = policy.cross_platform
    bots = policy.bots
    return IngestRules(
        dedup=DedupRules(
            collapse_reposts=policy.reposts == "collapse",
            quotes_count_as_mentions=policy.quotes == "count",
            cross_platform_window=to_timedelta(cross.window) if cross else None,
            min_text_length_for_text_dedup=cross.min_text_length if cross else 0,  # unused without a window
        ),
        bots=BotRules(
            max_followers=bots.max_followers,
            max_posts=bots.max_posts,
            min_account_age_days=_whole_days(bots.min_account_age) if bots.min_account_age else None,
            handle_patterns=tuple(bots.handle_patterns),
            max_link_ratio=bots.max_link_ratio,
            link_ratio_min_posts=bots.link_ratio_min_posts,
        )
        if bots
        else BotRules(),
        cib=CIBRules(
            min_accounts=policy.coordination.min_accounts,
            window=to_timedelta(policy.coordination.window),
            min_similarity=policy.coordination.min_similarity,
        )
        if policy.coordination
        else None,
        employees=EmployeeRules(frozenset(policy.employees.handles), tuple(policy.employees.handle_patterns))
        if policy.employees
        else EmployeeRules(),
    )


def sentiment_scorer(lexicon: LexiconSpec) -> SentimentScorer:
    """A Lexicon as a scorer (VADER plus its terms, labelled at its thresholds)."""
    from kpigov.sentiment import SentimentScorer  # VADER's lexicon is read on first use only

    return SentimentScorer(
        lexicon.terms, positive_at=lexicon.positive_at, negative_at=lexicon.negative_at, base=lexicon.base
    )


def entity_resolver(entities: Mapping[str, EntitySpec]) -> KeywordEntityResolver:
    """Entities in config order (the first listed wins a tie); ``@handle`` names its entity too."""
    return KeywordEntityResolver(
        {entity: [*spec.keywords, *(f"@{h.removeprefix('@')}" for h in spec.handles)] for entity, spec in entities.items()}
    )


def _whole_days(duration: str) -> int:
    days, rest = divmod(to_timedelta(duration), timedelta(days=1))
    if rest:
        raise ValueError(f"bots.min_account_age must be whole days, got {duration}")
    return days


def _chosen(project: Project, kind: type[SpecT], ref: str | None, option: str) -> SpecT:
    """The document ``ref`` of ``kind``, or the only one there is."""
    found = {spec.ref: spec for spec in project.of_kind(kind)}
    if ref is not None:
        if ref not in found:
            known = ", ".join(sorted(found)) or "none"
            raise IngestSetupError(f"{project.root}: no {kind.KIND} {ref!r} (the repository has: {known})")
        return found[ref]
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise IngestSetupError(f"{project.root}: the repository declares no {kind.KIND}; ingestion needs one")
    raise IngestSetupError(
        f"{project.root}: {len(found)} {kind.KIND} documents ({', '.join(sorted(found))}); choose one with {option}"
    )
