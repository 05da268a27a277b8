"""HTTP decision throughput: `kpigov serve` in one process, a keep-alive load generator in this one.

Loopback only, bounded: a fixed number of requests per measurement. Prints decisions/s for
single-decision requests and for batches, with ratios against baselines measured in the same run:
the same decisions answered in process (``Governance.check_access``) and the bare HTTP round trip
(``GET /health``). Numbers only, no pass/fail. Target: ≥ 5,000 decisions/s over HTTP on 2 cores.

    python bench/bench_service.py [--requests 20000] [--connections 16] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kpigov.runtime import Governance

ROOT = Path(__file__).resolve().parents[1]
ASKS = [("analyst", "read", "dataset/mentions"), ("care-agent", "read", "dataset/mentions:author_handle"),
        ("pr-officer", "export", "kpi/brand.customer.net_sentiment"), ("intern", "read_raw", "dataset/mentions")]


def request(path: str, body: object | None) -> bytes:
    if body is None:
        return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    data = json.dumps(body).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


async def _connection(port: int, payloads: list[bytes], count: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in range(count):
        writer.write(payloads[i % len(payloads)])
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected response: {head[:80]!r}")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
    writer.close()


def load(port: int, payloads: list[bytes], total: int, connections: int) -> float:
    """Seconds to get ``total`` answers over ``connections`` keep-alive connections."""
    async def run() -> None:
        await asyncio.gather(*(_connection(port, payloads, total // connections) for _ in range(connections)))

    started = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    governance = Governance.load(ROOT)
    started = time.perf_counter()
    for i in range(args.requests):
        governance.check_access(*ASKS[i % len(ASKS)])
    in_process = args.requests / (time.perf_counter() - started)

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kpigov.cli.main", "serve", str(ROOT), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        single = [request("/v1/access/check", {"principal": p, "action": a, "resource": r}) for p, a, r in ASKS]
        batch = [request("/v1/access/check-many", {"requests": [
            {"principal": p, "action": a, "resource": r} for p, a, r in (ASKS * args.batch)[:args.batch]]})]
        load(port, single, 1_000, args.connections)  # warm up
        health = args.requests / load(port, [request("/health", None)], args.requests, args.connections)
        one = args.requests / load(port, single, args.requests, args.connections)
        batches = max(args.connections, args.requests // args.batch)
        many = batches * args.batch / load(port, batch, batches, args.connections)
    finally:
        server.terminate()
        server.wait(10)

    print(f"in process (baseline)        {in_process:12,.0f} decisions/s")
    print(f"GET /health (HTTP baseline)  {health:12,.0f} requests/s")
    print(f"POST /v1/access/check        {one:12,.0f} decisions/s  ({one / health:.2f}x /health, "
          f"{one / in_process:.4f}x in process)")
    print(f"POST /v1/access/check-many   {many:12,.0f} decisions/s  (batches of {args.batch}; "
          f"{many / one:.1f}x single, {many / in_process:.3f}x in process)")


if __name__ == "__main__":
    main()
