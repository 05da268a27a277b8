"""``kpigov serve`` as a user runs it: a separate process on loopback, stopped after."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_then_stops() -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "kpigov.cli.main", "serve", str(ROOT), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read() if process.stdout else ""
                time.sleep(0.1)
        assert health.status_code == 200 and health.headers["x-kpigov-fingerprint"] == health.json()["fingerprint"]
    finally:
        process.terminate()
        process.wait(10)


def test_serve_refuses_a_bad_audit_mode() -> None:
    done = subprocess.run([sys.executable, "-m", "kpigov.cli.main", "serve", str(ROOT), "--audit", "loud"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "off, flagged or all" in done.stderr
