"""The hash chain itself, independent of where it is stored: entries, hashes, offline verification.

An entry's hash is ``sha256`` (hex) of the UTF-8 bytes of its fields joined by U+001F (unit
separator), in this order::

    kpigov-audit/1 ␟ seq ␟ recorded_at (µs since the Unix epoch, UTC) ␟ kind ␟ subject ␟ actor
                   ␟ payload (canonical JSON) ␟ prev_hash

The join is unambiguous because no field can contain U+001F: canonical JSON escapes every control
character, subjects and actors are refused when they hold one, the rest are digits, hex or enum
values. The same definition is computed in SQL by :mod:`kpigov.lineage.chain_sql`, so a store is
verified where it lives; this module verifies exports (and tests prove the two agree).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from kpigov.lineage.errors import AuditEntryError, AuditExportError

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64
#: First field of every hash, so a future serialisation can never collide with this one.
CHAIN_FORMAT = "kpigov-audit/1"
SEPARATOR = "\x1f"
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


class AuditKind(StrEnum):
    """What an entry records. A closed set, so a typo is an error rather than a new kind."""

    EVALUATION_RUN = "evaluation_run"
    INGEST_RUN = "ingest_run"
    KPI_WITHHELD = "kpi_withheld"
    MANUAL_OVERRIDE = "manual_override"
    ALERT_ROUTED = "alert_routed"
    RETENTION_ENFORCED = "retention_enforced"
    ACCESS_DECISION = "access_decision"
    RETIREMENT_DECISION = "retirement_decision"
    FLAGS_REJUDGED = "flags_rejudged"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A committed entry. ``payload`` is canonical JSON; ``recorded_at`` is naive UTC (µs)."""

    seq: int
    recorded_at: datetime
    kind: str
    subject: str
    actor: str
    payload: str
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash the entry's fields call for (equal to ``hash`` unless it was tampered with)."""
        return entry_hash(self.seq, self.recorded_at, self.kind, self.subject, self.actor, self.payload,
                          self.prev_hash)

    def to_json_line(self) -> str:
        """The export form: one JSON object, payload as an object, time as ISO 8601 with ``Z``."""
        return json.dumps({"seq": self.seq, "recorded_at": self.recorded_at.isoformat(timespec="microseconds") + "Z",
                           "kind": self.kind, "subject": self.subject, "actor": self.actor,
                           "payload": json.loads(self.payload), "prev_hash": self.prev_hash, "hash": self.hash},
                          ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Entry ``seq`` had hash ``hash``: a point a verification may trust and start from."""

    seq: int
    hash: str


GENESIS = Checkpoint(0, GENESIS_HASH)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of a verification.

    ``entries`` counts the entries found good; ``head`` is the last good one (the chain's head when
    ``ok``); ``first_bad`` names the first entry that fails and ``reason`` says why.
    """

    ok: bool
    entries: int
    head: Checkpoint
    first_bad: int | None = None
    reason: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries verified, head seq {self.head.seq} hash {self.head.hash}"
        return f"audit chain broken at entry {self.first_bad}: {self.reason}"


#: One encoder for every call: ``json.dumps`` with options builds a new encoder each time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text, no NaN: equal data always serialises to equal text."""
    try:
        return _CANONICAL.encode(value)
    except (TypeError, ValueError) as exc:
        raise AuditEntryError(f"audit payload is not plain JSON data: {exc}") from exc


def epoch_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of a naive UTC datetime (the form ``recorded_at`` is hashed in)."""
    return (moment - _EPOCH) // _MICROSECOND


def entry_hash(seq: int, recorded_at: datetime, kind: str, subject: str, actor: str, payload: str,
               prev_hash: str) -> str:
    """The hash of an entry with these fields (see the module docstring for the serialisation)."""
    material = SEPARATOR.join((CHAIN_FORMAT, str(seq), str(epoch_micros(recorded_at)), kind, subject, actor,
                               payload, prev_hash))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def mask(payload: Mapping[str, Any], fields: Iterable[str], *, key: bytes | None = None) -> dict[str, Any]:
    """A copy of ``payload`` with sensitive ``fields`` (dotted paths into nested mappings) masked.

    With ``key`` a value becomes ``hmac-sha256:<hex>`` of its canonical JSON, so entries about the
    same person stay linkable without the log holding the value; without a key it becomes ``***``.
    Paths that are absent are ignored: masking never adds data.
    """
    masked: dict[str, Any] = _deep_copy(payload)
    for path in fields:
        *parents, leaf = path.split(".")
        node: Any = masked
        for name in parents:
            node = node.get(name) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            node[leaf] = ("***" if key is None else
                          "hmac-sha256:" + hmac.new(key, canonical_json(node[leaf]).encode(), hashlib.sha256).hexdigest())
    return masked


def verify_chain(entries: Iterable[AuditEntry], *, start: Checkpoint = GENESIS,
                 checkpoints: Mapping[int, str] | None = None) -> VerifyReport:
    """Check that ``entries`` (in ``seq`` order, all after ``start``) form an unbroken chain.

    Every entry must follow its predecessor's sequence number and hash and hash to its own ``hash``;
    every checkpoint after ``start`` must match the entry it names, and none may lie beyond the
    last entry (a truncated tail).
    """
    marks = {seq: h for seq, h in (checkpoints or {}).items() if seq > start.seq}
    head = start
    for entry in entries:
        expected = head.seq + 1
        if entry.seq != expected:
            reason = (MISSING.format(seq=expected, found=entry.seq) if entry.seq > expected
                      else f"entry {entry.seq} appears out of order after entry {head.seq}")
            return broken(start, head, expected, reason)
        if entry.prev_hash != head.hash:
            return broken(start, head, entry.seq, PREV_HASH_MISMATCH.format(prior=head.seq))
        if entry.expected_hash() != entry.hash:
            return broken(start, head, entry.seq, HASH_MISMATCH)
        if marks.pop(entry.seq, entry.hash) != entry.hash:
            return broken(start, head, entry.seq, CHECKPOINT_MISMATCH)
        head = Checkpoint(entry.seq, entry.hash)
    if marks:
        return broken(start, head, head.seq + 1, TRUNCATED.format(first=head.seq + 1, checkpoint=min(marks)))
    return VerifyReport(ok=True, entries=head.seq - start.seq, head=head)


PREV_HASH_MISMATCH = "prev_hash does not match the hash of entry {prior} (an entry was edited, deleted or reordered)"
HASH_MISMATCH = "the stored hash does not match the entry's fields (the entry was edited)"
CHECKPOINT_MISMATCH = "the entry does not match the checkpoint recorded for it (the chain was rewritten)"
TRUNCATED = "entries from {first} on are missing: a checkpoint was recorded at entry {checkpoint}"
MISSING = "entry {seq} is missing (the next entry found is {found})"


def broken(start: Checkpoint, head: Checkpoint, first_bad: int, reason: str) -> VerifyReport:
    """The report for a chain that is good from ``start`` up to ``head`` and bad at ``first_bad``."""
    return VerifyReport(ok=False, entries=head.seq - start.seq, head=head, first_bad=first_bad, reason=reason)


def read_export(path: Path) -> Iterator[AuditEntry]:
    """The entries of a JSON-lines export, checked for shape (not for the chain: see :func:`verify_export`)."""
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    item = json.loads(line)
                    yield AuditEntry(
                        seq=int(item["seq"]),
                        recorded_at=datetime.fromisoformat(item["recorded_at"]).replace(tzinfo=None),
                        kind=str(item["kind"]), subject=str(item["subject"]), actor=str(item["actor"]),
                        payload=canonical_json(item["payload"]), prev_hash=str(item["prev_hash"]),
                        hash=str(item["hash"]))
                except (ValueError, KeyError, TypeError, AuditEntryError) as exc:
                    raise AuditExportError(f"{path}:{number}: not an audit entry ({exc})") from exc
    except OSError as exc:
        raise AuditExportError(f"cannot read {path}: {exc.strerror or exc}") from exc


def verify_export(path: Path, trusted: Checkpoint | None = None) -> VerifyReport:
    """Verify an exported chain offline, without the store (raises AuditExportError on malformed lines).

    With ``trusted`` (a head recorded earlier) the export must still hold that entry unchanged.
    """
    start = trusted or GENESIS
    entries = read_export(path)
    if start.seq > 0:
        anchor = next((e for e in entries if e.seq >= start.seq), None)
        if anchor is None or anchor.seq != start.seq or anchor.hash != start.hash:
            return broken(start, start, start.seq, f"the trusted entry {start.seq} is missing or differs")
    return verify_chain(entries, start=start)


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
