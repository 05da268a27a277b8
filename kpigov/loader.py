"""The hardened YAML loader: governance files in, plain data with a source map out.

This stage knows YAML, bytes and positions; it knows nothing about KPIs. Each file is

1. read as bytes and screened (size limit, NUL bytes, strict UTF-8, byte-order marks, bidi controls),
2. screened for anchors, aliases and excessive depth (an event scan, run only when a cheap
   over-estimate says it is needed), then composed into a node tree with ruamel's C parser (every
   node keeps its start mark),
3. converted to plain Python data (dict / list / str / int / float / bool / None), refusing merge
   keys, non-standard tags, duplicate keys and complex keys.

Scalars follow the YAML 1.2 core schema: ``yes``/``no``/``on``/``off`` stay strings, ``012`` is the
integer 12, and bare dates stay strings (the spec models decide what a date is). The typed models
then refuse a number or boolean where a string is meant instead of converting it silently.

A :class:`Document` keeps its node tree, so positions are looked up only when a diagnostic needs
one (:meth:`Document.locate`): validating thousands of files costs no position bookkeeping.
"""

from __future__ import annotations

import os
import re
from itertools import accumulate
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import BaseResolver, Resolver
from ruamel.yaml.tag import Tag

from kpigov.diagnostics import Code, Diagnostic, Location, Severity

__all__ = ["Document", "Limits", "LoadedFile", "load_file", "load_text", "discover"]

