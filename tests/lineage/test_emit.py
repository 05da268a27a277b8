"""Delivery: file transport by default; a dead HTTP backend never fails a run and loses nothing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kpigov.lineage import (
    EmitOutcome,
    KpiMetadata,
    LineageConfigError,
    LineageDataset,
    LineageEmitter,
    RunLineage,
    run_events,
)
from kpigov.specs.config import LineageConfig
from tests.lineage.olspec import OpenLineageSpec


class LineageBackend:
    """A real HTTP lineage endpoint on 127.0.0.1 that acknowledges ``accept`` events, then answers 503."""

    def __init__(self, port: int, accept: int | None = None) -> None:
        self.received: list[dict] = []  # type: ignore[type-arg]
        self.accept = accept
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = self.path == "/api/v1/lineage" and (backend.accept is None or len(backend.received) < backend.accept)
                if ok:
                    backend.received.append(json.loads(body))
                self.send_response(201 if ok else 503)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env_without_openlineage(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name in ("OPENLINEAGE_URL", "OPENLINEAGE_DISABLED", "OPENLINEAGE_CONFIG", "OPENLINEAGE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    yield {}


def _lineage(kpi_id: str = "brand.customer.mention_volume") -> RunLineage:
    return run_events(kpi=KpiMetadata(kpi_id, "1.0.0", "ab" * 32, owner="team/social-analytics"),
                      inputs=[LineageDataset.table("duckdb:////data/s.duckdb", "mentions")],
                      output=LineageDataset.table("duckdb:////data/s.duckdb", "kpi_results", row_count=1))


def test_file_transport_is_the_default_and_ignores_stray_openlineage_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env_without_openlineage: dict[str, str],
        ol_spec: OpenLineageSpec) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "openlineage.yml").write_text("transport:\n  type: http\n  url: http://127.0.0.1:9\n")
    emitter = LineageEmitter.from_config(None, tmp_path / "repo", env_without_openlineage)
    lineage = _lineage()
    with emitter.track(lineage):
        pass
    lines = (tmp_path / "repo/.kpigov/lineage/events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert all(ol_spec.errors(e) == [] for e in events)
    assert emitter.pending() == 0


def test_track_reports_failures_and_cancellations(tmp_path: Path, env_without_openlineage: dict[str, str]) -> None:
    emitter = LineageEmitter.from_config(LineageConfig(file="events.jsonl"), tmp_path, env_without_openlineage)
    with pytest.raises(ZeroDivisionError), emitter.track(_lineage("brand.customer.a")) as run:
        run.update(output=LineageDataset("duckdb://memory", "memory.main.kpi_results", row_count=0))
        _ = 1 / 0
    with pytest.raises(KeyboardInterrupt), emitter.track(_lineage("brand.customer.b")):
        raise KeyboardInterrupt
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("evaluate.brand.customer.a", "START"), ("evaluate.brand.customer.a", "FAIL"),
        ("evaluate.brand.customer.b", "START"), ("evaluate.brand.customer.b", "ABORT")]
    assert "ZeroDivisionError" in events[1]["run"]["facets"]["errorMessage"]["message"]
    assert events[1]["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 0


def test_dead_backend_spills_and_flush_delivers_everything_in_order(
        tmp_path: Path, free_port: int, ol_spec: OpenLineageSpec) -> None:
    env = {"OPENLINEAGE_URL": f"http://127.0.0.1:{free_port}"}
    emitter = LineageEmitter.from_config(None, tmp_path, env)
    lineages = [_lineage(f"brand.customer.k{i}") for i in range(5)]
    outcomes = [emitter.emit(event) for lin in lineages for event in (lin.start(), lin.complete())]
    assert outcomes == [EmitOutcome.SPILLED] * 10 and emitter.pending() == 10

    backend = LineageBackend(free_port, accept=4)  # comes back, but falls over again after 4 events
    try:
        report = emitter.flush()
        assert (report.sent, report.remaining) == (4, 6) and emitter.pending() == 6
        backend.accept = None
        # A new emitter (a later run) first delivers the backlog, then its own event, in order.
        later = LineageEmitter.from_config(None, tmp_path, env)
        assert later.emit(_lineage("brand.customer.k9").start()) == EmitOutcome.SENT
    finally:
        backend.stop()
    sent = [(e["job"]["name"], e["eventType"]) for e in backend.received]
    expected = [(f"evaluate.brand.customer.k{i}", state) for i in range(5) for state in ("START", "COMPLETE")]
    assert sent == [*expected, ("evaluate.brand.customer.k9", "START")]
    assert all(ol_spec.errors(e) == [] for e in backend.received)
    assert later.pending() == 0 and not (tmp_path / ".kpigov/lineage/spill.jsonl").exists()


def test_unreadable_spill_lines_are_set_aside_not_resent(tmp_path: Path, free_port: int) -> None:
    emitter = LineageEmitter.from_config(None, tmp_path, {"OPENLINEAGE_URL": f"http://127.0.0.1:{free_port}"})
    emitter.emit(_lineage().start())
    with emitter.spill_path.open("a") as spill:
        spill.write('{"eventType": "COMPL')  # a write cut short by a crash
    backend = LineageBackend(free_port)
    try:
        report = emitter.flush()
    finally:
        backend.stop()
    assert (report.sent, report.remaining, report.rejected) == (1, 0, 1)
    assert emitter.spill_path.with_name("spill.jsonl.rejected").read_text().startswith('{"eventType": "COMPL')


def test_configuration_errors_are_typed(tmp_path: Path, env_without_openlineage: dict[str, str]) -> None:
    with pytest.raises(LineageConfigError, match="names the backend"):
        LineageEmitter.from_config(LineageConfig(transport="http"), tmp_path, env_without_openlineage)
    with pytest.raises(LineageConfigError, match="not usable"):
        LineageEmitter.from_config(None, tmp_path, {"OPENLINEAGE_URL": "not a url"})
    disabled = LineageEmitter.from_config(None, tmp_path, {"OPENLINEAGE_DISABLED": "true"})
    assert disabled.emit(_lineage().start()) == EmitOutcome.DISABLED
    assert not (tmp_path / ".kpigov").exists()
