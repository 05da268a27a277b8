"""Diagnostics: what kpigov tells an author, and where.

Every problem kpigov finds is a :class:`Diagnostic` with a stable :class:`Code`, a severity, a
message and a :class:`Location` (1-based ``file:line:col``). Problems are collected into a
:class:`Diagnostics` set that de-duplicates them and sorts them by location, so an author sees all
of them at once, in file order. Renderers for the CLI formats (text, JSON, SARIF, GitHub workflow
annotations) live in :mod:`kpigov.cli.render`.

Codes are stable: tools and CI configurations may match on them. The catalogue below is the single
source of ``docs/diagnostics.md`` (generated, and checked by a test).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable, Iterator


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A 1-based position in a file of the governance repository (path is repo-relative, POSIX)."""

    path: str
    line: int = 0
    column: int = 0

    @classmethod
    def from_mark(cls, path: str, mark: object, *, column_offset: int = 0) -> "Location":
        """Convert a 0-based ruamel mark (``.line``, ``.column``) to a 1-based location.

        This is the one place where 0-based parser positions become 1-based user positions.
        """
        return cls(path, mark.line + 1, mark.column + 1 + column_offset)  # type: ignore[attr-defined]

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Code(enum.Enum):
    """The catalogue of diagnostic codes: ``(code, slug, summary)``.

    ``KG1xx`` file and YAML, ``KG2xx`` structure and types, ``KG3xx`` references and ids,
    ``KG4xx`` conventions, ``KG5xx`` consistency rules, ``KG6xx`` expressions, ``KG7xx`` compiler and
    change control, ``KG9xx`` internal.
    """

    # -- files and YAML ------------------------------------------------------------------------
    FILE_UNREADABLE = ("KG100", "file-unreadable", "The file cannot be read (permissions, vanished, not a regular file).")
    FILE_TOO_LARGE = ("KG101", "file-too-large", "The file is larger than the configured size limit.")
    INVALID_UTF8 = ("KG102", "invalid-utf8", "The file is not valid UTF-8.")
    NUL_BYTE = ("KG103", "nul-byte", "The file contains a NUL byte.")
    BOM = ("KG104", "byte-order-mark", "A byte-order mark other than a single leading UTF-8 BOM (UTF-16/32 BOM, or U+FEFF inside the text).")
    BIDI_CONTROL = ("KG105", "bidi-control", "A bidirectional-text control character (Trojan Source) in the text.")
    YAML_SYNTAX = ("KG106", "yaml-syntax", "The YAML cannot be parsed.")
    YAML_ALIAS = ("KG107", "yaml-alias", "Anchors and aliases are not allowed (alias bombs, hidden sharing).")
    YAML_MERGE_KEY = ("KG108", "yaml-merge-key", "Merge keys (`<<`) are not allowed.")
    YAML_TAG = ("KG109", "yaml-tag", "Only the standard YAML tags are allowed (no `!custom`, `!!python/...`, `!!binary`, `!!set`, ...).")
    DUPLICATE_KEY = ("KG110", "duplicate-key", "A mapping defines the same key twice.")
    TOO_DEEP = ("KG111", "too-deep", "Nesting deeper than the configured limit.")
    COMPLEX_KEY = ("KG112", "complex-key", "A mapping key that is not a plain string, number or boolean.")
    TOO_MANY_DOCUMENTS = ("KG113", "too-many-documents", "More YAML documents in one file than the configured limit.")
    PATH_ESCAPES_ROOT = ("KG114", "path-escapes-root", "A file (or symlink) resolves outside the repository root.")
    EMPTY_DOCUMENT = ("KG115", "empty-document", "A YAML document is empty or is not a mapping.")
    NOT_A_NUMBER = ("KG116", "not-a-number", "`.nan` and `.inf` are not accepted as values.")

    # -- structure and types -------------------------------------------------------------------
    UNKNOWN_API_VERSION = ("KG200", "unknown-api-version", "`apiVersion` is missing or not one kpigov supports.")
    UNKNOWN_KIND = ("KG201", "unknown-kind", "`kind` is missing or not a known kind.")
    MISSING_FIELD = ("KG202", "missing-field", "A required field is missing.")
    UNKNOWN_FIELD = ("KG203", "unknown-field", "A field that the kind does not define (often a typo).")
    WRONG_TYPE = ("KG204", "wrong-type", "A value of the wrong type (e.g. a number where a string is meant: quote it).")
    INVALID_VALUE = ("KG205", "invalid-value", "A value outside the allowed set or format.")
    YAML11_LOOKALIKE = ("KG206", "yaml11-lookalike", "A YAML 1.1 boolean look-alike (`yes`, `no`, `on`, `off`) where a boolean is meant.")
    INVALID_SEMVER = ("KG207", "invalid-semver", "`metadata.version` is not a semantic version (MAJOR.MINOR.PATCH).")
    INVALID_DURATION = ("KG208", "invalid-duration", "Not an ISO 8601 duration (e.g. `P8W`, `P30D`, `PT4H`).")
    INVALID_DATE = ("KG209", "invalid-date", "Not an ISO 8601 date or date-time.")

    # -- references and identifiers ------------------------------------------------------------
    DUPLICATE_ID = ("KG300", "duplicate-id", "Two documents of the same kind declare the same id.")
    UNRESOLVED_REFERENCE = ("KG301", "unresolved-reference", "A reference (`dataset/...`, `team/...`, ...) names nothing that exists.")
    WRONG_REFERENCE_KIND = ("KG302", "wrong-reference-kind", "A reference points at a document of the wrong kind.")
    CONFUSABLE_IDENTIFIER = ("KG303", "confusable-identifier", "An identifier contains confusable or mixed-script characters.")
    UNKNOWN_OWNER = ("KG304", "unknown-owner", "`metadata.owner` does not name a declared Team.")
    UNKNOWN_COLUMN = ("KG305", "unknown-column", "A column that the dataset does not declare.")

    # -- conventions ---------------------------------------------------------------------------
    NAMING_CONVENTION = ("KG400", "naming-convention", "An id does not follow the repository's naming convention.")
    MISSING_TAG = ("KG401", "missing-tag", "A tag the repository config requires is missing.")
    MISSING_METADATA = ("KG402", "missing-metadata", "Metadata the repository config requires for this kind is missing.")
    FILE_PLACEMENT = ("KG403", "file-placement", "A document sits in a folder meant for other kinds.")
    CONFIG_INVALID = ("KG404", "config-invalid", "The repository config (`kpigov.yaml`) is invalid.")

    # -- consistency rules ---------------------------------------------------------------------
    BANDS_POLARITY = ("KG500", "bands-polarity", "RAG bands are inconsistent with the KPI's polarity or overlap/leave gaps.")
    RETIRED_REFERENCED = ("KG501", "retired-referenced", "An active KPI depends on a retired (or deprecated past its date) KPI.")
    STATUS_FIELDS = ("KG502", "status-fields", "A deprecated/retired KPI lacks its deprecation date or replacement.")
    PUBLIC_WITHOUT_PRIVACY = ("KG503", "public-without-privacy", "A public KPI declares no privacy treatment.")
    SHARE_OF_VOICE_PANEL = ("KG504", "share-of-voice-panel", "Share of voice needs a locked competitor panel with platforms and a timeframe.")
    MEASURE_FIELDS = ("KG505", "measure-fields", "The measure lacks fields its type needs (or has ones it cannot use).")
    DERIVED_CYCLE = ("KG506", "derived-cycle", "Derived KPIs form a cycle.")
    RETENTION_CONFLICT = ("KG507", "retention-conflict", "Two retention rules govern the same data class in one jurisdiction.")
    ESCALATION_ORDER = ("KG508", "escalation-order", "Escalation tiers are not in increasing `escalate_after` order.")
    MIXED_SENTIMENT_VARIANTS = ("KG509", "mixed-sentiment-variants", "One derived KPI combines net-sentiment KPIs of different variants.")
    EVENT_DATES = ("KG510", "event-dates", "An event ends before it starts.")
    ACCESS_RULE = ("KG511", "access-rule", "An access rule names a column the dataset does not declare or masks a column it does not allow.")
    GX_EXPECTATION = ("KG512", "gx-expectation", "An expectation type or its arguments are not known to Great Expectations.")
    SENTIMENT_THRESHOLDS = ("KG513", "sentiment-thresholds", "`negative_at` must be below `positive_at`, both within [-1, 1].")
    GX_UNSUPPORTED = ("KG514", "gx-unsupported", "An expectation Great Expectations cannot run on the store's backend, or one kpigov refuses (raw SQL).")
    EVENT_COHORTS = ("KG515", "event-cohorts", "Cohorts on a non-experiment event, a single cohort, or a cohort that is only a name (no `where:` condition).")

    # -- expressions ---------------------------------------------------------------------------
    EXPRESSION = ("KG600", "expression", "An expression (filter, condition, formula) is invalid or uses something not allowed.")
    EXPRESSION_NAME = ("KG601", "expression-name", "An expression names an unknown column or KPI.")
    EXPRESSION_TYPE = ("KG602", "expression-type", "An expression combines values of incompatible types.")

    # -- compiler and change control (kpigov compile / kpigov diff) ------------------------------
    DEPENDENCY_CYCLE = ("KG700", "dependency-cycle", "Documents depend on each other in a cycle (dataset fallbacks, role inheritance, ...).")
    QUALITY_GATE_DATASET = ("KG701", "quality-gate-dataset", "A KPI's quality gate checks another dataset than the one the KPI reads.")
    BREAKING_CHANGE = ("KG710", "breaking-change", "A change to what a KPI means (measure, filter, dedup, lexicon, panel, baseline...); blocked unless versioned.")
    POLICY_SENSITIVE_CHANGE = ("KG711", "policy-sensitive-change", "A change to access, retention, escalation or privacy; blocked unless an authorised team approved it.")
    COMPATIBLE_CHANGE = ("KG712", "compatible-change", "A compatible change (metadata, description, tags, new KPIs, other minor changes).")

    # -- internal ------------------------------------------------------------------------------
    INTERNAL = ("KG900", "internal-error", "kpigov failed unexpectedly; please report it with the input.")
    TOO_MANY_DIAGNOSTICS = ("KG901", "too-many-diagnostics", "More diagnostics than the display cap; the rest are counted, not shown.")

    def __init__(self, code: str, slug: str, summary: str) -> None:
        self.code = code
        self.slug = slug
        self.summary = summary


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: stable code, severity, message, where it is, and optionally how to fix it."""

    code: Code
    message: str
    location: Location
    severity: Severity = Severity.ERROR
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.severity.rank, self.code.code, self.message)

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity.value} {self.code.code}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


@dataclass
class Diagnostics:
    """A de-duplicated collection of diagnostics, iterated in location order."""

    _items: dict[tuple[str, int, int, int, str, str], Diagnostic] = field(default_factory=dict)

    def add(self, diagnostic: Diagnostic) -> None:
        self._items.setdefault(diagnostic.sort_key(), diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def error(self, code: Code, message: str, location: Location, hint: str | None = None) -> None:
        self.add(Diagnostic(code, message, location, Severity.ERROR, hint))

    def warning(self, code: Code, message: str, location: Location, hint: str | None = None) -> None:
        self.add(Diagnostic(code, message, location, Severity.WARNING, hint))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items.values())

    @property
    def error_count(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self._items.values())

    def sorted(self) -> list[Diagnostic]:
        return [self._items[key] for key in sorted(self._items)]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)


class ExitCode(enum.IntEnum):
    """Process exit codes of every ``kpigov`` command.

    - ``OK`` (0): valid / passed / nothing blocked.
    - ``FAILED`` (1): the input is invalid, a test failed, or a change is blocked.
    - ``ERROR`` (2): usage error (bad arguments, missing files, unknown ids) or an internal error.
    """

    OK = 0
    FAILED = 1
    ERROR = 2
