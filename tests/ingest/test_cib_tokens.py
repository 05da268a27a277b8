"""The vectorised tokeniser CIB uses equals Python's definition, on hostile texts."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kpigov.ingest.cib import _distinct_words
from kpigov.ingest.text import _TOKEN, normalise_text, tokens, word_lists

# Word characters, every ASCII blank Python's \s knows, punctuation, URL and handle anchors, and
# non-ASCII letters, digits and spaces whose \w, casefold or NFKC differ from ASCII's.
_HOSTILE = "aAzZ09_@:/.-,!?'#hHtTpPsSwW \t\n\x0b\x0c\r\x1c\x1f\x85ßİé٣\u00a0\u2003ｗ①"
_TEXTS = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet=_HOSTILE, max_size=40),
        st.text(alphabet="ab_-., !", max_size=20),  # ASCII only: the Arrow path alone
        st.builds(lambda a, b: f"{a} http://x.y/{b} @{b}, www.{a}!", st.text(_HOSTILE, max_size=8), st.text(_HOSTILE, max_size=8)),
    ),
    max_size=20,
)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_word_lists_follow_the_definition(texts: list[str | None]) -> None:
    lists = word_lists(pa.array(texts, pa.string())).to_pylist()
    assert lists == [_TOKEN.findall(normalise_text(text or "")) for text in texts]
    assert [frozenset(words) for words in lists] == [tokens(text) for text in texts]


def test_word_lists_of_a_chunked_column_and_of_nothing() -> None:
    chunked = pa.chunked_array([["Hello, world!", None], ["ÀB c--d", "!!!"]])
    assert word_lists(chunked).to_pylist() == [["hello", "world"], [], ["àb", "c", "d"], []]
    assert word_lists(pa.array([], pa.string())).to_pylist() == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "dd", "é"]), max_size=6), max_size=8))
def test_distinct_words_keep_what_jaccard_needs(lists: list[list[str]]) -> None:
    """Codes are one per distinct token of a text, and two texts share as many codes as tokens."""
    words = _distinct_words(pa.array(lists, pa.list_(pa.string())))
    codes: dict[int, list[int]] = {}
    for text_id, token in zip(words.column("text_id").to_pylist(), words.column("token").to_pylist(), strict=True):
        codes.setdefault(text_id, []).append(token)
    for i, first in enumerate(lists):
        assert sorted(codes.get(i, [])) == sorted(set(codes.get(i, [])))
        assert len(codes.get(i, [])) == len(set(first))
        for j, second in enumerate(lists):
            assert len(set(codes.get(i, [])) & set(codes.get(j, []))) == len(set(first) & set(second))
