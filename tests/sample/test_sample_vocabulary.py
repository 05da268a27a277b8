"""Every English text the generator can compose is labelled with the polarity it was drawn for."""

from __future__ import annotations

import itertools

from kpigov.sample import STRIDEWELL_LEXICON
from kpigov.sample import vocabulary as vocab
from kpigov.sentiment import SentimentScorer


def test_every_template_combination_scores_as_its_polarity() -> None:
    scorer = SentimentScorer(STRIDEWELL_LEXICON)
    wrong = []
    for polarity, by_topic in vocab.PHRASES_EN.items():
        phrases = [phrase for group in by_topic for phrase in group]
        names = [name for group in vocab.ENTITY_NAMES for name in group]
        combinations = itertools.product(("", "RT @swift_runner42: "), vocab.OPENERS_EN, names, phrases, vocab.CLOSERS_EN[polarity])
        for prefix, opener, name, phrase, closer in combinations:
            text = f"{prefix}{opener}{name} {phrase}{closer}"
            if scorer.label(scorer.score(text)) != polarity:
                wrong.append((polarity, text))
    assert wrong == []


def test_chinese_and_russian_texts_are_unreadable_to_vader() -> None:
    scorer = SentimentScorer(STRIDEWELL_LEXICON)
    texts = [text for phrases in (vocab.PHRASES_ZH, vocab.PHRASES_RU) for group in phrases.values() for text in group]
    assert {scorer.score(f"{vocab.BRAND} {text}") for text in texts} == {0.0}


def test_the_lexicon_is_a_valid_override_set() -> None:
    assert SentimentScorer(STRIDEWELL_LEXICON).overrides == dict(sorted(STRIDEWELL_LEXICON.items()))
