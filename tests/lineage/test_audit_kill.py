"""A writer killed with SIGKILL at random points leaves every committed entry verifiable."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kpigov.lineage import AuditLog
from kpigov.store import open_store

ROOT = Path(__file__).resolve().parents[2]
# Appends forever (single entries and batches of 100, which take the bulk path) and reports each commit.
WRITER = """
import sys
from kpigov.lineage import AuditLog, AuditRecord
from kpigov.store import open_store
with open_store(sys.argv[1], create=True) as store:
    log = AuditLog(store, checkpoint_every=50)
    i = 0
    while True:
        i += 1
        if i % 3:
            seq = log.append("retention_enforced", f"rule-{i}", {"deleted_rows": i, "class": "personal_data"}, "kpigov").seq
        else:
            seq = log.append_many([AuditRecord("alert_routed", f"a{i}-{j}", {"j": j}, "kpigov") for j in range(100)])[-1].seq
        print(seq, flush=True)
"""


@pytest.mark.slow
def test_sigkilled_writer_leaves_a_verifiable_chain(store_url: str) -> None:
    rng = random.Random(20261125)
    with open_store(store_url, create=True):
        pass
    committed = 0
    for _ in range(3):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, store_url], stdout=subprocess.PIPE, text=True,
                                  cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert writer.stdout is not None
        first = writer.stdout.readline()  # started and committed at least once
        assert first.strip().isdigit(), f"writer did not start: {first!r}"
        time.sleep(rng.uniform(0.05, 0.5))
        writer.send_signal(signal.SIGKILL)
        rest = writer.stdout.read()
        writer.wait()
        reported = [int(line) for line in [first, *rest.splitlines()] if line.strip()]
        committed = max(committed, *reported)
        with open_store(store_url, create=False) as store:
            audit = AuditLog(store)
            report = audit.verify()
            assert report.ok, str(report)
            # Everything reported as committed is there; at most one unreported commit beyond it.
            assert report.head.seq >= committed
            assert [e.seq for e in audit.entries()] == list(range(1, report.head.seq + 1))
            committed = report.head.seq
