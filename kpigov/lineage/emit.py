"""Sending OpenLineage events without ever blocking or failing the run that produced them.

The transport is built explicitly from the repository's ``lineage`` config and the environment
(``OPENLINEAGE_URL``, ``OPENLINEAGE_ENDPOINT``, ``OPENLINEAGE_API_KEY``, ``OPENLINEAGE_DISABLED``):
openlineage-python's ``OpenLineageClient`` would also read ``./openlineage.yml`` and
``~/.openlineage/`` on its own, so kpigov drives the transports directly.

An event the transport cannot deliver is appended to a spill file (JSON lines, as it would have
been sent). From then on this emitter spills every later event too, so a dead backend costs one
failed attempt per run and events stay in order; ``flush()`` (``kpigov lineage flush``) re-sends
them in order and removes only those the backend acknowledged. A spill file left by an earlier
run is flushed before the next event is sent. HTTP is sent without retries and with a short
timeout: openlineage-python's defaults retry for ~9 s per event.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from openlineage.client.event_v2 import RunEvent
from openlineage.client.serde import Serde
from openlineage.client.transport import Transport
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport, TokenProvider
from openlineage.client.transport.noop import NoopConfig, NoopTransport

from kpigov.lineage.errors import LineageConfigError
from kpigov.lineage.events import ColumnSource, LineageDataset, RunLineage
from kpigov.specs.config import LineageConfig

log = logging.getLogger(__name__)

_NO_RETRIES = {"total": 0, "connect": 0, "read": 0, "status": 0, "other": 0, "backoff_factor": 0,
               "status_forcelist": [], "allowed_methods": ["POST"]}


class EmitOutcome(StrEnum):
    SENT = "sent"
    SPILLED = "spilled"
    DISABLED = "disabled"
    LOST = "lost"  # neither delivered nor spilled (the spill file is unwritable): logged as an error


@dataclass(frozen=True, slots=True)
class FlushReport:
    """What ``flush()`` did: ``sent`` removed from the spill, ``remaining`` still waiting."""

    sent: int
    remaining: int
    rejected: int = 0  # unreadable lines (a write cut short), moved aside to ``<spill>.rejected``


class LineageEmitter:
    """Sends events through one transport, spilling what it cannot deliver."""

    def __init__(self, transport: Transport, spill_path: Path, *, namespace: str = "kpigov") -> None:
        self.transport = transport
        self.spill_path = spill_path
        self.namespace = namespace
        self._degraded = False
        self._backlog_checked = False

    @classmethod
    def from_config(cls, config: LineageConfig | None, root: Path,
                    environ: Mapping[str, str] = os.environ) -> LineageEmitter:
        """The emitter a repository's config and the environment ask for (paths relative to ``root``)."""
        settings = config or LineageConfig()
        spill = root / settings.spill
        if environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
            return cls(NoopTransport(NoopConfig()), spill, namespace=settings.namespace)
        url = environ.get("OPENLINEAGE_URL") or (settings.url if settings.transport == "http" else None)
        if settings.transport == "http" and not url:
            raise LineageConfigError("kpigov.yaml spec.lineage.transport is 'http' but neither spec.lineage.url "
                                     "nor $OPENLINEAGE_URL names the backend")
        if url:
            return cls(http_transport(url, environ.get("OPENLINEAGE_ENDPOINT") or settings.endpoint,
                                      settings.timeout_seconds, environ.get("OPENLINEAGE_API_KEY")),
                       spill, namespace=settings.namespace)
        events = root / settings.file
        return cls(FileTransport(FileConfig(log_file_path=str(events), append=True)), spill,
                   namespace=settings.namespace)

    def emit(self, event: RunEvent) -> EmitOutcome:
        """Deliver ``event`` or spill it. Never raises and never waits longer than one timeout."""
        if isinstance(self.transport, NoopTransport):
            return EmitOutcome.DISABLED
        if not self._backlog_checked:
            self._backlog_checked = True
            if self.spill_path.exists() and self.flush().remaining:
                self._degraded = True
        if not self._degraded:
            try:
                _prepare_file_target(self.transport)
                self.transport.emit(event)
                return EmitOutcome.SENT
            except Exception as exc:  # any transport failure: the run must go on
                self._degraded = True
                log.warning("lineage backend unavailable (%s: %s); spilling events to %s",
                            type(exc).__name__, exc, self.spill_path)
        return self._spill(Serde.to_json(event))

    def flush(self) -> FlushReport:
        """Re-send spilled events in order; keep the undelivered ones (and everything after them)."""
        with self._spill_lock():
            try:
                lines = [line for line in self.spill_path.read_text(encoding="utf-8").splitlines() if line.strip()]
            except FileNotFoundError:
                return FlushReport(0, 0)
            events, rejected = [], []
            for line in lines:
                try:
                    events.append((line, json.loads(line)))
                except json.JSONDecodeError:
                    rejected.append(line)
            sent = 0
            for _, event in events:
                try:
                    _prepare_file_target(self.transport)
                    self.transport.emit(event)  # transports serialise dicts exactly as they do events
                except Exception as exc:
                    log.warning("lineage backend still unavailable (%s: %s)", type(exc).__name__, exc)
                    break
                sent += 1
            if rejected:
                with self.spill_path.with_name(self.spill_path.name + ".rejected").open("a", encoding="utf-8") as out:
                    out.writelines(line + "\n" for line in rejected)
            _rewrite(self.spill_path, [line for line, _ in events[sent:]])
        if sent == len(events):
            self._degraded = False
        return FlushReport(sent=sent, remaining=len(events) - sent, rejected=len(rejected))

    def pending(self) -> int:
        """How many events wait in the spill file."""
        try:
            with self.spill_path.open(encoding="utf-8") as lines:
                return sum(1 for line in lines if line.strip())
        except FileNotFoundError:
            return 0

    @contextmanager
    def track(self, lineage: RunLineage) -> Iterator[RunTracker]:
        """Emit START now, then COMPLETE, FAIL (on an exception, re-raised) or ABORT (on interruption)."""
        tracker = RunTracker(lineage)
        self.emit(lineage.start())
        try:
            yield tracker
        except (KeyboardInterrupt, GeneratorExit):
            self.emit(tracker.lineage.abort())
            raise
        except BaseException as error:
            if type(error).__name__ == "CancelledError":  # asyncio's, without importing asyncio
                self.emit(tracker.lineage.abort())
            else:
                self.emit(tracker.lineage.fail(error))
            raise
        self.emit(tracker.lineage.complete())

    def close(self) -> None:
        self.transport.close()

    def _spill(self, line: str) -> EmitOutcome:
        try:
            with self._spill_lock(), self.spill_path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            return EmitOutcome.SPILLED
        except OSError as exc:
            log.error("lineage event lost: cannot write the spill file %s (%s)", self.spill_path, exc)
            return EmitOutcome.LOST

    @contextmanager
    def _spill_lock(self) -> Iterator[None]:
        """Serialise spilling and flushing across processes (a lock file, since flush replaces the spill)."""
        self.spill_path.parent.mkdir(parents=True, exist_ok=True)
        with self.spill_path.with_name(self.spill_path.name + ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class RunTracker:
    """The run being tracked; update its datasets as results arrive (they go out with the last event)."""

    def __init__(self, lineage: RunLineage) -> None:
        self.lineage = lineage

    def update(self, *, inputs: list[LineageDataset] | None = None, output: LineageDataset | None = None,
               column_lineage: Mapping[str, list[ColumnSource]] | None = None,
               filters: list[ColumnSource] | tuple[()] = ()) -> None:
        self.lineage = self.lineage.with_datasets(inputs=inputs, output=output, column_lineage=column_lineage,
                                                  filters=filters)


def http_transport(url: str, endpoint: str, timeout: float, api_key: str | None) -> HttpTransport:
    """An HTTP transport that fails fast: no retries, ``timeout`` seconds at most per event."""
    auth: TokenProvider = ApiKeyTokenProvider({"apiKey": api_key}) if api_key else TokenProvider({})
    try:
        return HttpTransport(HttpConfig(url=url, endpoint=endpoint, timeout=timeout, auth=auth, retry=dict(_NO_RETRIES)))
    except ValueError as exc:
        raise LineageConfigError(f"lineage backend URL {url!r} is not usable: {exc}") from exc


def _prepare_file_target(transport: Transport) -> None:
    if isinstance(transport, FileTransport):
        Path(transport.config.log_file_path).parent.mkdir(parents=True, exist_ok=True)


def _rewrite(path: Path, lines: list[str]) -> None:
    """Replace ``path`` with ``lines`` atomically, or remove it when nothing is left."""
    if not lines:
        path.unlink(missing_ok=True)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in lines)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["EmitOutcome", "FlushReport", "LineageEmitter", "RunTracker", "http_transport"]