SPEC_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = ("_test.yaml", "_test.yml")

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ, _MERGE = (
    _CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge"))
#: One shared Tag object per standard tag, so the converter compares by identity on the hot path.
_TAGS = {name: Tag(suffix=name) for name in (_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ, _MERGE)}
_TAG_STR, _TAG_MAP, _TAG_SEQ = _TAGS[_STR], _TAGS[_MAP], _TAGS[_SEQ]


class _CoreResolver(BaseResolver):
    """YAML 1.2 core-schema resolution (ruamel's own 1.2 table) without the version bookkeeping.

    ruamel's VersionedResolver re-derives the YAML version for every scalar, which was two thirds of
    composing time; the table is the same, only ``yaml``/``value`` look-alikes stay strings.
    """

    _table: dict[str, list[tuple[Tag, re.Pattern[str]]]] = {}
    for _first, _entries in Resolver.yaml_implicit_resolvers.items():
        _table[_first] = [(_TAGS[tag], regexp) for tag, regexp in _entries if tag in _TAGS]

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self._table.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _TAG_STR
        return _TAG_SEQ if kind is SequenceNode else _TAG_MAP


class _Composer(CParser, _CoreResolver):  # type: ignore[misc]
    """libyaml's C parser and composer with the core resolver: a node tree, every node with its mark."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        self._parser = self._composer = self
        _CoreResolver.__init__(self, loadumper=self)


def _compose_all(text: str) -> Iterator[Node]:
    composer = _Composer(text)
    try:
        while composer.check_node():
            yield composer.get_node()
    finally:
        composer.dispose()


# Trojan Source (CVE-2021-42574): characters that reorder how text is displayed.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32 LE"), (b"\x00\x00\xfe\xff", "UTF-32 BE"),
         (b"\xff\xfe", "UTF-16 LE"), (b"\xfe\xff", "UTF-16 BE"))


@dataclass(frozen=True)
class Limits:
    """Resource limits for one file; hostile input is refused before it can cost anything."""

    max_file_bytes: int = 256 * 1024
    max_depth: int = 32
    max_documents: int = 500


@dataclass
class Document:
    """One YAML document: its data, where it came from, and its node tree for positions."""

    path: str
    index: int
    data: dict[str, Any]
    node: MappingNode = field(repr=False)
    text: str = field(default="", repr=False)  # the whole file's text (shared by its documents)

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind")
        return kind if isinstance(kind, str) else None

    @property
    def id(self) -> str | None:
        metadata = self.data.get("metadata")
        if isinstance(metadata, dict):
            value = metadata.get("id")
            return value if isinstance(value, str) else None
        return None

    @property
    def start(self) -> Location:
        return Location.from_mark(self.path, self.node.start_mark)

    def node_at(self, loc: Sequence[str | int]) -> tuple[Node, Node | None, int]:
        """Walk ``loc`` down the node tree as far as it goes.

        Returns the deepest node reached, the key node that led to it (for mappings), and how many
        path parts were consumed.
        """
        node: Node = self.node
        key_node: Node | None = None
        depth = 0
        for part in loc:
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    if isinstance(key, ScalarNode) and key.value == str(part):
                        key_node, node = key, value
                        break
                else:
                    return node, key_node, depth
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                key_node, node = None, node.value[part]
            else:
                return node, key_node, depth
            depth += 1
        return node, key_node, depth

    def locate(self, loc: Sequence[str | int], *, key: bool = False) -> Location:
        """The 1-based location of the value at ``loc`` (or of its key with ``key=True``).

        A path that does not exist (a missing field) resolves to the deepest existing parent.
        """
        node, key_node, _ = self.node_at(loc)
        if key and key_node is not None:
            node = key_node
        return Location.from_mark(self.path, node.start_mark)

    def scalar_text(self, loc: Sequence[str | int]) -> str | None:
        """The source text of the scalar at ``loc`` (``2.10`` stays ``2.10``), if it is one."""
        node, _, depth = self.node_at(loc)
        if depth == len(loc) and isinstance(node, ScalarNode):
            return node.value
        return None

    def locate_in_scalar(self, loc: Sequence[str | int], offset: int) -> Location:
        """The location of character ``offset`` inside the scalar at ``loc``.

        Exact for plain and quoted one-line scalars (the common case for expressions); for block and
        multi-line scalars it points at the start of the scalar.
        """
        node, _, depth = self.node_at(loc)
        if depth != len(loc) or not isinstance(node, ScalarNode):
            return Location.from_mark(self.path, node.start_mark)
        start, end = node.start_mark, node.end_mark
        style = node.style or ""  # libyaml reports plain scalars with an empty style
        if start.line != end.line or style not in ("", "'", '"'):
            return Location.from_mark(self.path, start)
        if not style or not self.text:
            return Location.from_mark(self.path, start, column_offset=offset)
        return Location.from_mark(self.path, start, column_offset=1 + _source_width(
            self.text[start.index + 1:end.index - 1], style, offset))



def _source_width(raw: str, quote: str, offset: int) -> int:
    """How many source characters of a quoted scalar's body encode its first ``offset`` characters.

    ``''`` is one character in a single-quoted scalar; a backslash escape is one in a double-quoted one.
    """
    i = produced = 0
    while produced < offset and i < len(raw):
        if quote == "'" and raw.startswith("''", i):
            i += 2
        elif quote == '"' and raw[i] == "\\":
            i += {"x": 4, "u": 6, "U": 10}.get(raw[i + 1:i + 2], 2)
        else:
            i += 1
        produced += 1
    return i + (offset - produced)


@dataclass
class LoadedFile:
    """What loading one file produced: its documents, or the diagnostics explaining why not."""

    path: str
    documents: list[Document]
    diagnostics: list[Diagnostic]
    content: bytes = b""


class _Refused(Exception):
    """Raised inside the composer to stop at hostile constructs."""

    def __init__(self, code: Code, message: str, mark: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark


def _depth_upper_bound(text: str) -> int:
    """A cheap over-estimate of how deep the YAML in ``text`` nests.

    The C composer recurses once per level and a few hundred thousand ``[`` crash the process, so
    depth must be known before composing. Flow depth counts every bracket (quoted or not, so it never
    under-estimates); block depth is bounded by a line's indentation plus its ``- ``, ``? `` and
    ``: `` indicators.
    """
    brackets = _BRACKETS.findall(text)
    flow = max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)
    block = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue
        depth = len(line) - len(stripped) + stripped.count("- ") + stripped.count("? ") + stripped.count(": ") + 1
        if depth > block:
            block = depth
    return flow + block


_BRACKETS = re.compile(r"[\[\]{}]")


def _scan_flow_prefix(text: str, limits: Limits) -> _Refused | None:
    """Find a flow-nesting attack in the text up to where its brackets first pass the limit.

    The pure-Python scanner is quadratic in open flow collections (5,000 ``[`` cost ~0.6 s), so the
    prefix is scanned first: positions there equal the full text's. A prefix that does not prove the
    depth (brackets inside quotes, a syntax error at the cut) proves nothing, and the caller scans
    the whole text as before.
    """
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > limits.max_depth:
            try:
                refused = _scan_events(text[:match.end()], limits, pure=True)
            except YAMLError:
                return None
            return refused if refused is not None and refused.code is Code.TOO_DEEP else None
    return None


def _scan_events(text: str, limits: Limits, *, pure: bool) -> _Refused | None:
    """Walk the event stream (no tree is built) for anchors, aliases and excessive depth.

    ``pure`` selects ruamel's pure-Python parser, which keeps its own stack and so survives any
    depth; the C parser is used when only anchors and aliases are in question.
    """
    depth = 0
    for event in YAML(typ="safe", pure=pure).parse(text):
        if isinstance(event, AliasEvent):
            return _Refused(Code.YAML_ALIAS, f"alias '*{event.anchor}' is not allowed", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            return _Refused(Code.YAML_ALIAS, f"anchor '&{event.anchor}' is not allowed", event.start_mark)
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > limits.max_depth:
                return _Refused(Code.TOO_DEEP, f"nesting deeper than {limits.max_depth} levels", event.start_mark)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return None


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _screen(path: str, content: bytes, limits: Limits) -> tuple[str | None, list[Diagnostic]]:
    """Refuse bytes that must never reach the parser; return the decoded text otherwise."""

    def refuse(code: Code, message: str, line: int = 1, column: int = 1) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(code, message, Location(path, line, column))]

    if len(content) > limits.max_file_bytes:
        return refuse(Code.FILE_TOO_LARGE, f"file is {len(content):,} bytes; the limit is {limits.max_file_bytes:,}")
    for bom, name in _BOMS:
        if content.startswith(bom):
            return refuse(Code.BOM, f"file starts with a {name} byte-order mark; save it as UTF-8")
    nul = content.find(b"\x00")
    if nul >= 0:
        line = content.count(b"\n", 0, nul) + 1
        column = nul - (content.rfind(b"\n", 0, nul) + 1) + 1
        return refuse(Code.NUL_BYTE, "file contains a NUL byte", line, column)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        line_start = content.rfind(b"\n", 0, exc.start) + 1
        column = len(content[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        return refuse(Code.INVALID_UTF8, f"invalid UTF-8 byte 0x{content[exc.start]:02x}", line, column)
    if text.startswith("\ufeff"):
        text = text[1:]  # one leading UTF-8 BOM is what some editors write; it carries no meaning
    inner_bom = text.find("\ufeff")
    if inner_bom >= 0:
        return refuse(Code.BOM, "byte-order mark (U+FEFF) inside the text", *_line_col(text, inner_bom))
    bidi = _BIDI.search(text)
    if bidi:
        char = bidi.group()
        return refuse(Code.BIDI_CONTROL, f"bidirectional control character U+{ord(char):04X} "
                      "can make the text display differently from what it means", *_line_col(text, bidi.start()))
    return text, []


class _Converter:
    """Turns a composed node tree into plain data, collecting diagnostics instead of stopping."""

    __slots__ = ("path", "diagnostics")

    def __init__(self, path: str) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def _error(self, code: Code, message: str, node: Node) -> None:
        self.diagnostics.append(Diagnostic(code, message, Location.from_mark(self.path, node.start_mark)))

    def convert(self, node: Node) -> Any:
        ctag = node.ctag
        if ctag is _TAG_STR:  # the common case first, by identity
            return node.value
        if ctag is _TAG_MAP:
            return self._mapping(node)
        if ctag is _TAG_SEQ:
            return [self.convert(item) for item in node.value]
        tag = str(ctag)  # an explicit tag in the document, or a resolved non-string scalar
        if isinstance(node, ScalarNode):
            if tag == _STR or tag == _TIMESTAMP:
                return node.value
            if tag == _INT:
                return _parse_int(node.value)
            if tag == _BOOL:
                return node.value.lower() == "true"
            if tag == _NULL:
                return None
            if tag == _FLOAT:
                value = float(node.value.replace("_", "").replace(".inf", "inf").replace(".Inf", "inf")
                              .replace(".INF", "inf").replace(".nan", "nan").replace(".NaN", "nan")
                              .replace(".NAN", "nan"))
                if value != value or value in (float("inf"), float("-inf")):
                    self._error(Code.NOT_A_NUMBER, f"'{node.value}' is not a finite number", node)
                    return None
                return value
            self._error(Code.YAML_TAG, f"tag '{tag}' is not allowed", node)
            return None
        if isinstance(node, MappingNode):
            if tag != _MAP:
                self._error(Code.YAML_TAG, f"tag '{tag}' is not allowed", node)
                return None
            return self._mapping(node)
        if isinstance(node, SequenceNode):
            if tag != _SEQ:
                self._error(Code.YAML_TAG, f"tag '{tag}' is not allowed", node)
                return None
            return [self.convert(item) for item in node.value]
        raise TypeError(f"unexpected node {node!r}")  # pragma: no cover - ruamel has no other node kinds

    def _mapping(self, node: MappingNode) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.ctag is not _TAG_STR:
                if not isinstance(key_node, ScalarNode):
                    self._error(Code.COMPLEX_KEY, "mapping keys must be plain scalars", key_node)
                    continue
                tag = str(key_node.ctag)
                if tag == _MERGE:
                    self._error(Code.YAML_MERGE_KEY, "merge keys ('<<') are not allowed", key_node)
                    continue
                if tag not in (_STR, _INT, _BOOL, _NULL, _FLOAT, _TIMESTAMP):
                    self._error(Code.YAML_TAG, f"tag '{tag}' is not allowed", key_node)
                    continue
            key = key_node.value  # keys are names: their source text, whatever they would resolve to
            if key in result:
                first = next(k for k, _ in node.value if k.value == key)
                self._error(Code.DUPLICATE_KEY, f"duplicate key '{key}' (first defined on line "
                            f"{first.start_mark.line + 1})", key_node)
                continue
            result[key] = self.convert(value_node)
        return result


def _parse_int(text: str) -> int:
    text = text.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith(("0x", "0X")):
        return sign * int(digits[2:], 16)
    if digits.startswith(("0o", "0O")):
        return sign * int(digits[2:], 8)
    if digits.startswith(("0b", "0B")):
        return sign * int(digits[2:], 2)
    return sign * int(digits, 10)


def load_text(path: str, content: bytes, limits: Limits = Limits()) -> LoadedFile:
    """Load every document of one file's bytes. ``path`` is the repo-relative name used in locations."""
    text, diagnostics = _screen(path, content, limits)
    if text is None:
        return LoadedFile(path, [], diagnostics, content)
    documents: list[Document] = []
    try:
        deep = _depth_upper_bound(text) > limits.max_depth
        if deep:
            refused = _scan_flow_prefix(text, limits)
            if refused is not None:
                raise refused
        if deep or "&" in text or "*" in text:
            refused = _scan_events(text, limits, pure=deep)
            if refused is not None:
                raise refused
        for index, node in enumerate(_compose_all(text)):
            if index >= limits.max_documents:
                diagnostics.append(Diagnostic(Code.TOO_MANY_DOCUMENTS, f"more than {limits.max_documents} "
                                              "documents in one file", Location.from_mark(path, node.start_mark)))
                break
            if not isinstance(node, MappingNode):
                diagnostics.append(Diagnostic(Code.EMPTY_DOCUMENT, "a document must be a mapping with "
                                              "apiVersion, kind, metadata and spec",
                                              Location.from_mark(path, node.start_mark)))
                continue
            converter = _Converter(path)
            data = converter.convert(node)
            if converter.diagnostics:
                diagnostics.extend(converter.diagnostics)
            elif isinstance(data, dict):
                documents.append(Document(path, index, data, node, text))
    except _Refused as exc:
        diagnostics.append(Diagnostic(exc.code, exc.message, Location.from_mark(path, exc.mark)))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location.from_mark(path, mark) if mark is not None else Location(path, 1, 1)
        diagnostics.append(Diagnostic(Code.YAML_SYNTAX, _yaml_message(exc), location))
    except ReaderError as exc:
        line, column = _line_col(text, exc.position) if isinstance(exc.position, int) else (1, 1)
        diagnostics.append(Diagnostic(Code.YAML_SYNTAX, f"unacceptable character: {exc.reason}",
                                      Location(path, line, column)))
    except (YAMLError, RecursionError, ValueError) as exc:
        diagnostics.append(Diagnostic(Code.YAML_SYNTAX, f"cannot parse YAML: {exc}", Location(path, 1, 1)))
    return LoadedFile(path, documents, diagnostics, content)


def _yaml_message(exc: MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "; ".join(parts) if parts else "invalid YAML"


def load_file(root: Path, file: Path, limits: Limits = Limits()) -> LoadedFile:
    """Load one file of the repository at ``root``, refusing anything that resolves outside it."""
    rel = _relative(root, file)
    try:
        resolved = file.resolve(strict=True)
        if not resolved.is_relative_to(root.resolve()):
            return LoadedFile(rel, [], [Diagnostic(Code.PATH_ESCAPES_ROOT, f"'{rel}' resolves to '{resolved}', "
                                                   "outside the repository", Location(rel))])
        if not resolved.is_file():
            raise IsADirectoryError(rel)
        size = resolved.stat().st_size
        if size > limits.max_file_bytes:  # refuse before reading a huge file into memory
            return LoadedFile(rel, [], [Diagnostic(Code.FILE_TOO_LARGE, f"file is {size:,} bytes; the limit is "
                                                   f"{limits.max_file_bytes:,}", Location(rel, 1, 1))])
        content = resolved.read_bytes()
    except OSError as exc:
        return LoadedFile(rel, [], [Diagnostic(Code.FILE_UNREADABLE, f"cannot read file: {exc.strerror or exc}",
                                               Location(rel), Severity.ERROR)])
    return load_text(rel, content, limits)


def _relative(root: Path, file: Path) -> str:
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.as_posix()


def discover(root: Path, folders: Iterable[str], *, tests: bool = False) -> list[Path]:
    """YAML files under ``folders`` of ``root``, sorted; ``tests`` selects ``*_test.yaml`` files instead.

    Hidden files and folders are skipped. Symlinks are listed (and later refused by
    :func:`load_file` if they leave the repository).
    """
    found: list[Path] = []
    for folder in folders:
        base = root / folder
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if name.startswith(".") or not name.endswith(SPEC_SUFFIXES):
                    continue
                if name.endswith(TEST_SUFFIXES) is tests:
                    found.append(Path(dirpath) / name)
    return sorted(found)
