"""A real headless Chromium opens the site from disk: charts render, and nothing goes to the network."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from kpigov.report import ReportData

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", '--host-resolver-rules=MAP * ~NOTFOUND')


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=90, check=True)


def _png_pixels(path: Path) -> bytes:
    """The decompressed image rows of a PNG (enough to tell a blank page from a drawn one)."""
    data = path.read_bytes()
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(idat)


def test_scorecard_dom_has_every_kpi_and_drawn_sparklines(site_dir: Path, report_data: ReportData, tmp_path: Path) -> None:
    dom = _chromium(tmp_path, "--dump-dom", (site_dir / "index.html").as_uri()).stdout
    for k in report_data.kpis:
        assert f'data-kpi="{k.id}"' in dom
    drawn = sum(1 for k in report_data.kpis if sum(p.value is not None for p in k.history) >= 2)
    assert dom.count('<svg class="spark"') == drawn > 0
    assert dom.count("<polyline") == drawn


def test_kpi_page_chart_renders_to_a_non_blank_screenshot(site_dir: Path, report_data: ReportData, tmp_path: Path) -> None:
    k = next(k for k in report_data.kpis if k.kpi.spec.bands and len(k.history) > 3)
    shot = tmp_path / "kpi.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,700", (site_dir / "kpi" / f"{k.id}.html").as_uri())
    pixels = _png_pixels(shot)
    assert len(set(pixels)) > 16, "the page rendered blank"
    dom = _chromium(tmp_path, "--dump-dom", (site_dir / "kpi" / f"{k.id}.html").as_uri()).stdout
    assert dom.count("<circle") >= sum(p.value is not None for p in k.history)


def _page_requests(tmp_path: Path, page: Path) -> list[str]:
    """Network URLs the page itself asked for, from Chromium's net log.

    Chromium's own background traffic (update checks, accounts) carries the initiator
    "not an origin"; a page opened from disk has the opaque origin "null".
    """
    log = tmp_path / f"{page.stem}.netlog.json"
    _chromium(tmp_path, f"--log-net-log={log}", "--dump-dom", page.as_uri())
    text = log.read_text().rstrip()
    netlog = json.loads(text if text.endswith("}") else text.rstrip(",") + "]}")  # killed before the log was closed
    start_job = netlog["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    jobs = [e.get("params", {}) for e in netlog["events"] if e.get("type") == start_job]
    return sorted({job["url"] for job in jobs if job.get("initiator") != "not an origin"
                   and job.get("url", "").startswith(("http:", "https:", "ws:", "wss:"))})


def test_the_network_check_sees_a_page_that_fetches_a_script(tmp_path: Path) -> None:
    page = tmp_path / "cdn.html"
    page.write_text('<html><body><script src="https://cdn.example.org/vega.js"></script></body></html>')
    assert _page_requests(tmp_path, page) == ["https://cdn.example.org/vega.js"]


def test_no_page_requests_the_network(site_dir: Path, tmp_path: Path) -> None:
    for page in sorted(site_dir.rglob("*.html")):
        assert _page_requests(tmp_path, page) == [], page.name
