"""bias_audit and text_marker: per-group distributions, computed honestly."""

from __future__ import annotations

import math

import pytest

from kpigov.sentiment import SentimentScorer, bias_audit, text_marker


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("Эти кроссовки отличные", "non_latin_script"),
        ("这双鞋很好看", "non_latin_script"),
        ("ngl these slap, lowkey fire", "slang"),
        ("these are SICK!!", "slang"),
        ("Café crème, très bien", "other"),
        ("The delivery was late again.", "other"),
        ("", "other"),
    ],
)
def test_text_marker(text: str, marker: str) -> None:
    assert text_marker(text) == marker


def test_distribution_per_group() -> None:
    scores = [0.5, -0.5, 0.0, 0.1, 0.0]
    rows = bias_audit(["a"] * 5, scores, ["en", "en", "ru", "en", None])
    by_group = {row.group: row for row in rows}
    assert [row.group for row in rows] == ["en", "ru", "unknown"]
    en = by_group["en"]
    assert (en.n, en.mean, en.median) == (3, pytest.approx(0.1 / 3), 0.1)
    assert en.sd == pytest.approx(0.5033, abs=1e-4)
    assert (en.share_positive, en.share_neutral, en.share_negative) == (pytest.approx(2 / 3), 0.0, pytest.approx(1 / 3))
    assert by_group["ru"].share_zero == 1.0 and math.isnan(by_group["ru"].sd)
    assert en.mean_gap == pytest.approx(0.1 / 3 - 0.0)


def test_groups_default_to_text_markers_and_expose_unread_text() -> None:
    scorer = SentimentScorer()
    texts = ["Эти кроссовки отличные", "Отличная доставка", "great shoes", "awful laces", "ngl these slap"]
    rows = {row.group: row for row in bias_audit(texts, scorer.score_texts(texts))}
    assert set(rows) == {"non_latin_script", "other", "slang"}
    assert rows["non_latin_script"].share_zero == 1.0  # VADER reads no Russian: everything is "neutral"


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="same length"):
        bias_audit(["a", "b"], [0.1], None)
    assert bias_audit([], []) == []
