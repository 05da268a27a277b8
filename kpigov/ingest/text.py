"""Identity of a mention (``mention_id``) and of its text (``content_hash``).

Both are pure functions of the data, so re-ingesting a file reproduces the same ids and any two
platforms' copies of a text meet on the same hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

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
