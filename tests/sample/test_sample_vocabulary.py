"""The sample is written in the example repository's words: its lexicon and its entity ids."""

from __future__ import annotations

import itertools

from sample_fixtures import example_project, example_resolver, example_scorer

from kpigov.sample import vocabulary as vocab


def test_every_template_combination_scores_as_its_polarity() -> None:
    scorer = example_scorer()
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
    scorer = example_scorer()
    texts = [text for phrases in (vocab.PHRASES_ZH, vocab.PHRASES_RU) for group in phrases.values() for text in group]
    assert {scorer.score(f"{name} {text}") for text in texts for name in vocab.DISPLAY_NAMES} == {0.0}


def test_sample_entities_are_the_repository_entity_ids() -> None:
    assert list(example_project().config.spec.entities) == list(vocab.ENTITIES)


def test_every_way_a_text_names_an_entity_resolves_to_its_id() -> None:
    resolve = example_resolver()
    named = {name: resolve(f"ngl {name} these are sick", {}) for names in vocab.ENTITY_NAMES for name in names}
    expected = {name: entity for entity, names in zip(vocab.ENTITIES, vocab.ENTITY_NAMES, strict=True) for name in names}
    assert named == expected
