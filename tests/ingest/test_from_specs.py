"""The example repository's specs compile into the rules, scorer and resolver an ingest runs with."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import kpigov
from kpigov.ingest import BotRules, CIBRules, DedupRules, EmployeeRules, IngestRules
from kpigov.ingest.errors import IngestSetupError
from kpigov.ingest.from_specs import ingest_setup
from kpigov.specs import Lexicon
from tests.conftest import ROOT


def test_the_example_repository_compiles_to_its_policies() -> None:
    setup = ingest_setup(kpigov.load(ROOT))
    assert (setup.dedup_ref, setup.lexicon_ref) == ("dedup/default", "lexicon/brand-domain")
    assert setup.rules == IngestRules(
        dedup=DedupRules(collapse_reposts=True, quotes_count_as_mentions=True,
                         cross_platform_window=timedelta(hours=6), min_text_length_for_text_dedup=20),
        bots=BotRules(max_followers=25, max_posts=30_000, min_account_age_days=14,
                      handle_patterns=(r"^promo_deals_\d+$", r"^free_?kicks\d*$"), max_link_ratio=0.8),
        cib=CIBRules(min_accounts=30, window=timedelta(hours=1), min_similarity=0.9),
        employees=EmployeeRules(frozenset({"stridewell", "stridewell_support"}),
                                (r"^stridewell_[a-z]+$", r"^sw_team_[a-z0-9_]+$")),
    )


def test_the_scorer_is_the_lexicon_file() -> None:
    project = kpigov.load(ROOT)
    (lexicon,) = project.of_kind(Lexicon)
    scorer = ingest_setup(project).scorer
    assert scorer.overrides == dict(sorted(lexicon.spec.terms.items()))
    assert (scorer.positive_at, scorer.negative_at) == (lexicon.spec.positive_at, lexicon.spec.negative_at)
    assert scorer.label(scorer.score("these are bricks")) == "negative"


@pytest.mark.parametrize(("text", "entity"), [
    ("my Aero 2 arrived", "stridewell"),
    ("shoutout @voltarun", "volta"),
    ("@Stridewell_Support never answered", "stridewell"),
    ("KINETIQ!", "kinetiq"),
    ("nothing tracked here", None),
])
def test_entities_resolve_to_their_ids(text: str, entity: str | None) -> None:
    resolver = ingest_setup(kpigov.load(ROOT)).resolver
    assert resolver is not None
    assert resolver(text, {}) == entity


def _edit(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_pattern_python_rejects_is_reported_at_its_document(example_repo: Path) -> None:
    _edit(example_repo, "policies/dedup.yaml", r"'^free_?kicks\d*$'", "'^free_(kicks'")
    with pytest.raises(IngestSetupError, match=r"policies/dedup\.yaml:\d+:\d+: dedup/default: invalid handle pattern"):
        ingest_setup(kpigov.load(example_repo))


def test_a_lexicon_term_vader_never_produces_is_reported_at_its_terms(example_repo: Path) -> None:
    _edit(example_repo, "policies/lexicon.yaml", "    grail: 2.2", "    Grail: 2.2")
    with pytest.raises(IngestSetupError, match=r"(?s)policies/lexicon\.yaml:\d+:\d+: lexicon/brand-domain: .*'Grail'"):
        ingest_setup(kpigov.load(example_repo))


def test_partial_days_of_account_age_are_refused(example_repo: Path) -> None:
    _edit(example_repo, "policies/dedup.yaml", "min_account_age: P14D", "min_account_age: PT36H")
    with pytest.raises(IngestSetupError, match="whole days, got PT36H"):
        ingest_setup(kpigov.load(example_repo))


def test_two_lexicons_need_a_choice(example_repo: Path) -> None:
    second = (example_repo / "policies/lexicon.yaml").read_text(encoding="utf-8").replace("id: brand-domain", "id: plain")
    (example_repo / "policies/lexicon-plain.yaml").write_text(second, encoding="utf-8")
    project = kpigov.load(example_repo)
    with pytest.raises(IngestSetupError, match="2 Lexicon documents .*choose one with --lexicon"):
        ingest_setup(project)
    assert ingest_setup(project, lexicon="lexicon/plain").lexicon_ref == "lexicon/plain"
    with pytest.raises(IngestSetupError, match="no Lexicon 'lexicon/nope'"):
        ingest_setup(project, lexicon="lexicon/nope")


def test_an_invalid_repository_is_refused(example_repo: Path) -> None:
    _edit(example_repo, "policies/dedup.yaml", "reposts: collapse", "reposts: squash")
    with pytest.raises(IngestSetupError, match="error\\(s\\); run 'kpigov validate'"):
        ingest_setup(kpigov.load(example_repo))
