"""Identity of a mention (``mention_id``) and of its text (``content_hash``).

Both are pure functions of the data, so re-ingesting a file reproduces the same ids and any two
platforms' copies of a text meet on the same hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w+")
_TOKEN = re.compile(r"\w+")
#: The same three patterns for ASCII text, in RE2 syntax, each class spelled out: the ASCII
#: characters Python's ``str.isspace`` (what ``\s`` and ``str.split`` use) and ``\w`` accept.
_ASCII_SPACE_CLASS = r"\t\n\x0b\x0c\r\x1c-\x1f "
_ASCII_URL = rf"(?:https?://|www\.)[^{_ASCII_SPACE_CLASS}]+"
_ASCII_HANDLE = r"(^|[^0-9A-Za-z_])@[0-9A-Za-z_]+"
_ASCII_SPACES = rf"[{_ASCII_SPACE_CLASS}]+"
_ASCII_NON_SPACE_BLANK = r"[\t\n\x0b\x0c\r\x1c-\x1f]"
#: What separates ``\w+`` matches in a normalised ASCII text: Python's ``\w`` on ASCII is exactly
#: ``[0-9A-Za-z_]``. A run of non-word characters (spaces included) becomes one space.
_ASCII_NON_WORD = r"[^0-9A-Za-z_]+"
_ASCII_NON_WORD_NON_SPACE = r"[^0-9A-Za-z_ ]"


def mention_id(platform: str, native_id: str) -> str:
    """``sha256("platform:native_id")``, first 32 hex characters."""
    return hashlib.sha256(f"{platform}:{native_id}".encode()).hexdigest()[:32]


def normalise_text(text: str) -> str:
    """NFKC, casefold, URLs and @handles removed, whitespace collapsed.

    Handles go because a retweet or cross-post differs from its original mostly by who is tagged;
    URLs go because shorteners rewrite them per platform.
    """
    # Shortcuts keep this exact but cheap on the common case (millions of rows per ingest):
    # ASCII is NFKC-stable and casefolds as lower(); a regex runs only if its anchor occurs;
    # str.split() splits on exactly the characters re's \s matches.
    folded = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    if "http" in folded or "www." in folded:
        folded = _URL.sub(" ", folded)
    if "@" in folded:
        folded = _HANDLE.sub(" ", folded)
    return " ".join(folded.split())


def content_hash(text: str | None) -> str:
    """sha256 hex digest of the normalised text (a missing text hashes like the empty one)."""
    return hashlib.sha256(normalise_text(text or "").encode()).hexdigest()


def tokens(text: str | None) -> frozenset[str]:
    """The normalised text's word set, what near-duplicate (Jaccard) comparisons use."""
    return frozenset(_TOKEN.findall(normalise_text(text or "")))


