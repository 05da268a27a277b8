"""Normalised text identity, entity resolution, and the sentiment hand-off."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import mentions, write_canonical
from kpigov.ingest import DedupRules, IngestRules, KeywordEntityResolver, content_hash, ingest_file, normalise_text
from kpigov.ingest.text import IdentityHasher, mention_id, normalised_texts
from kpigov.store import open_store


def test_normalisation_removes_what_differs_between_copies() -> None:
    assert normalise_text("  ＡＣＭＥ  Straße\n@bob https://t.co/x  rocks ") == "acme strasse rocks"
    assert content_hash("ACME rocks @a http://x.y") == content_hash("acme   rocks")


@pytest.mark.parametrize(("text", "entity"), [
    ("I love ACME!", "acme"), ("#acme rules", "acme"), ("@Acme_Support help", None), ("acmeville fair", None),
    ("globex and acme", "acme"),  # the first entity listed wins, not the first in the text
    ("ask @globex", "globex"),
])
def test_keyword_resolver(text: str, entity: str | None) -> None:
    resolve = KeywordEntityResolver({"acme": ["acme"], "globex": ["globex", "@globex"]})
    assert resolve(text, {}) == entity


class FakeScorer:
    fingerprint = "lexicon-v1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score_texts(self, texts: list[str]) -> list[float]:
        self.calls.append(texts)
        return [0.5 if "love" in t else -0.5 for t in texts]

    def label(self, score: float) -> str:
        return "positive" if score > 0 else "negative"


def test_scorer_sees_each_canonical_unscored_text_once(duckdb_url: str, tmp_path: Path) -> None:
    t = datetime(2024, 5, 1)
    rows = [
        {"platform": "x", "native_id": "1", "entity": "acme", "created_at": t, "text": "I love acme"},
        {"platform": "x", "native_id": "2", "entity": "acme", "created_at": t + timedelta(minutes=1), "text": "I love acme"},
        {"platform": "x", "native_id": "3", "entity": "acme", "created_at": t, "text": "RT", "repost_of": "1"},
        {"platform": "x", "native_id": "4", "entity": "acme", "created_at": t, "text": "acme broke"},
    ]
    rules = IngestRules(DedupRules(True, True, None, 10))
    scorer = FakeScorer()
    with open_store(duckdb_url, create=True) as store:
        report = ingest_file(store, write_canonical(tmp_path / "s.parquet", rows), "canonical", rules=rules, scorer=scorer)
        assert sorted(scorer.calls[0]) == ["I love acme", "acme broke"]
        assert report.rows_scored == 3
        assert mentions(store, "native_id", "sentiment_score", "sentiment_label", "lexicon_fingerprint") == [
            ("1", 0.5, "positive", "lexicon-v1"), ("2", 0.5, "positive", "lexicon-v1"),
            ("3", None, None, None), ("4", -0.5, "negative", "lexicon-v1"),
        ]
        ingest_file(store, write_canonical(tmp_path / "s.parquet", rows), "canonical", rules=rules, scorer=scorer)
        assert len(scorer.calls) == 1  # nothing left unscored: the scorer is not called again


_TRICKY = "aAzZ09_@:/.-hHtTpPsSwW \t\n\x0b\x0c\r\x1c\x1f\x85ßİ\u00a0ｗ#"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=_TRICKY, max_size=40),
                          st.builds(lambda a, b: f"{a} http://x.y/{b} @{b} www.{a}", st.text(_TRICKY, max_size=8), st.text(_TRICKY, max_size=8))),
                max_size=20))
def test_vectorised_normalisation_follows_the_definition(texts: list[str | None]) -> None:
    """The vectorised column version equals the definition: NFKC, casefold, URLs and @handles out, spaces collapsed."""

    def definition(text: str) -> str:
        folded = unicodedata.normalize("NFKC", text).casefold()
        cleaned = re.sub(r"(?<!\w)@\w+", " ", re.sub(r"(?:https?://|www\.)\S+", " ", folded, flags=re.IGNORECASE))
        return hashlib.sha256(re.sub(r"\s+", " ", cleaned).strip().encode()).hexdigest()

    normalised = normalised_texts(pa.array(texts, pa.string())).to_pylist()
    assert [hashlib.sha256(n.encode()).hexdigest() for n in normalised] == [definition(t or "") for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "reddit", "vk"]), st.text(_TRICKY + "é語", min_size=1, max_size=12),
                          st.one_of(st.none(), st.text(alphabet=_TRICKY + "é語", max_size=40))), max_size=20))
def test_vectorised_identities_equal_the_python_definitions(rows: list[tuple[str, str, str | None]]) -> None:
    """``IdentityHasher`` (DuckDB's sha256 over whole columns) gives ``mention_id`` and ``content_hash``, row by row."""
    platforms, natives, texts = (pa.array(list(c), pa.string()) for c in zip(*rows)) if rows else (pa.array([], pa.string()),) * 3
    with IdentityHasher() as hasher:
        ids, hashes = hasher.identities(platforms, natives, normalised_texts(texts))
    assert ids.to_pylist() == [mention_id(p, n) for p, n, _ in rows]
    assert hashes.to_pylist() == [content_hash(t) for _, _, t in rows]