def normalised_texts(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``normalise_text`` of a whole column (null normalises like the empty text), exactly.

    ASCII texts, most of any export, take Arrow's vectorised kernels, whose character classes are
    written out so they match exactly what ``normalise_text`` does to ASCII (RE2's ``\\s`` lacks
    ``\\v`` and has no lookbehind). Other texts go through ``normalise_text`` itself, once per
    distinct text: only Python's own Unicode tables give Python's NFKC, casefold and ``\\w``.
    """
    column = pc.fill_null(texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts, "")
    folded = pc.ascii_lower(column)
    folded = pc.replace_substring_regex(folded, _ASCII_URL, " ")
    folded = pc.replace_substring_regex(folded, _ASCII_HANDLE, r"\1 ")
    folded = pc.utf8_trim(_collapse_spaces(folded), " ")
    ascii_rows = pc.string_is_ascii(column)
    if pc.all(ascii_rows).as_py():
        return folded
    others = pc.unique(pc.filter(column, pc.invert(ascii_rows)))
    normalised = pa.array([normalise_text(text) for text in others.to_pylist()], pa.string())
    return pc.if_else(ascii_rows, folded, normalised.take(pc.index_in(column, value_set=others)))


class IdentityHasher:
    """``mention_id`` and ``content_hash`` of whole columns, vectorised: DuckDB's ``sha256`` in a
    private in-memory database (one thread, it runs beside the store's own work during an ingest).

    The values are exactly :func:`mention_id` and :func:`content_hash`'s (``tests/ingest``), only
    computed without a Python call per row. Not thread-safe: one hasher per thread. Close it.
    """

    _IDENTITIES = "substr(sha256(concat(platform, ':', native_id)), 1, 32) AS mention_id, sha256(normalised_text) AS content_hash"

    def __init__(self) -> None:
        self._db = duckdb.connect(":memory:", config={"threads": 1, "memory_limit": "128MB"})

    def identities(self, platform: pa.Array | pa.ChunkedArray, native_id: pa.Array | pa.ChunkedArray,
                   normalised: pa.Array | pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        """``(mention_id, content_hash)`` per row; ``normalised`` is ``normalised_texts`` of the texts."""
        rows = pa.table({"platform": platform, "native_id": native_id, "normalised_text": normalised})
        # A projection of an Arrow scan keeps the rows' order (DuckDB preserves insertion order).
        hashed = self._db.from_arrow(rows).project(self._IDENTITIES).to_arrow_table()
        return hashed.column("mention_id"), hashed.column("content_hash")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> IdentityHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def word_lists(texts: pa.Array | pa.ChunkedArray) -> pa.ListArray:
    """Each text's ``\\w+`` words in order, ``_TOKEN.findall(normalise_text(text))``, for a whole column.

    ``set(word_lists(c)[i])`` is ``tokens(c[i])``: near-duplicate detection tokenises a million
    texts per ingest, which in Python costs more than everything else it does. ASCII texts are
    normalised by ``normalised_texts`` and cut at runs of non-word characters by Arrow kernels;
    other texts go through Python's ``re`` once per distinct text, for Python's Unicode ``\\w``.
    """
    column = pc.fill_null(texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts, "")
    ascii_rows = pc.string_is_ascii(column)
    if pc.all(ascii_rows).as_py():
        return _ascii_word_lists(column)
    ascii_lists = _ascii_word_lists(pc.filter(column, ascii_rows))
    others = pc.unique(pc.filter(column, pc.invert(ascii_rows)))
    other_lists = pa.array([_TOKEN.findall(normalise_text(text)) for text in others.to_pylist()], pa.list_(pa.string()))
    # Row i is the k-th ASCII row (k counted from 0) or the j-th distinct other text: its list sits
    # at k, or after all ASCII lists at len(ascii_lists) + j.
    ascii_position = pc.subtract(pc.cumulative_sum(pc.cast(ascii_rows, pa.int64())), 1)
    other_position = pc.add(pc.cast(pc.index_in(column, value_set=others), pa.int64()), len(ascii_lists))
    return pa.concat_arrays([ascii_lists, other_lists]).take(pc.if_else(ascii_rows, ascii_position, other_position))


def _ascii_word_lists(column: pa.Array) -> pa.ListArray:
    """``word_lists`` of ASCII texts: normalise, turn non-word runs into one space, split on spaces.

    A normalised text is single-spaced and trimmed, so only rows holding a non-word character
    other than the space need the (costly) regex, and only the empty text yields an empty piece.
    """
    normalised = normalised_texts(column)
    irregular = pc.match_substring_regex(normalised, _ASCII_NON_WORD_NON_SPACE)
    if pc.any(irregular).as_py():
        spaced = pc.replace_substring_regex(pc.filter(normalised, irregular), _ASCII_NON_WORD, " ")
        normalised = pc.replace_with_mask(normalised, irregular, pc.utf8_trim(spaced, " "))
    pieces = pc.split_pattern(normalised, " ")
    words = pc.list_flatten(pieces)
    lengths = pc.subtract(pc.list_value_length(pieces), pc.cast(pc.equal(normalised, ""), pa.int32()))
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths)])
    return pa.ListArray.from_arrays(offsets, pc.filter(words, pc.not_equal(words, "")))


def _collapse_spaces(column: pa.Array) -> pa.Array:
    """Whitespace runs → one space, rewriting only rows that hold anything but single spaces.

    Most texts are already single-spaced, and a regex replacement that matches every space
    costs several times the scan that finds the few rows needing it.
    """
    irregular = pc.or_(pc.match_substring(column, "  "), pc.match_substring_regex(column, _ASCII_NON_SPACE_BLANK))
    if not pc.any(irregular).as_py():
        return column
    collapsed = pc.replace_substring_regex(pc.filter(column, irregular), _ASCII_SPACES, " ")
    return pc.replace_with_mask(column, irregular, collapsed)
